package ndpprobe

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/ndp"
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

// Group probes many IPv6 addresses on one interface from one source through
// one raw ICMPv6 socket, whose kernel filters pass the advertisements about
// the set. A reader goroutine hands each advertisement to the endpoint of
// the address it is about, which classifies it exactly as a Transport of
// its own would; each endpoint is the probe.Transport of one address.
type Group struct {
	rd      *rawsock.Batch // the socket, sent on and read by feed
	feed    *demux.Feed
	members map[[16]byte]*member
	eps     []*demux.Endpoint // fed by feed
}

type member struct {
	ep         *demux.Endpoint
	solicit    *solicitation
	classifier classifier
}

// OpenGroup opens the socket for targets (IPv6, distinct) on ifi, sending
// from source, and returns the group and one endpoint per target, in the
// order given. Requests wait for gate; they stop at ctx's end. Start must
// be called to start reading.
func OpenGroup(ctx context.Context, ifi *net.Interface, source netip.Addr, targets []netip.Addr, gate *pace.Gate) (*Group, []probe.Transport, error) {
	if _, err := mac.OfInterface(ifi); err != nil {
		return nil, nil, err
	}
	source = source.WithZone("")
	if !source.Is6() || source.Is4In6() || source.IsUnspecified() {
		return nil, nil, fmt.Errorf("NDP needs an IPv6 source address, got %s", source)
	}
	g := &Group{members: make(map[[16]byte]*member, len(targets))}
	for _, target := range targets {
		target = target.WithZone("")
		if !target.Is6() || target.Is4In6() {
			return nil, nil, fmt.Errorf("NDP needs IPv6 addresses, got target %s", target)
		}
		groupAddr, err := ndp.SolicitedNodeMulticast(target)
		if err != nil {
			return nil, nil, fmt.Errorf("solicited-node multicast address of %s: %w", target, err)
		}
		solicit, err := ndp.MarshalMessage(&ndp.NeighborSolicitation{
			TargetAddress: target,
			Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: ifi.HardwareAddr}},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("encoding the neighbor solicitation: %w", err)
		}
		m := &member{
			solicit:    newSolicitation(solicit, &unix.SockaddrInet6{Addr: groupAddr.As16(), ZoneId: uint32(ifi.Index)}),
			classifier: newClassifier(target, source, ifi.Index),
		}
		m.ep = demux.NewEndpoint(ctx, gate, false, func() (time.Time, error) { return g.send(m) })
		g.members[target.As16()] = m
		g.eps = append(g.eps, m.ep)
	}
	prog, err := setFilter(targets)
	if err != nil {
		return nil, nil, err
	}
	fd, err := openSocketFiltered(ifi, source, prog)
	if err != nil {
		return nil, nil, err
	}
	// The Feed reads it without waiting; a send waits for room in the
	// socket's buffer, as the lone Transport's does.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("the ICMPv6 socket: %w", err)
	}
	if g.rd, err = rawsock.NewBatch(fd, bufLen, controlLen); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("the ICMPv6 socket: %w", err)
	}
	// An advertisement per request of each address (the default three).
	g.rd.SetBuffer(rawsock.PoolBuffer(3 * len(targets)))
	g.feed = demux.NewFeed(g.eps, demux.Source{Socket: g.rd, Dispatch: g.dispatch})
	return g, demux.Transports(g.eps), nil
}

// send multicasts m's solicitation to its solicited-node group.
func (g *Group) send(m *member) (time.Time, error) {
	var (
		at  time.Time
		err error
	)
	if cerr := g.rd.Control(func(fd int) { at, err = m.solicit.sendOn(fd) }); cerr != nil {
		return time.Time{}, fmt.Errorf("sending on the ICMPv6 socket: %w", cerr)
	}
	return at, err
}

// Start reads advertisements on clock's ticks and hands them to the
// endpoints until Close.
func (g *Group) Start(clock *tick.Clock) { g.feed.Start(clock) }

// dispatch hands an advertisement to the endpoint of its target address,
// which decides what it means, as a lone Transport's decode does.
func (g *Group) dispatch(d rawsock.Datagram) {
	a, ok := parseAdvert(d.Data)
	if !ok {
		return
	}
	m := g.members[a.target]
	if m == nil {
		return
	}
	if kind := m.classifier.classify(a, parseControl(d.Control)); kind != 0 {
		m.ep.Deliver(probe.Answer{Kind: kind, MAC: a.tlla, At: d.At})
	}
}

// Close stops the reader and closes the socket.
func (g *Group) Close() error { return g.feed.Close() }

// setFilter returns a classic BPF program like targetFilter's for a set of
// addresses: advertisements whose target is in the set. When the set's
// addresses share their first 96 bits (any pool within a /96) the filter
// tests those and the runs of the last 32 bits (for a scattered set, their
// covering range); otherwise it passes every advertisement and the reader
// drops those about other addresses.
func setFilter(targets []netip.Addr) ([]bpf.RawInstruction, error) {
	first := targets[0].As16()
	words := make([]uint32, 0, len(targets))
	shared := true
	for _, t := range targets {
		b := t.As16()
		if [12]byte(b[:12]) != [12]byte(first[:12]) {
			shared = false
		}
		words = append(words, binary.BigEndian.Uint32(b[12:]))
	}
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offType, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: icmpTypeNA, SkipTrue: 1},
		bpf.RetConstant{Val: 0},
	}
	if shared {
		runs := rangefilter.Runs(words)
		// Three prefix words, each: load, mismatch -> drop; the last
		// word's runs, each: below -> next run, at most its end ->
		// accept; then drop, then accept.
		drop := len(prog) + 3*2 + 1 + 2*len(runs)
		accept := drop + 1
		for i := range 3 {
			w := binary.BigEndian.Uint32(first[4*i:])
			prog = append(prog, bpf.LoadAbsolute{Off: offTarget + uint32(4*i), Size: 4})
			at := len(prog)
			prog = append(prog, bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: w, SkipTrue: uint8(drop - at - 1)})
		}
		prog = append(prog, bpf.LoadAbsolute{Off: offTarget + 12, Size: 4})
		prog = rangefilter.AppendTests(prog, runs, accept)
		prog = append(prog, bpf.RetConstant{Val: 0})
	}
	prog = append(prog, bpf.RetConstant{Val: bufLen})
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assembling the socket filter: %w", err)
	}
	return raw, nil
}
