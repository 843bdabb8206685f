// Command arpflood is the lab's hostile neighbour: it floods ARP replies
// claiming one address from random MACs, sends malformed and misleading
// ARP frames at a client, or announces an address inside an 802.1Q VLAN,
// as a trunk delivers another VLAN's traffic to its parent interface, so
// that tests can show the check holds its deadline, its memory and its
// verdict. It runs inside a lab namespace only, and stops by itself after
// -for.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/ndppacket"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "arpflood:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		ifName   = flag.String("i", "eth0", "interface to send on")
		claim    = flag.String("claim", "", "address the frames claim")
		toMAC    = flag.String("to-mac", "", "client MAC to send to")
		toIP     = flag.String("to-ip", "", "client address to send to")
		mode     = flag.String("mode", "flood", "flood: replies from random MACs; junk: one round of malformed and misleading frames per -every; spoof: one reply claiming -as per -every, sent from this host's MAC; vlan: one announcement of -claim (IPv4: gratuitous ARP, IPv6: unsolicited neighbor advertisement) from -as per -every, broadcast in VLAN -vlan")
		as       = flag.String("as", "", "spoof, vlan: the MAC the frames claim")
		vlan     = flag.Int("vlan", 100, "vlan: the 802.1Q VLAN ID to tag frames with; 0 sends a priority tag only, -1 no tag")
		rate     = flag.Int("rate", 50000, "flood: frames per second")
		every    = flag.Duration("every", 20*time.Millisecond, "junk: time between rounds")
		duration = flag.Duration("for", 3*time.Second, "stop after this long")
	)
	flag.Parse()
	target, err := netip.ParseAddr(*claim)
	if err != nil || !(target.Is4() || *mode == "vlan" && target.Is6()) {
		return fmt.Errorf("-claim %q: need an IPv4 address (or IPv6 with -mode vlan)", *claim)
	}
	client, err := netip.ParseAddr(*toIP)
	if err != nil || !client.Is4() {
		return fmt.Errorf("-to-ip %q: need an IPv4 address", *toIP)
	}
	dst, err := net.ParseMAC(*toMAC)
	if err != nil {
		return fmt.Errorf("-to-mac: %w", err)
	}
	ifi, err := net.InterfaceByName(*ifName)
	if err != nil {
		return err
	}
	// The protocol only picks what the socket receives (nothing is read):
	// frames are written whole, whatever their EtherType.
	conn, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	addr := &packet.Addr{HardwareAddr: dst}
	fmt.Println("ready")

	end := time.Now().Add(*duration)
	switch *mode {
	case "flood":
		// Paced in batches of 1ms so the rate holds without a timer per frame.
		perMs := max(*rate/1000, 1)
		for next := time.Now(); time.Now().Before(end); next = next.Add(time.Millisecond) {
			for range perMs {
				src := randomMAC()
				if _, err := conn.WriteTo(reply(src, src, target, dst, client), addr); err != nil {
					return err
				}
			}
			time.Sleep(time.Until(next))
		}
	case "junk":
		for time.Now().Before(end) {
			for _, f := range junk(ifi.HardwareAddr, target, dst, client) {
				if _, err := conn.WriteTo(f, addr); err != nil {
					return err
				}
			}
			time.Sleep(*every)
		}
	case "spoof":
		claimed, err := net.ParseMAC(*as)
		if err != nil {
			return fmt.Errorf("-as: %w", err)
		}
		for time.Now().Before(end) {
			if _, err := conn.WriteTo(reply(ifi.HardwareAddr, claimed, target, dst, client), addr); err != nil {
				return err
			}
			time.Sleep(*every)
		}
	case "vlan":
		claimed, err := net.ParseMAC(*as)
		if err != nil {
			return fmt.Errorf("-as: %w", err)
		}
		if *vlan < -1 || *vlan > 4094 {
			return fmt.Errorf("-vlan %d: a VLAN ID 0-4094, or -1 for no tag", *vlan)
		}
		f, err := announcement(claimed, target, *vlan)
		if err != nil {
			return err
		}
		to := &packet.Addr{HardwareAddr: net.HardwareAddr(f[:6])}
		for time.Now().Before(end) {
			if _, err := conn.WriteTo(f, to); err != nil {
				return err
			}
			time.Sleep(*every)
		}
	default:
		return fmt.Errorf("-mode %q: flood, junk, spoof or vlan", *mode)
	}
	return nil
}

