package ndpprobe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"github.com/mdlayher/ndp"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/demux"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ndppacket"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rangefilter"
	"github.com/check-arp/check_arp/internal/rawsock"
	"github.com/check-arp/check_arp/internal/tick"
)

// Group probes many IPv6 addresses on one interface from one source through
// one raw ICMPv6 socket, whose kernel filters pass the advertisements about
// the set. On each tick of the run's clock a Feed hands each advertisement
// to the endpoint of the address it is about, which classifies it exactly
// as a Transport of its own would; each endpoint is the probe.Transport of
// one address.
//
// Besides, as a lone Transport has one for its target, the group has one
// watch socket for the set (see watch.go): a packet socket whose filter
// passes the solicitations for the set's addresses leaving the host, read
// on the same ticks and counted by target, so that each address knows
// whether other processes asked for it (probe.RequestCounter). The unicast
// requests leave through it.
type Group struct {
	rd      *rawsock.Batch // the socket, sent on and read by feed
	feed    *demux.Feed
	members map[[16]byte]*member
	eps     []*demux.Endpoint // fed by feed

	watch   *rawsock.Batch // closed with rd
	ifIndex int
	mu      sync.Mutex // guards the counts and lost, and serializes the watch's reads
	// lost is set once the watch socket's queue overflowed: the counts
	// then miss solicitations, and which address they asked for is
	// unknown.
	lost bool
}

type member struct {
	ep         *demux.Endpoint
	classifier classifier
	// seen counts the solicitations for the address the watch socket
	// saw leave (under Group.mu); sent and unicastSent count those that
	// left through the watch socket itself, which does not see its own:
	// the multicast solicitations (frame, to frameDst) and the unicast
	// one (unicast, the probe loop's alone).
	seen        int
	frame       []byte
	frameDst    unix.RawSockaddrLinklayer
	sent        int
	unicast     []byte
	unicastSent int
}

// endpoint is one address's probe.Transport: its endpoint of the shared
// socket, and the count of the solicitations for it.
type endpoint struct {
	*demux.Endpoint
	g *Group
	m *member
}

// RequestsSeen returns how many solicitations for the address left the
// host since the group was opened, its own included, as a lone
// Transport's does (probe.RequestCounter). Its error says that the count
// is unknown.
func (e endpoint) RequestsSeen() (int, error) { return e.g.requestsSeen(e.m) }

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
	g := &Group{members: make(map[[16]byte]*member, len(targets)), ifIndex: ifi.Index}
	eps := make([]probe.Transport, 0, len(targets))
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
			frame:      multicastFrame(ifi.HardwareAddr, source, groupAddr, solicit),
			frameDst:   linkDst(ifi.Index, multicastMAC(groupAddr)),
			classifier: newClassifier(target, source, ifi.Index),
			unicast:    unicastFrame(ifi.HardwareAddr, source, target, solicit),
		}
		m.ep = demux.NewEndpoint(ctx, gate, false, func() (time.Time, error) { return g.send(m) }).
			WithUnicast(func(to mac.Addr) (time.Time, error) { return g.sendUnicast(m, to) })
		g.members[target.As16()] = m
		g.eps = append(g.eps, m.ep)
		eps = append(eps, endpoint{Endpoint: m.ep, g: g, m: m})
	}
	prog, err := setFilter(targets)
	if err != nil {
		return nil, nil, err
	}
	watchProg, err := watchSetFilter(targets)
	if err != nil {
		return nil, nil, err
	}
	watchFD, err := rawsock.ListenPacket(ifi, unix.ETH_P_ALL, watchProg)
	if err != nil {
		// errors.Is(err, os.ErrPermission) still tells a missing
		// CAP_NET_RAW, as for the ICMPv6 socket.
		return nil, nil, err
	}
	if g.watch, err = rawsock.NewBatch(watchFD, watchSnap, 0); err != nil {
		unix.Close(watchFD)
		return nil, nil, fmt.Errorf("the solicitation watch socket: %w", err)
	}
	fd, err := openSocketFiltered(ifi, source, prog)
	if err != nil {
		g.watch.Close()
		return nil, nil, err
	}
	// The ICMPv6 socket only receives: the Feed reads it on the clock.
	// The watch socket closes with the ICMPv6 socket, at the same time.
	if g.rd, err = rawsock.NewBatch(fd, bufLen, controlLen, g.watch); err != nil {
		unix.Close(fd)
		g.watch.Close()
		return nil, nil, fmt.Errorf("the ICMPv6 socket: %w", err)
	}
	// An advertisement per request of each address (the default three,
	// and the unicast one), and as many solicitations leaving.
	g.rd.SetBuffer(rawsock.PoolBuffer(4 * len(targets)))
	g.watch.SetBuffer(rawsock.PoolBuffer(4 * len(targets)))
	g.feed = demux.NewFeed(g.eps, demux.Source{Socket: g.rd, Dispatch: g.dispatch})
	return g, eps, nil
}

