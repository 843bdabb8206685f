package arpprobe

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rawsock"
)

// Transport is an open ARP raw socket for one check. It implements
// probe.Transport.
type Transport struct {
	rd         *rawsock.Reader // receives ARP frames about the target
	conn       rawsock.Conn    // rd's socket, for its statistics
	sender     socket          // sends our requests, receives nothing
	request    []byte
	sent       uint16
	broadcast  net.Addr
	classifier classifier
	decodeFn   func(rawsock.Datagram) (probe.Answer, bool) // decode, bound once
}

// socket is what the transport sends with: a *packet.Conn on a real
// interface, a socketpair in the read loop's tests and benchmarks.
type socket interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	Close() error
}

// snapLen is how much of each frame the kernel hands over: an ARP frame is
// 42 bytes, padded to 60 on the wire.
const snapLen = 64

// Open opens the sockets and prepares the request frame. Requests leave
// through their own socket, so that the receiving socket, which listens to
// all protocols, sees them leave in wire order with everybody else's; its
// kernel filter passes only ARP frames from or for the target, so unrelated
// traffic never wakes the check. When a socket cannot be opened the error
// wraps the system's: errors.Is(err, os.ErrPermission) means the check
// lacks CAP_NET_RAW.
func Open(cfg probe.Link) (*Transport, error) {
	ifi := cfg.Interface
	local, err := mac.OfInterface(ifi)
	if err != nil {
		return nil, err
	}
	if !cfg.Target.Is4() || !cfg.Source.Is4() {
		return nil, fmt.Errorf("ARP needs IPv4 addresses, got target %s and source %s", cfg.Target, cfg.Source)
	}
	pkt, err := arp.NewPacket(arp.OperationRequest, ifi.HardwareAddr, cfg.Source, ethernet.Broadcast, cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("building the ARP request: %w", err)
	}
	// The target hardware address of a request is unknown: send zeros,
	// as RFC 826 implementations do, not the broadcast address.
	pkt.TargetHardwareAddr = make(net.HardwareAddr, 6)
	payload, err := pkt.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding the ARP request: %w", err)
	}
	frame, err := (&ethernet.Frame{
		Destination: ethernet.Broadcast,
		Source:      ifi.HardwareAddr,
		EtherType:   ethernet.EtherTypeARP,
		Payload:     payload,
	}).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding the Ethernet frame: %w", err)
	}
	var nonce [nonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("making the request tag: %w", err)
	}
	if len(frame) < offTag+tagLen {
		return nil, fmt.Errorf("request frame of %d bytes has no room for the tag", len(frame))
	}
	copy(frame[offTag:], nonce[:])

	filter, err := targetFilter(cfg.Target)
	if err != nil {
		return nil, err
	}
	conn, err := listen(ifi, unix.ETH_P_ALL, filter)
	if err != nil {
		return nil, err
	}
	sender, err := listen(ifi, unix.ETH_P_ARP, []bpf.RawInstruction{{Op: bpfRet, K: 0}})
	if err != nil {
		conn.Close()
		return nil, err
	}
	t, err := newTransport(conn, sender, frame, &packet.Addr{HardwareAddr: ethernet.Broadcast}, newClassifier(cfg.Target, cfg.Source, local, nonce))
	if err != nil {
		conn.Close()
		sender.Close()
		return nil, err
	}
	return t, nil
}

// newTransport wraps open sockets: sender sends request to dst, conn
// receives the frames that c classifies.
func newTransport(conn rawsock.Conn, sender socket, request []byte, dst net.Addr, c classifier) (*Transport, error) {
	// Checks of one target running at once on this host each see all
	// their requests and replies: 200 of them queue some 1600 frames on
	// every socket within a few hundred milliseconds, more than the
	// default buffer holds (about 280 ARP frames) while a busy host has
	// not run the check.
	rawsock.GrowBuffer(conn, rawsock.LoneBuffer)
	rd, err := rawsock.New(conn, snapLen, 0, sender)
	if err != nil {
		return nil, fmt.Errorf("the ARP socket: %w", err)
	}
	t := &Transport{rd: rd, conn: conn, sender: sender, request: request, broadcast: dst, classifier: c}
	t.decodeFn = t.decode
	return t, nil
}

// bpfRet is the classic BPF "return constant" opcode: with K 0 the socket
// drops every frame.
const bpfRet = 0x06

