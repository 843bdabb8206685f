package arpprobe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/demux"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rangefilter"
	"github.com/check-arp/check_arp/internal/rawsock"
	"github.com/check-arp/check_arp/internal/tick"
)

// Group probes many IPv4 addresses on one interface from one source through
// one pair of sockets: a receiving socket whose kernel filter passes the
// ARP frames about the set, and a sending socket. A reader goroutine hands
// each frame to the endpoint of every address it is about (its sender and
// its target address), which classifies it exactly as a Transport of its
// own would; each endpoint is the probe.Transport of one address.
type Group struct {
	feed    *demux.Feed
	sender  socket
	raw     syscall.RawConn           // sender's, to send without waiting
	rawDst  unix.RawSockaddrLinklayer // dst for rawsock.SendTo
	dst     net.Addr
	members map[[4]byte]*member
	eps     []*demux.Endpoint // fed by feed
}

type member struct {
	ep         *demux.Endpoint
	request    []byte
	sent       uint16
	classifier classifier
}

// OpenGroup opens the sockets for targets (IPv4, distinct) on ifi, sending
// from source, and returns the group and one endpoint per target, in the
// order given. Requests wait for gate; they stop at ctx's end. Start must
// be called to start reading.
func OpenGroup(ctx context.Context, ifi *net.Interface, source netip.Addr, targets []netip.Addr, gate *pace.Gate) (*Group, []probe.Transport, error) {
	local, err := mac.OfInterface(ifi)
	if err != nil {
		return nil, nil, err
	}
	var nonce [nonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, nil, fmt.Errorf("making the request tag: %w", err)
	}
	g := &Group{
		dst:     &packet.Addr{HardwareAddr: ethernet.Broadcast},
		members: make(map[[4]byte]*member, len(targets)),
	}
	for _, target := range targets {
		if !target.Is4() || !source.Is4() {
			return nil, nil, fmt.Errorf("ARP needs IPv4 addresses, got target %s and source %s", target, source)
		}
		frame, err := requestFrame(ifi.HardwareAddr, source, target, nonce)
		if err != nil {
			return nil, nil, err
		}
		m := &member{request: frame, classifier: newClassifier(target, source, local, nonce)}
		m.ep = demux.NewEndpoint(ctx, gate, true, func() (time.Time, error) { return g.send(m) }).
			WithUnicast(func(to mac.Addr) (time.Time, error) { return g.sendUnicast(m, to) })
		g.members[target.As4()] = m
		g.eps = append(g.eps, m.ep)
	}
	filter, err := setFilter(targets)
	if err != nil {
		return nil, nil, err
	}
	fd, err := rawsock.ListenPacket(ifi, unix.ETH_P_ALL, filter)
	if err != nil {
		return nil, nil, err
	}
	sender, err := listen(ifi, unix.ETH_P_ARP, []bpf.RawInstruction{{Op: bpfRet, K: 0}})
	if err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	g.sender = sender
	if g.raw, err = sender.SyscallConn(); err != nil {
		unix.Close(fd)
		sender.Close()
		return nil, nil, fmt.Errorf("raw access to the ARP socket: %w", err)
	}
	g.rawDst = unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Protocol: rawsock.Htons(unix.ETH_P_ARP), Ifindex: int32(ifi.Index), Halen: 6}
	copy(g.rawDst.Addr[:], ethernet.Broadcast)
	rd, err := rawsock.NewBatch(fd, snapLen, 0, sender)
	if err != nil {
		unix.Close(fd)
		sender.Close()
		return nil, nil, fmt.Errorf("the ARP socket: %w", err)
	}
	rd.SetBuffer(rawsock.PoolBuffer(2 * len(targets) * (expectedRequests + 1)))
	g.feed = demux.NewFeed(g.eps, demux.Source{Socket: rd, Dispatch: g.dispatch})
	return g, demux.Transports(g.eps), nil
}

