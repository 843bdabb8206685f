package ndpprobe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rawsock"
)

// Transport is an open raw ICMPv6 socket for one check. It implements
// probe.Transport.
//
// mdlayher/ndp builds the solicitation, but its Conn is not used: its
// ReadFrom allocates an MTU-sized buffer, the parsed message and a control
// message per read, and it offers no way to attach a kernel filter on the
// target address. This socket is bound to the chosen source, passes only
// advertisements about the target (ICMPv6 and BPF filters), and reads into
// fixed buffers without allocating.
type Transport struct {
	rd         *rawsock.Reader
	raw        syscall.RawConn // for sending
	solicit    *solicitation
	classifier classifier
	// meta reads the kernel's control messages: parseControl on an ICMPv6
	// socket; a socketpair in tests carries none, so its tests supply it.
	meta     func(control []byte) meta
	decodeFn func(rawsock.Datagram) (probe.Answer, bool) // decode, bound once
	// watch counts the solicitations for the target leaving the host
	// (watch.go); nil on a socketpair in tests.
	watch     *packet.Conn
	closeOnce sync.Once
	// unicast is the unicast solicitation's frame (unicast.go), sent
	// through watch; unicastSent counts those sent, which watch does not
	// see.
	unicast     []byte
	unicastSent int
}

// ErrSourceUnusable is wrapped when the kernel refuses to send from the
// source address (gone, or still tentative during duplicate address
// detection).
var ErrSourceUnusable = errors.New("source address not usable")

// bufLen is how much of each advertisement is read: IPv6's minimum MTU, far
// more than an advertisement with its options needs.
const bufLen = 1280

// controlLen is room for the control messages the socket asks for besides
// the receive timestamp: the hop limit and the packet info, and then some.
var controlLen = 2*unix.CmsgSpace(unix.SizeofInet6Pktinfo) + unix.CmsgSpace(4)

// Open opens the socket and prepares the solicitation. When the socket
// cannot be opened the error wraps the system's: errors.Is(err,
// os.ErrPermission) means the check lacks CAP_NET_RAW.
func Open(cfg probe.Link) (*Transport, error) {
	ifi := cfg.Interface
	if _, err := mac.OfInterface(ifi); err != nil {
		return nil, err
	}
	target, source := cfg.Target.WithZone(""), cfg.Source.WithZone("")
	if !target.Is6() || target.Is4In6() || !source.Is6() || source.Is4In6() || source.IsUnspecified() {
		return nil, fmt.Errorf("NDP needs IPv6 addresses, got target %s and source %s", cfg.Target, cfg.Source)
	}
	groupAddr, err := ndp.SolicitedNodeMulticast(target)
	if err != nil {
		return nil, fmt.Errorf("solicited-node multicast address of %s: %w", target, err)
	}
	// The checksum stays zero: the kernel computes it for ICMPv6 sockets.
	solicit, err := ndp.MarshalMessage(&ndp.NeighborSolicitation{
		TargetAddress: target,
		Options: []ndp.Option{
			// Responders need it to answer without resolving us first
			// (MetalLB's speaker drops solicitations without it).
			&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: ifi.HardwareAddr},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the neighbor solicitation: %w", err)
	}
	fd, err := openSocket(ifi, source, target)
	if err != nil {
		return nil, err
	}
	file := os.NewFile(uintptr(fd), "ndp")
	group := &unix.SockaddrInet6{Addr: groupAddr.As16(), ZoneId: uint32(ifi.Index)}
	t, err := newTransport(file, solicit, group, newClassifier(target, source, ifi.Index), parseControl)
	if err != nil {
		file.Close()
		return nil, err
	}
	if t.watch, err = openWatch(ifi, target); err != nil {
		t.Close()
		return nil, err
	}
	t.unicast = unicastFrame(ifi.HardwareAddr, source, target, solicit)
	return t, nil
}

// newTransport wraps an open socket: it sends solicit to dst (nil on a
// connected socket) and reports the advertisements that c classifies, with
// what meta reads from their control messages.
func newTransport(conn rawsock.Conn, solicit []byte, dst unix.Sockaddr, c classifier, meta func([]byte) meta) (*Transport, error) {
	// As an ARP transport's (see rawsock.LoneBuffer): checks of one
	// target at once each receive all of its advertisements.
	rawsock.GrowBuffer(conn, rawsock.LoneBuffer)
	rd, err := rawsock.New(conn, bufLen, controlLen)
	if err != nil {
		return nil, fmt.Errorf("the ICMPv6 socket: %w", err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("raw access to the ICMPv6 socket: %w", err)
	}
	t := &Transport{rd: rd, raw: raw, solicit: newSolicitation(solicit, dst), classifier: c, meta: meta}
	t.decodeFn = t.decode
	return t, nil
}

// openSocket returns a non-blocking raw ICMPv6 socket bound to source on
// ifi, sending with hop limit 255 and receiving only advertisements about
// target with their hop limit and packet info.
func openSocket(ifi *net.Interface, source, target netip.Addr) (fd int, err error) {
	prog, err := targetFilter(target)
	if err != nil {
		return -1, err
	}
	return openSocketFiltered(ifi, source, prog)
}

// openSocketFiltered is openSocket with the kernel filter prog, which
// passes the advertisements to read.
func openSocketFiltered(ifi *net.Interface, source netip.Addr, prog []bpf.RawInstruction) (fd int, err error) {
	fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
	if err != nil {
		if errors.Is(err, unix.EAFNOSUPPORT) {
			return -1, errors.New("IPv6 is disabled in this host's kernel (ipv6.disable=1), so NDP cannot run; enable it or check the target's IPv4 address")
		}
		return -1, fmt.Errorf("opening an ICMPv6 socket on %s: %w", ifi.Name, err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	// The kernel filters first, so that nothing but advertisements about
	// the target ever wakes the check.
	var f unix.ICMPv6Filter
	for i := range f.Data {
		f.Data[i] = ^uint32(0) // block all ...
	}
	f.Data[icmpTypeNA>>5] &^= 1 << (icmpTypeNA & 31) // ... but advertisements
	if err := unix.SetsockoptICMPv6Filter(fd, unix.SOL_ICMPV6, unix.ICMPV6_FILTER, &f); err != nil {
		return -1, fmt.Errorf("setting the ICMPv6 filter: %w", err)
	}
	if err := attachFilter(fd, prog); err != nil {
		return -1, err
	}
	for _, o := range []struct {
		name     string
		opt, val int
	}{
		{"the multicast hop limit", unix.IPV6_MULTICAST_HOPS, hopLimit},
		{"the unicast hop limit", unix.IPV6_UNICAST_HOPS, hopLimit},
		{"the multicast interface", unix.IPV6_MULTICAST_IF, ifi.Index},
		{"multicast loopback", unix.IPV6_MULTICAST_LOOP, 0},
		{"hop limit reporting", unix.IPV6_RECVHOPLIMIT, 1},
		{"packet info reporting", unix.IPV6_RECVPKTINFO, 1},
	} {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, o.opt, o.val); err != nil {
			return -1, fmt.Errorf("setting %s on the ICMPv6 socket: %w", o.name, err)
		}
	}
	sa := &unix.SockaddrInet6{Addr: source.As16()}
	if source.IsLinkLocalUnicast() {
		sa.ZoneId = uint32(ifi.Index)
	}
	if err := unix.Bind(fd, sa); err != nil {
		if errors.Is(err, unix.EADDRNOTAVAIL) {
			return -1, fmt.Errorf("sending from %s on %s: %w (the address is gone or still tentative during duplicate address detection)", source, ifi.Name, ErrSourceUnusable)
		}
		return -1, fmt.Errorf("binding the ICMPv6 socket to %s: %w", source, err)
	}
	return fd, nil
}

func attachFilter(fd int, prog []bpf.RawInstruction) error {
	p := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &p); err != nil {
		return fmt.Errorf("attaching the socket filter: %w", err)
	}
	return nil
}

// targetFilter returns a classic BPF program that accepts Neighbor
// Advertisements for target, up to bufLen bytes. On a raw ICMPv6 socket the
// program sees the ICMPv6 message, not the IPv6 header.
func targetFilter(target netip.Addr) ([]bpf.RawInstruction, error) {
	// Each test skips to the final "drop" when it fails.
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offType, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: icmpTypeNA, SkipTrue: targetMatchLen - 1},
	}
	prog = appendTargetMatch(prog, offTarget, target, bufLen)
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assembling the socket filter: %w", err)
	}
	return raw, nil
}