// sendUnicast sends m's unicast solicitation to the MAC to alone, as a
// lone Transport's SendUnicast does, through the watch socket.
func (g *Group) sendUnicast(m *member, to mac.Addr) (time.Time, error) {
	copy(m.unicast[0:6], to[:])
	at, err := g.sendFrame(m.unicast, linkDst(g.ifIndex, to))
	if err != nil {
		return time.Time{}, fmt.Errorf("sending the unicast neighbor solicitation: %w", err)
	}
	g.mu.Lock()
	m.unicastSent++
	g.mu.Unlock()
	return at, nil
}

// sendFrame sends an Ethernet frame to dst through the watch socket,
// without waiting if it can (see rawsock.SendTo), and returns when it was
// handed to the kernel.
func (g *Group) sendFrame(frame []byte, dst unix.RawSockaddrLinklayer) (at time.Time, err error) {
	if cerr := g.watch.Control(func(fd int) {
		at = time.Now()
		err = rawsock.SendTo(uintptr(fd), frame, unsafe.Pointer(&dst), unix.SizeofSockaddrLinklayer)
		if errors.Is(err, unix.EAGAIN) {
			// The socket's buffer is full: wait for room, as the
			// blocking socket does.
			at = time.Now()
			err = unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Protocol: dst.Protocol, Ifindex: int(dst.Ifindex), Halen: 6, Addr: dst.Addr})
		}
	}); cerr != nil {
		return time.Time{}, cerr
	}
	return at, err
}

// linkDst is the packet socket address of the MAC to on the interface with
// index ifIndex, for an IPv6 frame.
func linkDst(ifIndex int, to mac.Addr) unix.RawSockaddrLinklayer {
	dst := unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Protocol: rawsock.Htons(etherTypeIPv6), Ifindex: int32(ifIndex), Halen: 6}
	copy(dst.Addr[:], to[:])
	return dst
}

// multicastMAC is the Ethernet address of the IPv6 multicast group
// (RFC 2464: 33:33 and the group's last 32 bits).
func multicastMAC(group netip.Addr) mac.Addr {
	g := group.As16()
	return mac.Addr{0x33, 0x33, g[12], g[13], g[14], g[15]}
}

// multicastFrame builds the Ethernet frame of the multicast neighbor
// solicitation for a target from source to its solicited-node group, with
// solicit (the ICMPv6 message, checksum zero) as its payload, as the
// kernel sends it for a raw ICMPv6 socket.
func multicastFrame(local net.HardwareAddr, source, group netip.Addr, solicit []byte) []byte {
	dst := multicastMAC(group)
	frame := make([]byte, ethHeaderLen, ethHeaderLen+ndppacket.HeaderLen+len(solicit))
	copy(frame[0:6], dst[:])
	copy(frame[6:12], local)
	binary.BigEndian.PutUint16(frame[offEtherType:], etherTypeIPv6)
	return ndppacket.Append(frame, source, group, solicit)
}

// requestsSeen is m's count of solicitations (see endpoint.RequestsSeen):
// what the watch socket saw leave until now.
func (g *Group) requestsSeen(m *member) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.countLocked()
	// The kernel counts what the full queue dropped since the last look.
	var (
		drops   uint32
		unknown bool
	)
	if err := g.watch.Control(func(fd int) { drops, unknown = packetDrops(fd) }); err != nil || unknown || drops > 0 {
		g.lost = true
	}
	if g.lost {
		return 0, errors.New("the solicitation watch socket's queue overflowed")
	}
	return m.seen + m.sent + m.unicastSent, nil
}

// count reads the watch socket on the clock's ticks.
func (g *Group) count(time.Time) {
	g.mu.Lock()
	g.countLocked()
	g.mu.Unlock()
}

// countLocked counts the solicitations queued on the watch socket by their
// target. g.mu is held.
func (g *Group) countLocked() {
	_ = g.watch.Drain(func(d rawsock.Datagram) {
		if len(d.Data) < offWatchTarget+16 {
			return
		}
		if m := g.members[[16]byte(d.Data[offWatchTarget:])]; m != nil {
			m.seen++
		}
	})
}