// requestFrame builds the broadcast request for target, tagged with the
// run's nonce (the probe index is written at each send).
func requestFrame(hw net.HardwareAddr, source, target netip.Addr, nonce [nonceLen]byte) ([]byte, error) {
	s, t := source.As4(), target.As4()
	f := make([]byte, offTag+tagLen)
	copy(f[offEthDst:], ethernet.Broadcast)
	copy(f[offEthSrc:], hw)
	binary.BigEndian.PutUint16(f[offEtherType:], etherTypeARP)
	binary.BigEndian.PutUint16(f[offHType:], htypeEthernet)
	binary.BigEndian.PutUint16(f[offPType:], etherTypeIPv4)
	f[offHLen], f[offPLen] = 6, 4
	binary.BigEndian.PutUint16(f[offOp:], opRequest)
	copy(f[offSHA:], hw)
	copy(f[offSPA:], s[:])
	// The target hardware address stays zero, as in Open.
	copy(f[offTPA:], t[:])
	copy(f[offTag:], nonce[:])
	return f, nil
}

// send broadcasts m's next request, tagged with its probe index: without
// waiting if it can (see rawsock.SendTo), else as a lone Transport does.
func (g *Group) send(m *member) (time.Time, error) {
	n := m.sent
	m.sent++
	binary.BigEndian.PutUint16(m.request[offTag+nonceLen:], n)
	var (
		at  time.Time
		err error
	)
	if cerr := g.raw.Control(func(fd uintptr) {
		at = time.Now()
		err = rawsock.SendTo(fd, m.request, unsafe.Pointer(&g.rawDst), unix.SizeofSockaddrLinklayer)
	}); cerr != nil {
		return time.Time{}, fmt.Errorf("sending on the ARP socket: %w", cerr)
	}
	if errors.Is(err, unix.EAGAIN) {
		return sendRequest(g.sender, g.dst, m.request, n)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sending an ARP request: %w", err)
	}
	return at, nil
}

// sendUnicast sends m's unicast request to the MAC to alone, as a lone
// Transport's SendUnicast does: the reader sees it leave, tagged past
// every probe.
func (g *Group) sendUnicast(m *member, to mac.Addr) (time.Time, error) {
	return sendUnicast(g.sender, m.request, to)
}

// Start reads frames on clock's ticks and hands them to the endpoints until
// Close.
func (g *Group) Start(clock *tick.Clock) { g.feed.Start(clock) }

// dispatch hands a frame to the endpoints of its sender and target
// address, each of which decides what it means, as a lone Transport's
// decode does.
func (g *Group) dispatch(d rawsock.Datagram) {
	f, ok := parseFrame(d.Data)
	if !ok {
		return
	}
	for i, addr := range [2][4]byte{f.spa, f.tpa} {
		if i == 1 && f.tpa == f.spa {
			break
		}
		m := g.members[addr]
		if m == nil {
			continue
		}
		kind, p := m.classifier.classify(f)
		if kind == 0 {
			continue
		}
		a := probe.Answer{Kind: kind, MAC: f.sha, At: d.At, Probe: p}
		if f.ethSrc != f.sha {
			a.Via = f.ethSrc
		}
		m.ep.Deliver(a)
	}
}

// Close stops the reader and closes the sockets.
func (g *Group) Close() error { return g.feed.Close() }

// expectedRequests is how many broadcast requests per address a group
// sizes its receive buffer for (the default schedule), besides the
// unicast one.
const expectedRequests = 3

// setFilter returns a classic BPF program like targetFilter's for a set of
// addresses: ARP frames outside a VLAN whose sender or target protocol
// address is in the set (or, for a scattered set, in its covering range).
func setFilter(targets []netip.Addr) ([]bpf.RawInstruction, error) {
	words := make([]uint32, 0, len(targets))
	for _, t := range targets {
		b := t.As4()
		words = append(words, binary.BigEndian.Uint32(b[:]))
	}
	runs := rangefilter.Runs(words)
	// Layout: the VLAN and EtherType checks; for each field its load and
	// two tests per run (below the run: on to the next run, else at most
	// its end: accept); then drop, then accept.
	perField := 1 + 2*len(runs)
	drop := 5 + 2*perField
	accept := drop + 1
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtVLANTag}, // 0 without a tag
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: vlanIDMask},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0, SkipTrue: uint8(drop - 3)},
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeARP, SkipTrue: uint8(drop - 5)},
	}
	for _, off := range []uint32{offSPA, offTPA} {
		prog = append(prog, bpf.LoadAbsolute{Off: off, Size: 4})
		prog = rangefilter.AppendTests(prog, runs, accept)
	}
	prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: snapLen})
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assembling the socket filter: %w", err)
	}
	return raw, nil
}
