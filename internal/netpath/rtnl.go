package netpath

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// rtnl is a route netlink socket that asks the kernel only what a check
// needs: the route to each target, one interface, and that interface's
// addresses of one family. The standard library's interface calls dump
// every link and address of the host, and a netlink library parses every
// attribute of each; on a host with hundreds of interfaces (containers,
// VLANs) that is most of a check's CPU time.
//
// It is for one goroutine. Its requests are answered while they are sent
// (the kernel handles route netlink requests in the sender's system call),
// so many route lookups can share one send.
type rtnl struct {
	fd  int
	seq uint32
	buf []byte
}

const (
	nlmsgHdrLen   = unix.SizeofNlMsghdr
	rtmsgLen      = unix.SizeofRtMsg
	ifinfomsgLen  = unix.SizeofIfInfomsg
	ifaddrmsgLen  = unix.SizeofIfAddrmsg
	rtattrHdrLen  = unix.SizeofRtAttr
	nlmsgerrLen   = unix.SizeofNlMsgerr
	routeBatch    = 32 // route requests per send; see routes
	receiveBuffer = 64 << 10

	rtextFilterSkipStats = 1 << 3 // RTEXT_FILTER_SKIP_STATS of linux/rtnetlink.h
)

// dialRTNL opens the socket; its receive and send calls give up at ctx's
// deadline.
func dialRTNL(ctx context.Context) (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	c := &rtnl{fd: fd}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		c.close()
		return nil, err
	}
	// With strict checking the kernel dumps only the addresses of the
	// interface and family asked for (Linux 4.20 and later); older
	// kernels dump them all, and the parser filters.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1)
	if d, ok := ctx.Deadline(); ok {
		tv := unix.NsecToTimeval(max(time.Until(d), time.Millisecond).Nanoseconds())
		for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
			if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
				c.close()
				return nil, fmt.Errorf("setting the netlink timeout: %w", err)
			}
		}
	}
	return c, nil
}

func (c *rtnl) close() { _ = unix.Close(c.fd) }

// send writes the messages in b, as one datagram, to the kernel.
func (c *rtnl) send(b []byte) error {
	for {
		err := unix.Sendto(c.fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		if err != unix.EINTR {
			return err
		}
	}
}

// receive reads one datagram of answers.
func (c *rtnl) receive() ([]byte, error) {
	if c.buf == nil {
		c.buf = make([]byte, receiveBuffer)
	}
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, err
		case n < nlmsgHdrLen:
			return nil, fmt.Errorf("short netlink message (%d bytes)", n)
		}
		return c.buf[:n], nil
	}
}

// receiveMessages reads one datagram of answers and splits it.
func (c *rtnl) receiveMessages() ([]message, error) {
	b, err := c.receive()
	if err != nil {
		return nil, err
	}
	return messages(b)
}

// exchange sends req, one request, and hands each answer to it to f,
// until f reports that it has read what it asked for, the kernel ends a
// dump (NLMSG_DONE) or the kernel or f reports an error. Link and address
// requests all read their answers this way; route lookups, many to a
// send, read theirs in routes.
func (c *rtnl) exchange(req []byte, f func(typ uint16, data []byte) (done bool, err error)) error {
	if err := c.send(req); err != nil {
		return err
	}
	for {
		ms, err := c.receiveMessages()
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.seq != c.seq {
				continue
			}
			switch m.typ {
			case unix.NLMSG_DONE:
				return errno(m.data)
			case unix.NLMSG_ERROR:
				if err := errno(m.data); err != nil {
					return err
				}
			default:
				if done, err := f(m.typ, m.data); done || err != nil {
					return err
				}
			}
		}
	}
}

// message is one netlink message of a datagram.
type message struct {
	typ  uint16
	seq  uint32
	data []byte // after the header
}

// messages splits a datagram.
func messages(b []byte) ([]message, error) {
	var out []message
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		if l < nlmsgHdrLen || l > len(b) {
			return nil, fmt.Errorf("malformed netlink message (length %d of %d)", l, len(b))
		}
		out = append(out, message{
			typ:  binary.NativeEndian.Uint16(b[4:6]),
			seq:  binary.NativeEndian.Uint32(b[8:12]),
			data: b[nlmsgHdrLen:l],
		})
		b = b[min(align4(l), len(b)):]
	}
	return out, nil
}