func randomMAC() net.HardwareAddr {
	m := make(net.HardwareAddr, 6)
	binary.BigEndian.PutUint32(m[2:], rand.Uint32())
	m[0], m[1] = 0x02, byte(rand.Uint32()) // locally administered, unicast
	return m
}

// reply builds an ARP reply claiming ip for sha, sent from ethSrc.
func reply(ethSrc, sha net.HardwareAddr, ip netip.Addr, dst net.HardwareAddr, dstIP netip.Addr) []byte {
	p, err := arp.NewPacket(arp.OperationReply, sha, ip, dst, dstIP)
	if err != nil {
		panic(err)
	}
	pb, _ := p.MarshalBinary()
	fb, _ := (&ethernet.Frame{Destination: dst, Source: ethSrc, EtherType: ethernet.EtherTypeARP, Payload: pb}).MarshalBinary()
	return fb
}

// junk returns one round of frames that must neither crash the check nor
// be counted: truncated, wrong lengths, a non-Ethernet hardware type, an
// unknown operation, oversized, and a reply claiming another address.
func junk(self net.HardwareAddr, target netip.Addr, dst net.HardwareAddr, client netip.Addr) [][]byte {
	good := reply(self, self, target, dst, client)
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	other := netip.AddrFrom4([4]byte{198, 51, 100, 99})
	return [][]byte{
		good[:14+20], // truncated inside the ARP header
		mutate(func(b []byte) []byte { b[18] = 8; return b }),                // hardware length 8
		mutate(func(b []byte) []byte { b[19] = 16; return b }),               // protocol length 16
		mutate(func(b []byte) []byte { b[15] = 6; return b }),                // IEEE 802 hardware type
		mutate(func(b []byte) []byte { b[16] = 0x86; return b }),             // protocol type 0x86xx
		mutate(func(b []byte) []byte { b[21] = 9; return b }),                // operation 9
		append(reply(self, self, other, dst, client), make([]byte, 1400)...), // oversized
		reply(self, self, other, dst, client),                                // a reply for another address
	}
}

// announcement builds a frame claiming ip for m, sent from m to everyone:
// a gratuitous ARP request for IPv4, an unsolicited neighbor advertisement
// to all nodes for IPv6. With vlan >= 0 it carries an 802.1Q tag with that
// VLAN ID after the source address, as on a trunk.
func announcement(m net.HardwareAddr, ip netip.Addr, vlan int) ([]byte, error) {
	var f ethernet.Frame
	if ip.Is4() {
		p, err := arp.NewPacket(arp.OperationRequest, m, ip, make(net.HardwareAddr, 6), ip)
		if err != nil {
			return nil, err
		}
		pb, err := p.MarshalBinary()
		if err != nil {
			return nil, err
		}
		f = ethernet.Frame{Destination: ethernet.Broadcast, Source: m, EtherType: ethernet.EtherTypeARP, Payload: pb}
	} else {
		pb, err := advertisement(m, ip)
		if err != nil {
			return nil, err
		}
		f = ethernet.Frame{Destination: net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, Source: m, EtherType: ethernet.EtherTypeIPv6, Payload: pb}
	}
	if vlan >= 0 {
		f.VLAN = &ethernet.VLAN{ID: uint16(vlan)}
	}
	return f.MarshalBinary()
}

// advertisement returns an IPv6 packet from m's link-local address to all
// nodes, hop limit 255, carrying an unsolicited, overriding neighbor
// advertisement of target for m.
func advertisement(m net.HardwareAddr, target netip.Addr) ([]byte, error) {
	msg, err := ndp.MarshalMessage(&ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: m}},
	})
	if err != nil {
		return nil, err
	}
	// EUI-64 link-local address of m.
	src := netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 8: m[0] ^ 2, 9: m[1], 10: m[2], 11: 0xff, 12: 0xfe, 13: m[3], 14: m[4], 15: m[5]})
	return ndppacket.Append(nil, src, netip.MustParseAddr("ff02::1"), msg), nil
}
