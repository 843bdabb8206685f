// Command arpresponder is the lab's scriptable neighbor responder: it
// answers ARP requests for one IPv4 address, or IPv6 Neighbor
// Solicitations for one IPv6 address, in ways a kernel will not (late, from
// a MAC that changes from request to request, with gratuitous ARP or
// unsolicited neighbor advertisements), so that the check's verdicts on
// those cases can be tested end to end. With -metallb it behaves as
// MetalLB's layer-2 speaker does (see there). It runs inside a lab
// namespace only and exits by itself after -lifetime.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "arpresponder:", err)
		os.Exit(1)
	}
}

// responder speaks one protocol for one address.
type responder interface {
	// next blocks until a request for the address arrives and returns the
	// function that answers it from a given MAC.
	next() (reply func(from net.HardwareAddr) error, err error)
	// announce claims the address for a MAC, unsolicited, to everyone.
	announce(m net.HardwareAddr) error
	// takeover sends one round of the announcements a new MetalLB leader
	// sends: for ARP a gratuitous request and a gratuitous reply, for NDP
	// one unsolicited advertisement.
	takeover(m net.HardwareAddr) error
	Close() error
}

func run() error {
	var (
		ifName   = flag.String("i", "eth0", "interface to answer on")
		ipStr    = flag.String("ip", "", "address to answer for: IPv4 (ARP) or IPv6 (NDP)")
		macList  = flag.String("macs", "", "comma-separated MACs: the n-th request is answered from the n-th MAC, the last one sticks")
		delay    = flag.Duration("delay", 0, "wait this long before each reply")
		announce = flag.String("announce", "", "MAC to send one gratuitous ARP (unsolicited neighbor advertisement) from, -announce-after the first request")
		annAfter = flag.Duration("announce-after", 20*time.Millisecond, "when to send the announcement")
		idle     = flag.Duration("reset-after", 500*time.Millisecond, "start the MAC sequence again after this long without requests")
		lifetime = flag.Duration("lifetime", 10*time.Minute, "exit after this long")
		lagMin   = flag.Duration("lag-min", 0, "with -lag-max: each reply waits a random lag in [lag-min, lag-max], and replies leave in turn, so a burst of requests puts them behind (a userspace responder under load)")
		lagMax   = flag.Duration("lag-max", 0, "see -lag-min")
		metallb  = flag.Bool("metallb", false, "behave as MetalLB's layer-2 speaker: answer ARP requests only when broadcast or sent to this interface's MAC, and send solicited advertisements without the Override flag")
		rounds   = flag.Int("takeover-rounds", 0, "on start, announce the address from the first -macs MAC this many times, as a new MetalLB leader does (ARP: two frames per round, NDP: one)")
		every    = flag.Duration("takeover-every", 1100*time.Millisecond, "time between takeover rounds")
		tkAfter  = flag.Duration("takeover-after", 0, "wait this long after start before the first takeover round")
		seed     = flag.Uint64("seed", 0, "seed of the lag's randomness (0: from the clock)")
	)
	flag.Parse()
	if *lagMax < *lagMin {
		return fmt.Errorf("-lag-max %v is shorter than -lag-min %v", *lagMax, *lagMin)
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(*seed, 0))
	target, err := netip.ParseAddr(*ipStr)
	if err != nil {
		return fmt.Errorf("-ip %q: need an IPv4 or IPv6 address", *ipStr)
	}
	var macs []net.HardwareAddr
	for _, s := range strings.Split(*macList, ",") {
		m, err := net.ParseMAC(s)
		if err != nil {
			return fmt.Errorf("-macs: %w", err)
		}
		macs = append(macs, m)
	}
	var annMAC net.HardwareAddr
	if *announce != "" {
		if annMAC, err = net.ParseMAC(*announce); err != nil {
			return fmt.Errorf("-announce: %w", err)
		}
	}
	ifi, err := net.InterfaceByName(*ifName)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(*lifetime)
	var r responder
	if target.Is4() {
		r, err = newARP(ifi, target, deadline, *metallb)
	} else {
		r, err = newNDP(ifi, target, deadline, *metallb)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Println("ready")

	var (
		mu        sync.Mutex
		n         int
		last      time.Time
		lastReply time.Time // when the latest scheduled reply leaves
		pending   sync.WaitGroup
	)
	defer pending.Wait()
	if *rounds > 0 {
		pending.Add(1)
		go func() {
			defer pending.Done()
			time.Sleep(*tkAfter)
			for i := range *rounds {
				if i > 0 {
					time.Sleep(*every)
				}
				mu.Lock()
				err := r.takeover(macs[0])
				mu.Unlock()
				if err != nil {
					fmt.Fprintln(os.Stderr, "arpresponder: takeover:", err)
				}
			}
		}()
	}
	for {
		reply, err := r.next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return err
		}
		now := time.Now()
		if now.Sub(last) > *idle {
			n = 0
		}
		last = now
		from := macs[min(n, len(macs)-1)]
		first := n == 0
		n++
		wait := *delay
		if *lagMax > 0 {
			// In turn, like one goroutine answering from a queue: a
			// reply never overtakes the one before it.
			lag := *lagMin + time.Duration(rng.Int64N(int64(*lagMax-*lagMin)+1))
			at := now.Add(wait + lag)
			if at.Before(lastReply) {
				at = lastReply.Add(10 * time.Microsecond)
			}
			lastReply = at
			wait = at.Sub(now)
		}
		pending.Add(1)
		time.AfterFunc(wait, func() {
			defer pending.Done()
			mu.Lock()
			defer mu.Unlock()
			if err := reply(from); err != nil {
				fmt.Fprintln(os.Stderr, "arpresponder: reply:", err)
			}
		})
		if first && annMAC != nil {
			pending.Add(1)
			time.AfterFunc(*annAfter, func() {
				defer pending.Done()
				mu.Lock()
				defer mu.Unlock()
				if err := r.announce(annMAC); err != nil {
					fmt.Fprintln(os.Stderr, "arpresponder: announce:", err)
				}
			})
		}
	}
}