func listen(ifi *net.Interface, proto int, filter []bpf.RawInstruction) (*packet.Conn, error) {
	conn, err := packet.Listen(ifi, packet.Raw, proto, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("opening an ARP socket on %s: %w", ifi.Name, err)
	}
	return conn, nil
}

// targetFilter returns a classic BPF program that accepts ARP frames whose
// sender or target protocol address is target, truncated to snapLen, and
// that did not arrive in a VLAN. On a trunk's parent interface the kernel
// takes the 802.1Q tag out of the frame into its metadata, so a tagged
// frame looks untagged to the rest of the program: another VLAN reusing
// the address would otherwise count on the untagged one. The VLAN ID, not
// the tag's presence, decides: VLAN 0 (a priority tag only) belongs to the
// untagged network, as the kernel's own receive path treats it.
func targetFilter(target netip.Addr) ([]bpf.RawInstruction, error) {
	t := target.As4()
	ip := uint32(t[0])<<24 | uint32(t[1])<<16 | uint32(t[2])<<8 | uint32(t[3])
	// The failing tests skip to the last instruction (drop), the
	// sender's address matching skips to the one before it (accept).
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtVLANTag}, // 0 without a tag
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: vlanIDMask},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0, SkipTrue: 7},
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeARP, SkipTrue: 5},
		bpf.LoadAbsolute{Off: offSPA, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ip, SkipTrue: 2},
		bpf.LoadAbsolute{Off: offTPA, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: ip, SkipTrue: 1},
		bpf.RetConstant{Val: snapLen},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return nil, fmt.Errorf("assembling the socket filter: %w", err)
	}
	return prog, nil
}

// vlanIDMask is the VLAN ID in an 802.1Q tag control field.
const vlanIDMask = 0x0fff

// Send broadcasts the next ARP request for the target, tagged with its
// probe index, and returns when it was handed to the kernel.
func (t *Transport) Send() (time.Time, error) {
	n := t.sent
	t.sent++
	return sendRequest(t.sender, t.broadcast, t.request, n)
}

// sendRequest writes request to dst through sender, tagged with probe
// index n where the frame has room for the tag, and returns when it was
// handed to the kernel: stamped before the write, as ping does, so the
// round trip includes the send path rather than being shortened by it.
func sendRequest(sender socket, dst net.Addr, request []byte, n uint16) (time.Time, error) {
	if len(request) >= offTag+tagLen {
		binary.BigEndian.PutUint16(request[offTag+nonceLen:], n)
	}
	at := time.Now()
	if _, err := sender.WriteTo(request, dst); err != nil {
		return time.Time{}, err
	}
	return at, nil
}

// ReportsRequests tells the probe loop that Receive reports every request
// for the target leaving this host, ours and others', in wire order.
func (t *Transport) ReportsRequests() bool { return true }

// Receive returns the next reply, announcement or request about the target,
// skipping malformed and unrelated frames, or probe.ErrTimeout at the
// deadline. The answer's At is when the frame arrived (the kernel's receive
// timestamp).
func (t *Transport) Receive(deadline time.Time) (probe.Answer, error) {
	return rawsock.Receive(t.rd, deadline, t.decodeFn)
}

// decode reports what a frame means for the check, if anything.
func (t *Transport) decode(d rawsock.Datagram) (probe.Answer, bool) {
	f, ok := parseFrame(d.Data)
	if !ok {
		return probe.Answer{}, false
	}
	kind, p := t.classifier.classify(f)
	if kind == 0 {
		return probe.Answer{}, false
	}
	a := probe.Answer{Kind: kind, MAC: f.sha, At: d.At, Probe: p}
	if f.ethSrc != f.sha {
		a.Via = f.ethSrc
	}
	return a, true
}

// Interrupt makes a blocked Receive return probe.ErrTimeout at once.
func (t *Transport) Interrupt() { t.rd.Interrupt() }

// Close releases the sockets. It may be called more than once.
func (t *Transport) Close() error { return t.rd.Close() }

// ReceiveDrops returns how many frames the kernel dropped at the receiving
// socket because its queue was full (probe.DropCounter).
func (t *Transport) ReceiveDrops() (int, error) {
	s, ok := t.conn.(interface{ Stats() (*packet.Stats, error) })
	if !ok {
		return 0, errors.New("the socket keeps no statistics")
	}
	st, err := s.Stats()
	if err != nil {
		return 0, fmt.Errorf("reading the socket's statistics: %w", err)
	}
	return int(st.Drops), nil
}