// packetDrops returns how many frames the packet socket fd dropped since
// the last call (the kernel resets the count), and whether the count is
// unknown. The call never waits, so it bypasses the Go scheduler: on the
// pool's clock every announced system call woke the runtime's monitor
// thread (see rawsock.SendTo).
func packetDrops(fd int) (drops uint32, unknown bool) {
	var st unix.TpacketStats
	size := uint32(unsafe.Sizeof(st))
	_, _, errno := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS, uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return 0, true
	}
	return st.Drops, false
}

// send multicasts m's solicitation to its solicited-node group, as a
// prebuilt frame through the watch socket: through the raw ICMPv6 socket
// the kernel's IPv6 output path (a route, a neighbour entry per group,
// multicast output) was a tenth of a large pool's CPU time. The source was
// checked when the path was found (netpath refuses a tentative one).
func (g *Group) send(m *member) (time.Time, error) {
	at, err := g.sendFrame(m.frame, m.frameDst)
	if err != nil {
		return time.Time{}, fmt.Errorf("sending the neighbor solicitation: %w", err)
	}
	g.mu.Lock()
	m.sent++
	g.mu.Unlock()
	return at, nil
}

// Start reads advertisements on clock's ticks and hands them to the
// endpoints, and counts the solicitations leaving, until Close.
func (g *Group) Start(clock *tick.Clock) {
	clock.OnTick(g.count)
	g.feed.Start(clock)
}

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
	first, words, shared := setWords(targets)
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

// setWords returns the first address of targets, the last 32 bits of
// each, and whether they all share their first 96 bits.
func setWords(targets []netip.Addr) (first [16]byte, words []uint32, shared bool) {
	first = targets[0].As16()
	words = make([]uint32, 0, len(targets))
	shared = true
	for _, t := range targets {
		b := t.As16()
		if [12]byte(b[:12]) != [12]byte(first[:12]) {
			shared = false
		}
		words = append(words, binary.BigEndian.Uint32(b[12:]))
	}
	return first, words, shared
}

// Where the watch socket finds a solicitation's target, and how much of
// each frame it keeps: up to the target's end.
const (
	offWatchTarget = offICMPv6 + offTarget
	watchSnap      = offWatchTarget + 16
)

// watchSetFilter returns a classic BPF program like watchFilter's for a
// set of addresses: outgoing solicitations whose target is in the set,
// tested as setFilter tests advertisements (for a set beyond one /96,
// every outgoing solicitation, which the drain then sorts out).
func watchSetFilter(targets []netip.Addr) ([]bpf.RawInstruction, error) {
	first, words, shared := setWords(targets)
	runs := rangefilter.Runs(words)
	// Layout: the direction, EtherType, next header and ICMPv6 type
	// tests, each failing to drop; for a shared /96 the three prefix
	// words (mismatch: drop) and the runs of the last word (in one:
	// accept); then drop and accept, or, for any other set, accept and
	// drop.
	const header = 8
	drop, accept := header+1, header
	if shared {
		drop = header + 3*2 + 1 + 2*len(runs)
		accept = drop + 1
	}
	skip := func(at, to int) uint8 { return uint8(to - at - 1) }
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.PACKET_OUTGOING, SkipTrue: skip(1, drop)},
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeIPv6, SkipTrue: skip(3, drop)},
		bpf.LoadAbsolute{Off: offNextHeader, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: protoICMPv6, SkipTrue: skip(5, drop)},
		bpf.LoadAbsolute{Off: offICMPv6 + offType, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: icmpTypeNS, SkipTrue: skip(7, drop)},
	}
	if shared {
		for i := range 3 {
			prog = append(prog, bpf.LoadAbsolute{Off: offWatchTarget + uint32(4*i), Size: 4})
			at := len(prog)
			prog = append(prog, bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: binary.BigEndian.Uint32(first[4*i:]), SkipTrue: skip(at, drop)})
		}
		prog = append(prog, bpf.LoadAbsolute{Off: offWatchTarget + 12, Size: 4})
		prog = rangefilter.AppendTests(prog, runs, accept)
		prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: watchSnap})
	} else {
		prog = append(prog, bpf.RetConstant{Val: watchSnap}, bpf.RetConstant{Val: 0})
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assembling the solicitation filter: %w", err)
	}
	return raw, nil
}