// arpResponder answers ARP requests.
type arpResponder struct {
	c      *arp.Client
	target netip.Addr
	// own is the interface's MAC when only broadcast requests and those
	// sent to it are answered, as MetalLB's speaker does.
	own net.HardwareAddr
}

func newARP(ifi *net.Interface, target netip.Addr, deadline time.Time, metallb bool) (*arpResponder, error) {
	conn, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
	if err != nil {
		return nil, err
	}
	c, err := arp.New(ifi, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.SetReadDeadline(deadline); err != nil {
		c.Close()
		return nil, err
	}
	r := &arpResponder{c: c, target: target}
	if metallb {
		r.own = ifi.HardwareAddr
	}
	return r, nil
}

func (r *arpResponder) next() (func(net.HardwareAddr) error, error) {
	for {
		req, frame, err := r.c.Read()
		if err != nil {
			return nil, err
		}
		if req.Operation != arp.OperationRequest || req.TargetIP != r.target || req.SenderIP == r.target {
			continue
		}
		if r.own != nil && !bytes.Equal(frame.Destination, ethernet.Broadcast) && !bytes.Equal(frame.Destination, r.own) {
			continue
		}
		return func(from net.HardwareAddr) error { return r.c.Reply(req, from, r.target) }, nil
	}
}

func (r *arpResponder) announce(m net.HardwareAddr) error {
	garp, err := arp.NewPacket(arp.OperationReply, m, r.target, ethernet.Broadcast, r.target)
	if err != nil {
		return err
	}
	return r.c.WriteTo(garp, ethernet.Broadcast)
}

func (r *arpResponder) takeover(m net.HardwareAddr) error {
	for _, op := range []arp.Operation{arp.OperationRequest, arp.OperationReply} {
		garp, err := arp.NewPacket(op, m, r.target, ethernet.Broadcast, r.target)
		if err != nil {
			return err
		}
		if err := r.c.WriteTo(garp, ethernet.Broadcast); err != nil {
			return err
		}
	}
	return nil
}

func (r *arpResponder) Close() error { return r.c.Close() }

// ndpResponder answers Neighbor Solicitations as a MetalLB speaker does:
// only those with a source link-layer address, with a solicited
// advertisement that carries the MAC in its target link-layer address
// option, sent to the solicitor. It joins the target's solicited-node
// group and does not own the target address, so the kernel never hands it
// a solicitation sent unicast to the target: as MetalLB's speaker, it
// answers multicast solicitations only (upstream issue metallb#2920).
// override is false for MetalLB's solicited advertisements, which do not
// set the Override flag.
//
// Without -metallb it answers as a host that owns the address does, also
// solicitations sent unicast to the address (neighbor unreachability
// detection): it reads them from a packet socket, since the kernel hands
// a raw socket only packets for its own addresses, and sends its
// advertisements from the MAC they claim, as the ARP responder does, so
// that the switch forwards a unicast solicitation to that MAC here.
type ndpResponder struct {
	c        *ndp.Conn
	target   netip.Addr
	override bool
	wire     *packet.Conn // without -metallb: every solicitation on the link
	buf      []byte
}

var allNodes = netip.MustParseAddr("ff02::1")

func newNDP(ifi *net.Interface, target netip.Addr, deadline time.Time, metallb bool) (*ndpResponder, error) {
	c, _, err := ndp.Listen(ifi, ndp.LinkLocal)
	if err != nil {
		return nil, err
	}
	group, err := ndp.SolicitedNodeMulticast(target)
	if err == nil {
		err = c.JoinGroup(group)
	}
	if err == nil {
		err = c.SetReadDeadline(deadline)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	r := &ndpResponder{c: c, target: target, override: !metallb}
	if !metallb {
		if r.wire, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_IPV6, nil); err == nil {
			err = r.wire.SetReadDeadline(deadline)
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		r.buf = make([]byte, 1514)
	}
	return r, nil
}

// read returns the next neighbor discovery message and its source: from
// the ICMPv6 socket, or without -metallb from the packet socket, which
// also sees solicitations sent unicast to the target.
func (r *ndpResponder) read() (ndp.Message, netip.Addr, error) {
	if r.wire == nil {
		m, _, src, err := r.c.ReadFrom()
		return m, src, err
	}
	for {
		n, _, err := r.wire.ReadFrom(r.buf)
		if err != nil {
			return nil, netip.Addr{}, err
		}
		// Ethernet, then an IPv6 header without extensions carrying
		// ICMPv6.
		if n < 14+40+24 || r.buf[14+6] != 58 {
			continue
		}
		src, _ := netip.AddrFromSlice(r.buf[14+8 : 14+24])
		m, err := ndp.ParseMessage(r.buf[14+40 : n])
		if err != nil {
			continue
		}
		return m, src, nil
	}
}

func (r *ndpResponder) next() (func(net.HardwareAddr) error, error) {
	for {
		m, src, err := r.read()
		if err != nil {
			return nil, err
		}
		ns, ok := m.(*ndp.NeighborSolicitation)
		if !ok || ns.TargetAddress != r.target || src.IsUnspecified() || !hasSourceLLA(ns) {
			continue
		}
		solicitor := sourceLLA(ns)
		return func(from net.HardwareAddr) error {
			if r.wire != nil {
				return r.advertiseFrom(from, true, src, solicitor)
			}
			return r.advertise(from, true, src)
		}, nil
	}
}

// advertiseFrom sends the advertisement as an Ethernet frame from m to
// the MAC dst.
func (r *ndpResponder) advertiseFrom(m net.HardwareAddr, solicited bool, to netip.Addr, dst net.HardwareAddr) error {
	msg, err := ndp.MarshalMessageChecksum(&ndp.NeighborAdvertisement{
		Solicited:     solicited,
		Override:      !solicited || r.override,
		TargetAddress: r.target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: m}},
	}, r.target, to)
	if err != nil {
		return err
	}
	frame := make([]byte, 14+40, 14+40+len(msg))
	copy(frame[0:6], dst)
	copy(frame[6:12], m)
	frame[12], frame[13] = 0x86, 0xdd
	frame[14] = 6 << 4
	binary.BigEndian.PutUint16(frame[14+4:], uint16(len(msg)))
	frame[14+6], frame[14+7] = 58, 255
	src, dest := r.target.As16(), to.As16()
	copy(frame[14+8:], src[:])
	copy(frame[14+24:], dest[:])
	frame = append(frame, msg...)
	_, err = r.wire.WriteTo(frame, &packet.Addr{HardwareAddr: dst})
	return err
}