// errno is the error of an NLMSG_ERROR or NLMSG_DONE payload, nil for an
// acknowledgement.
func errno(data []byte) error {
	if len(data) < 4 {
		return nil
	}
	if e := int32(binary.NativeEndian.Uint32(data[0:4])); e < 0 {
		return unix.Errno(-e)
	}
	return nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// header appends a request's netlink header; the length is set by finish.
func (c *rtnl) header(b []byte, typ, flags uint16) ([]byte, int) {
	c.seq++
	start := len(b)
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, c.seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	return b, start
}

func finish(b []byte, start int) []byte {
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

func appendAttr(b []byte, typ uint16, v []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(rtattrHdrLen+len(v)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// attrString is a string attribute's value without its NUL terminator.
func attrString(v []byte) string {
	if len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	return string(v)
}

// attrs calls f with each attribute of b.
func attrs(b []byte, f func(typ uint16, v []byte)) {
	for len(b) >= rtattrHdrLen {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < rtattrHdrLen || l > len(b) {
			return
		}
		f(binary.NativeEndian.Uint16(b[2:4])&^unix.NLA_F_NESTED, b[rtattrHdrLen:l])
		b = b[min(align4(l), len(b)):]
	}
}

// routeReply is the kernel's answer to a route lookup, as `ip route get`
// shows it.
type routeReply struct {
	err     error // the lookup's error (ENETUNREACH, ...)
	typ     uint8 // RTN_UNICAST, RTN_LOCAL, ...
	ifIndex int
	gateway netip.Addr
	prefSrc netip.Addr
}

// routes asks the kernel for the route to each target, as `ip route get`
// does: it honours policy routing, and each answer is the kernel's own.
// Up to routeBatch requests go out in one send; the answers each take a
// page of the socket's receive buffer, and a batch's must fit in it. If
// answers were dropped anyway (a small net.core.rmem_default), the rest
// are asked one at a time.
func (c *rtnl) routes(targets []netip.Addr) ([]routeReply, error) {
	out := make([]routeReply, len(targets))
	batch := routeBatch
	var req []byte
	for next := 0; next < len(targets); {
		n := min(batch, len(targets)-next)
		req = req[:0]
		first := c.seq + 1
		for _, t := range targets[next : next+n] {
			req = c.appendRouteGet(req, t)
		}
		if err := c.send(req); err != nil {
			return nil, err
		}
		answered := 0
		got := make([]bool, n)
		for answered < n {
			ms, err := c.receiveMessages()
			if errors.Is(err, unix.ENOBUFS) && batch > 1 {
				// Answers were dropped; the ones kept are still queued
				// and read on, the lost ones are asked again.
				batch = 1
				break
			}
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				i := int(m.seq - first)
				if m.seq < first || i >= n || got[i] {
					continue // an answer to an earlier request
				}
				switch m.typ {
				case unix.NLMSG_ERROR:
					out[next+i].err = errno(m.data)
					if out[next+i].err == nil {
						continue
					}
				case unix.RTM_NEWROUTE:
					out[next+i] = parseRoute(m.data)
				default:
					continue
				}
				got[i] = true
				answered++
			}
		}
		if answered < n {
			// Keep the answered prefix, ask again from the first gap.
			k := 0
			for k < n && got[k] {
				k++
			}
			next += k
			continue
		}
		next += n
	}
	return out, nil
}

func (c *rtnl) appendRouteGet(b []byte, target netip.Addr) []byte {
	b, start := c.header(b, unix.RTM_GETROUTE, unix.NLM_F_REQUEST)
	// IPv4 reports the table the route came from only when asked to (as
	// ip route get does); IPv6 always does, and its strict checking
	// refuses the flag.
	family, bits, flags := uint8(unix.AF_INET), uint8(32), uint32(unix.RTM_F_LOOKUP_TABLE)
	if target.Is6() {
		family, bits, flags = unix.AF_INET6, 128, 0
	}
	// struct rtmsg: family, dst_len, src_len, tos, table, protocol,
	// scope, type, flags.
	b = append(b, family, bits, 0, 0, 0, 0, 0, 0)
	b = binary.NativeEndian.AppendUint32(b, flags)
	b = appendAttr(b, unix.RTA_DST, target.AsSlice())
	return finish(b, start)
}

func parseRoute(data []byte) routeReply {
	if len(data) < rtmsgLen {
		return routeReply{err: fmt.Errorf("short route message (%d bytes)", len(data))}
	}
	r := routeReply{typ: data[7]}
	attrs(data[rtmsgLen:], func(typ uint16, v []byte) {
		switch typ {
		case unix.RTA_OIF:
			if len(v) >= 4 {
				r.ifIndex = int(binary.NativeEndian.Uint32(v))
			}
		case unix.RTA_GATEWAY:
			r.gateway, _ = netip.AddrFromSlice(v)
		case unix.RTA_PREFSRC:
			r.prefSrc, _ = netip.AddrFromSlice(v)
		}
	})
	return r
}
