package ndpprobe

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/mdlayher/ndp"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
)

// Documentation addresses only (RFC 3849) and locally administered MACs.
var (
	targetIP  = netip.MustParseAddr("2001:db8::10")
	sourceIP  = netip.MustParseAddr("2001:db8::1")
	allNodes  = netip.MustParseAddr("ff02::1")
	nodeA     = mac.Addr{2, 0, 0, 0, 0, 0x0a}
	ifIndex   = 7
	toUs      = meta{hopLimit: 255, dst: sourceIP.As16(), ifIndex: ifIndex}
	toAll     = meta{hopLimit: 255, dst: allNodes.As16(), ifIndex: ifIndex}
	classify7 = newClassifier(targetIP, sourceIP, ifIndex)
)

// advertisement encodes a Neighbor Advertisement with mdlayher/ndp.
func advertisement(t testing.TB, solicited bool, target netip.Addr, opts ...ndp.Option) []byte {
	t.Helper()
	b, err := ndp.MarshalMessage(&ndp.NeighborAdvertisement{Solicited: solicited, Override: true, TargetAddress: target, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tlla(m mac.Addr) ndp.Option {
	return &ndp.LinkLayerAddress{Direction: ndp.Target, Addr: net.HardwareAddr(m[:])}
}

func TestParseAdvert(t *testing.T) {
	b := advertisement(t, true, targetIP, tlla(nodeA))
	a, ok := parseAdvert(b)
	if !ok || !a.solicited || a.target != targetIP.As16() || !a.hasTLLA || a.tlla != nodeA {
		t.Fatalf("parsed %+v, %v", a, ok)
	}
	// The target link-layer address may follow other options.
	nonce := ndp.NewNonce()
	b = advertisement(t, false, targetIP, nonce, &ndp.LinkLayerAddress{Direction: ndp.Source, Addr: net.HardwareAddr{2, 0, 0, 0, 0, 0x99}}, tlla(nodeA))
	if a, ok := parseAdvert(b); !ok || a.solicited || a.tlla != nodeA {
		t.Fatalf("with other options first: %+v, %v", a, ok)
	}
	if a, ok := parseAdvert(advertisement(t, true, targetIP)); !ok || a.hasTLLA {
		t.Fatalf("without options: %+v, %v", a, ok)
	}
}

func TestParseAdvertRejects(t *testing.T) {
	good := advertisement(t, true, targetIP, tlla(nodeA))
	mutate := func(off int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[off] = v
		return b
	}
	for name, b := range map[string][]byte{
		"empty":                 {},
		"short":                 good[:naLen-1],
		"solicitation":          mutate(offType, icmpTypeNS),
		"nonzero code":          mutate(offCode, 1),
		"multicast target":      advertisement(t, true, allNodes, tlla(nodeA)),
		"zero-length option":    mutate(naLen+1, 0),
		"option past the end":   mutate(naLen+1, 2),
		"one stray option byte": append(append([]byte(nil), good...), 2),
	} {
		if a, ok := parseAdvert(b); ok {
			t.Errorf("%s: parsed as %+v", name, a)
		}
	}
}

func TestClassify(t *testing.T) {
	other := netip.MustParseAddr("2001:db8::99")
	tests := []struct {
		name string
		b    []byte
		m    meta
		want probe.Kind
	}{
		{"solicited, to us", advertisement(t, true, targetIP, tlla(nodeA)), toUs, probe.Reply},
		{"unsolicited, to all nodes", advertisement(t, false, targetIP, tlla(nodeA)), toAll, probe.Announcement},
		{"unsolicited, to us", advertisement(t, false, targetIP, tlla(nodeA)), toUs, probe.Announcement},
		{"solicited, to a multicast group (invalid)", advertisement(t, true, targetIP, tlla(nodeA)), toAll, 0},
		{"solicited, to another host", advertisement(t, true, targetIP, tlla(nodeA)), meta{hopLimit: 255, dst: other.As16(), ifIndex: ifIndex}, 0},
		{"about another address", advertisement(t, true, other, tlla(nodeA)), toUs, 0},
		{"without a target link-layer address: a unicast request's answer", advertisement(t, true, targetIP), toUs, probe.MACLessReply},
		{"without a target link-layer address, to another host", advertisement(t, true, targetIP), meta{hopLimit: 255, dst: other.As16(), ifIndex: ifIndex}, 0},
		{"unsolicited without a target link-layer address", advertisement(t, false, targetIP), toAll, 0},
		{"with a zero MAC", advertisement(t, true, targetIP, tlla(mac.Addr{})), toUs, 0},
		{"across a router (hop limit 254)", advertisement(t, true, targetIP, tlla(nodeA)), meta{hopLimit: 254, dst: sourceIP.As16(), ifIndex: ifIndex}, 0},
		{"without control messages", advertisement(t, true, targetIP, tlla(nodeA)), meta{}, 0},
		{"on another interface", advertisement(t, false, targetIP, tlla(nodeA)), meta{hopLimit: 255, dst: allNodes.As16(), ifIndex: ifIndex + 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := parseAdvert(tt.b)
			if !ok {
				t.Fatal("did not parse")
			}
			if got := classify7.classify(a, tt.m); got != tt.want {
				t.Errorf("classify = %v, want %v", got, tt.want)
			}
		})
	}
}

// control encodes the control messages the kernel attaches to a packet.
func control(hops int, dst netip.Addr, ifIndex int) []byte {
	b := make([]byte, unix.CmsgSpace(4)+unix.CmsgSpace(unix.SizeofInet6Pktinfo))
	put := func(off, typ int, data []byte) int {
		h := b[off:]
		if unix.SizeofCmsghdr == 16 {
			binary.NativeEndian.PutUint64(h, uint64(unix.CmsgLen(len(data))))
			binary.NativeEndian.PutUint32(h[8:], unix.IPPROTO_IPV6)
			binary.NativeEndian.PutUint32(h[12:], uint32(typ))
		} else {
			binary.NativeEndian.PutUint32(h, uint32(unix.CmsgLen(len(data))))
			binary.NativeEndian.PutUint32(h[4:], unix.IPPROTO_IPV6)
			binary.NativeEndian.PutUint32(h[8:], uint32(typ))
		}
		copy(h[unix.CmsgLen(0):], data)
		return off + unix.CmsgSpace(len(data))
	}
	hl := make([]byte, 4)
	binary.NativeEndian.PutUint32(hl, uint32(hops))
	pi := make([]byte, unix.SizeofInet6Pktinfo)
	d := dst.As16()
	copy(pi, d[:])
	binary.NativeEndian.PutUint32(pi[16:], uint32(ifIndex))
	put(put(0, unix.IPV6_HOPLIMIT, hl), unix.IPV6_PKTINFO, pi)
	return b
}

func TestParseControl(t *testing.T) {
	got := parseControl(control(255, sourceIP, ifIndex))
	if got != toUs {
		t.Fatalf("parseControl = %+v, want %+v", got, toUs)
	}
	if got := parseControl(nil); got != (meta{}) {
		t.Errorf("no control messages: %+v", got)
	}
	// The kernel puts the receive timestamp first.
	stamp := make([]byte, unix.CmsgSpace(16))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&stamp[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS
	h.SetLen(unix.CmsgLen(16))
	if got := parseControl(append(stamp, control(255, sourceIP, ifIndex)...)); got != toUs {
		t.Errorf("after a timestamp: parseControl = %+v, want %+v", got, toUs)
	}
	// A header claiming more than the buffer holds ends parsing.
	b := control(255, sourceIP, ifIndex)
	b[0] = 0xff
	if got := parseControl(b); got.hopLimit != 0 {
		t.Errorf("corrupt control messages: %+v", got)
	}
}

func TestDecodeAllocatesNothing(t *testing.T) {
	b := advertisement(t, true, targetIP, tlla(nodeA))
	oob := control(255, sourceIP, ifIndex)
	allocs := testing.AllocsPerRun(1000, func() {
		a, _ := parseAdvert(b)
		_ = classify7.classify(a, parseControl(oob))
	})
	if allocs != 0 {
		t.Fatalf("decoding an advertisement allocates %v times", allocs)
	}
}

// TestTargetFilter runs the socket filter in x/net/bpf's virtual machine on
// the ICMPv6 messages a raw socket hands it.
func TestTargetFilter(t *testing.T) {
	prog, err := targetFilter(targetIP)
	if err != nil {
		t.Fatal(err)
	}
	insns, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("filter does not disassemble")
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	solicitation, err := ndp.MarshalMessage(&ndp.NeighborSolicitation{TargetAddress: targetIP})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		b    []byte
		pass bool
	}{
		{"advertisement for the target", advertisement(t, true, targetIP, tlla(nodeA)), true},
		{"unsolicited advertisement for the target", advertisement(t, false, targetIP, tlla(nodeA)), true},
		{"advertisement for another address", advertisement(t, true, netip.MustParseAddr("2001:db8::11"), tlla(nodeA)), false},
		{"advertisement differing in the first word", advertisement(t, true, netip.MustParseAddr("2001:db9::10"), tlla(nodeA)), false},
		{"solicitation for the target", solicitation, false},
	} {
		n, err := vm.Run(tt.b)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if (n > 0) != tt.pass || (tt.pass && n != bufLen) {
			t.Errorf("%s: filter keeps %d bytes, want pass=%v", tt.name, n, tt.pass)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	buf := advertisement(b, true, targetIP, tlla(nodeA))
	oob := control(255, sourceIP, ifIndex)
	b.ReportAllocs()
	for b.Loop() {
		a, _ := parseAdvert(buf)
		_ = classify7.classify(a, parseControl(oob))
	}
}

func FuzzParseAdvert(f *testing.F) {
	f.Add(advertisement(f, true, targetIP, tlla(nodeA)))
	f.Add(advertisement(f, false, targetIP, ndp.NewNonce(), tlla(nodeA)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := parseAdvert(b)
		m, err := ndp.ParseMessage(b)
		na, isNA := m.(*ndp.NeighborAdvertisement)
		if !ok {
			// mdlayher/ndp skips the code, multicast-target and
			// zero-length-option checks; otherwise it must reject too.
			if err == nil && isNA && b[offCode] == 0 && !na.TargetAddress.IsMulticast() && !hasZeroLengthOption(b[naLen:]) {
				t.Fatalf("rejected what mdlayher/ndp accepts: %x as %+v", b, na)
			}
			return
		}
		if len(b) < naLen || b[offType] != icmpTypeNA {
			t.Fatalf("accepted %x", b)
		}
		if err != nil {
			// ndp also validates option contents this check ignores.
			return
		}
		if !isNA || na.Solicited != a.solicited || na.TargetAddress.As16() != a.target {
			t.Fatalf("decoding disagrees with mdlayher/ndp: %+v vs %+v", a, m)
		}
		var want *ndp.LinkLayerAddress
		for _, o := range na.Options {
			if l, ok := o.(*ndp.LinkLayerAddress); ok && l.Direction == ndp.Target {
				want = l
				break
			}
		}
		if (want != nil) != a.hasTLLA || (want != nil && mac.Addr(want.Addr) != a.tlla) {
			t.Fatalf("target link-layer address %+v, mdlayher/ndp says %v", a, want)
		}
		_ = classify7.classify(a, toUs)
	})
}

func hasZeroLengthOption(b []byte) bool {
	for len(b) >= 2 {
		if b[1] == 0 {
			return true
		}
		n := int(b[1]) * optUnit
		if n > len(b) {
			return false
		}
		b = b[n:]
	}
	return false
}

// TestUnicastFrame checks the unicast solicitation's frame against an
// independent decoding: addresses, hop limit, and a checksum that sums to
// zero over the pseudo-header.
func TestUnicastFrame(t *testing.T) {
	local := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	solicit := []byte{icmpTypeNS, 0, 0xaa, 0xbb, 0, 0, 0, 0}
	dst := targetIP.As16()
	solicit = append(solicit, dst[:]...)
	solicit = append(solicit, 1, 1, 2, 0, 0, 0, 0, 1) // source link-layer address option
	f := unicastFrame(local, sourceIP, targetIP, solicit)
	if !bytes.Equal(f[6:12], local) || binary.BigEndian.Uint16(f[12:]) != etherTypeIPv6 {
		t.Fatalf("Ethernet header % x", f[:14])
	}
	ip := f[14:]
	if ip[0]>>4 != 6 || ip[6] != 58 || ip[7] != 255 || int(binary.BigEndian.Uint16(ip[4:])) != len(solicit) {
		t.Fatalf("IPv6 header % x", ip[:8])
	}
	if src, _ := netip.AddrFromSlice(ip[8:24]); src != sourceIP {
		t.Errorf("source %s", src)
	}
	if d, _ := netip.AddrFromSlice(ip[24:40]); d != targetIP {
		t.Errorf("destination %s", d)
	}
	msg := ip[40:]
	// Summing the pseudo-header and the message, checksum included,
	// gives 0xffff.
	var sum uint32
	for _, b := range [][]byte{ip[8:24], ip[24:40], {0, 0, byte(len(msg) >> 8), byte(len(msg)), 0, 0, 0, 58}, msg} {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	if sum != 0xffff {
		t.Errorf("checksum does not verify: sum %#x", sum)
	}
	if !bytes.Equal(msg[4:], solicit[4:]) || msg[0] != icmpTypeNS {
		t.Errorf("message % x, want the solicitation", msg)
	}
}

// TestWatchSetFilter runs a group's watch filter in the BPF virtual
// machine, which lacks the packet type extension: the direction test reads
// a constant instead, outgoing or incoming.
func TestWatchSetFilter(t *testing.T) {
	local := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	frame := func(icmpType byte, target netip.Addr) []byte {
		msg := []byte{icmpType, 0, 0, 0, 0, 0, 0, 0}
		b := target.As16()
		return unicastFrame(local, sourceIP, target, append(msg, b[:]...))
	}
	run := func(prog []bpf.RawInstruction, outgoing bool, b []byte) int {
		t.Helper()
		insns, ok := bpf.Disassemble(prog)
		if !ok {
			t.Fatal("filter does not disassemble")
		}
		pktType := uint32(0) // PACKET_HOST
		if outgoing {
			pktType = unix.PACKET_OUTGOING
		}
		if insns[0] != (bpf.LoadExtension{Num: bpf.ExtType}) {
			t.Fatalf("the filter starts with %v, not the packet type", insns[0])
		}
		insns[0] = bpf.LoadConstant{Dst: bpf.RegA, Val: pktType}
		vm, err := bpf.NewVM(insns)
		if err != nil {
			t.Fatal(err)
		}
		n, err := vm.Run(b)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	addr := netip.MustParseAddr
	for _, set := range []struct {
		name    string
		targets []netip.Addr
		pass    []netip.Addr // outgoing solicitations for these pass
		drop    []netip.Addr
	}{
		{"one /96, two runs", []netip.Addr{addr("2001:db8::10"), addr("2001:db8::11"), addr("2001:db8::20")},
			[]netip.Addr{addr("2001:db8::10"), addr("2001:db8::11"), addr("2001:db8::20")},
			[]netip.Addr{addr("2001:db8::12"), addr("2001:db8::1f"), addr("2001:db9::10"), addr("2001:db8:0:1::10")}},
		{"beyond one /96: every solicitation", []netip.Addr{addr("2001:db8::10"), addr("2001:db9::10")},
			[]netip.Addr{addr("2001:db8::10"), addr("2001:db9::10"), addr("2001:db8:1::5")}, nil},
	} {
		prog, err := watchSetFilter(set.targets)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range set.pass {
			if n := run(prog, true, frame(icmpTypeNS, a)); n != watchSnap {
				t.Errorf("%s: outgoing solicitation for %s: keeps %d bytes, want %d", set.name, a, n, watchSnap)
			}
			if n := run(prog, false, frame(icmpTypeNS, a)); n != 0 {
				t.Errorf("%s: incoming solicitation for %s passes", set.name, a)
			}
			if n := run(prog, true, frame(icmpTypeNA, a)); n != 0 {
				t.Errorf("%s: outgoing advertisement for %s passes", set.name, a)
			}
		}
		for _, a := range set.drop {
			if n := run(prog, true, frame(icmpTypeNS, a)); n != 0 {
				t.Errorf("%s: outgoing solicitation for %s, not in the set, passes", set.name, a)
			}
		}
	}
}