// sourceLLA returns a solicitation's source link-layer address.
func sourceLLA(ns *ndp.NeighborSolicitation) net.HardwareAddr {
	for _, o := range ns.Options {
		if l, ok := o.(*ndp.LinkLayerAddress); ok && l.Direction == ndp.Source {
			return l.Addr
		}
	}
	return nil
}

func (r *ndpResponder) announce(m net.HardwareAddr) error {
	if r.wire != nil {
		return r.advertiseFrom(m, false, allNodes, net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1})
	}
	return r.advertise(m, false, allNodes)
}

func (r *ndpResponder) takeover(m net.HardwareAddr) error { return r.announce(m) }

func (r *ndpResponder) advertise(m net.HardwareAddr, solicited bool, to netip.Addr) error {
	return r.c.WriteTo(&ndp.NeighborAdvertisement{
		Solicited:     solicited,
		Override:      !solicited || r.override,
		TargetAddress: r.target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: m}},
	}, nil, to)
}

func (r *ndpResponder) Close() error {
	if r.wire != nil {
		r.wire.Close()
	}
	return r.c.Close()
}

func hasSourceLLA(ns *ndp.NeighborSolicitation) bool {
	for _, o := range ns.Options {
		if l, ok := o.(*ndp.LinkLayerAddress); ok && l.Direction == ndp.Source {
			return true
		}
	}
	return false
}