// appendTargetMatch appends the tail of a filter: the tests that the
// 16-byte target address at off is target, then the returns, snap bytes
// for a match and none (drop) otherwise. Its failing tests skip to the
// drop, the last instruction; so must those before it, skipping the
// tail's targetMatchLen instructions.
func appendTargetMatch(prog []bpf.Instruction, off uint32, target netip.Addr, snap uint32) []bpf.Instruction {
	t := target.As16()
	for i := 0; i < 16; i += 4 {
		prog = append(prog,
			bpf.LoadAbsolute{Off: off + uint32(i), Size: 4},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: binary.BigEndian.Uint32(t[i:]), SkipTrue: uint8(targetMatchLen - 3 - i/2)})
	}
	return append(prog, bpf.RetConstant{Val: snap}, bpf.RetConstant{Val: 0})
}

// targetMatchLen is how many instructions appendTargetMatch appends.
const targetMatchLen = 10

// Send multicasts one Neighbor Solicitation for the target to its
// solicited-node group and returns when it was handed to the kernel.
func (t *Transport) Send() (time.Time, error) { return t.solicit.send(t.raw) }

// Receive returns the next reply or announcement about the target, skipping
// invalid and unrelated advertisements, or probe.ErrTimeout at the
// deadline. The answer's At is when the advertisement arrived (the
// kernel's receive timestamp).
func (t *Transport) Receive(deadline time.Time) (probe.Answer, error) {
	return rawsock.Receive(t.rd, deadline, t.decodeFn)
}

// decode reports what an ICMPv6 message means for the check, if anything.
func (t *Transport) decode(d rawsock.Datagram) (probe.Answer, bool) {
	a, ok := parseAdvert(d.Data)
	if !ok {
		return probe.Answer{}, false
	}
	kind := t.classifier.classify(a, t.meta(d.Control))
	if kind == 0 {
		return probe.Answer{}, false
	}
	return probe.Answer{Kind: kind, MAC: a.tlla, At: d.At}, true
}

// Interrupt makes a blocked Receive return probe.ErrTimeout at once.
func (t *Transport) Interrupt() { t.rd.Interrupt() }

// Close releases the socket. It may be called more than once.
func (t *Transport) Close() error {
	var err error
	t.closeOnce.Do(func() {
		if t.watch == nil {
			err = t.rd.Close()
			return
		}
		// Closing a packet socket waits for an RCU grace period; the
		// ICMPv6 socket closes meanwhile.
		done := make(chan error, 1)
		go func() { done <- t.watch.Close() }()
		err = errors.Join(t.rd.Close(), <-done)
	})
	return err
}
