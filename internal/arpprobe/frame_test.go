package arpprobe

import (
	"net"
	"net/netip"
	"testing"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
)

var (
	testNonce = [nonceLen]byte{1, 2, 3, 4, 5, 6, 7, 8}
	local     = mac.Addr{2, 0, 0, 0, 0, 1}
	nodeA     = mac.Addr{2, 0, 0, 0, 0, 0x0a}
	other     = mac.Addr{2, 0, 0, 0, 0, 0x77}
	targetIP  = netip.MustParseAddr("198.51.100.10")
	sourceIP  = netip.MustParseAddr("198.51.100.1")
	otherIP   = netip.MustParseAddr("198.51.100.77")
)

func hw(a mac.Addr) net.HardwareAddr { return net.HardwareAddr(a[:]) }

// frame builds an Ethernet+ARP frame with mdlayher/arp, as a peer would.
func frame(t testing.TB, op arp.Operation, ethDst, sha mac.Addr, spa netip.Addr, tha mac.Addr, tpa netip.Addr) []byte {
	t.Helper()
	p, err := arp.NewPacket(op, hw(sha), spa, hw(tha), tpa)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	fb, err := (&ethernet.Frame{Destination: hw(ethDst), Source: hw(sha), EtherType: ethernet.EtherTypeARP, Payload: pb}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return fb
}

var broadcast = mac.Addr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func TestClassify(t *testing.T) {
	c := newClassifier(targetIP, sourceIP, local, testNonce)
	tests := []struct {
		name string
		b    []byte
		want probe.Kind
	}{
		{"reply to us", frame(t, arp.OperationReply, local, nodeA, targetIP, local, sourceIP), probe.Reply},
		{"reply to another host", frame(t, arp.OperationReply, other, nodeA, targetIP, other, otherIP), 0},
		{"reply to our MAC for another of our addresses", frame(t, arp.OperationReply, local, nodeA, targetIP, local, otherIP), 0},
		{"reply from another address", frame(t, arp.OperationReply, local, nodeA, otherIP, local, sourceIP), 0},
		{"gratuitous reply (MetalLB)", frame(t, arp.OperationReply, broadcast, nodeA, targetIP, broadcast, targetIP), probe.Announcement},
		{"gratuitous request", frame(t, arp.OperationRequest, broadcast, nodeA, targetIP, mac.Addr{}, targetIP), probe.Announcement},
		{"target asking for its gateway", frame(t, arp.OperationRequest, broadcast, nodeA, targetIP, mac.Addr{}, otherIP), 0},
		{"an untagged request of ours (another process)", frame(t, arp.OperationRequest, broadcast, local, sourceIP, mac.Addr{}, targetIP), probe.ForeignRequest},
		{"a request for the target from another host", frame(t, arp.OperationRequest, broadcast, other, otherIP, mac.Addr{}, targetIP), 0},
		{"zero sender MAC", frame(t, arp.OperationReply, local, mac.Addr{}, targetIP, local, sourceIP), 0},
	}
	for _, tt := range tests {
		f, ok := parseFrame(tt.b)
		if !ok {
			t.Errorf("%s: frame did not parse", tt.name)
			continue
		}
		if got, _ := c.classify(f); got != tt.want {
			t.Errorf("%s: classify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClassifyRFC5227Probe(t *testing.T) {
	// Probes sent from 0.0.0.0 are answered to 0.0.0.0 at our MAC.
	c := newClassifier(targetIP, netip.IPv4Unspecified(), local, testNonce)
	f, ok := parseFrame(frame(t, arp.OperationReply, local, nodeA, targetIP, local, netip.IPv4Unspecified()))
	if kind, _ := c.classify(f); !ok || kind != probe.Reply {
		t.Fatal("reply to an RFC 5227 probe not recognised")
	}
}

func TestParseFrameRejectsMalformed(t *testing.T) {
	good := frame(t, arp.OperationReply, local, nodeA, targetIP, local, sourceIP)
	if f, ok := parseFrame(good); !ok || f.sha != nodeA || f.tpa != sourceIP.As4() || f.ethSrc != nodeA {
		t.Fatalf("good frame: %+v %v", f, ok)
	}
	mutate := func(off int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[off] = v
		return b
	}
	for name, b := range map[string][]byte{
		"empty":               nil,
		"truncated":           good[:frameLen-1],
		"not ARP":             mutate(offEtherType+1, 0x00),
		"token ring hardware": mutate(offHType+1, 6),
		"IPv6 protocol":       mutate(offPType, 0x86),
		"8-byte hardware":     mutate(offHLen, 8),
		"16-byte protocol":    mutate(offPLen, 16),
		"RARP operation":      mutate(offOp+1, 3),
		"zero operation":      mutate(offOp+1, 0),
	} {
		if f, ok := parseFrame(b); ok {
			t.Errorf("%s: parsed as %+v", name, f)
		}
	}
	// Padding and oversized frames parse as the ARP packet they start with.
	long := append(append([]byte(nil), good...), make([]byte, 1500)...)
	if _, ok := parseFrame(long); !ok {
		t.Error("oversized frame with a valid ARP packet rejected")
	}
}

func TestDecodeAllocatesNothing(t *testing.T) {
	c := newClassifier(targetIP, sourceIP, local, testNonce)
	b := frame(t, arp.OperationReply, local, nodeA, targetIP, local, sourceIP)
	allocs := testing.AllocsPerRun(1000, func() {
		f, _ := parseFrame(b)
		_, _ = c.classify(f)
	})
	if allocs != 0 {
		t.Fatalf("decoding a reply allocates %v times", allocs)
	}
}

func BenchmarkDecode(b *testing.B) {
	c := newClassifier(targetIP, sourceIP, local, testNonce)
	buf := frame(b, arp.OperationReply, local, nodeA, targetIP, local, sourceIP)
	b.ReportAllocs()
	for b.Loop() {
		f, _ := parseFrame(buf)
		_, _ = c.classify(f)
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(frame(f, arp.OperationReply, local, nodeA, targetIP, local, sourceIP))
	f.Add(frame(f, arp.OperationRequest, broadcast, nodeA, targetIP, mac.Addr{}, targetIP))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, ok := parseFrame(b)
		if !ok {
			return
		}
		if len(b) < frameLen || (fr.op != opRequest && fr.op != opReply) {
			t.Fatalf("accepted %x as %+v", b, fr)
		}
		// mdlayher/arp must agree that it is an ARP packet.
		var p arp.Packet
		if err := p.UnmarshalBinary(b[offHType:]); err != nil {
			t.Fatalf("parseFrame accepted what arp.Packet rejects: %v", err)
		}
		if mac.Addr(p.SenderHardwareAddr) != fr.sha || p.SenderIP.As4() != fr.spa || p.TargetIP.As4() != fr.tpa {
			t.Fatalf("decoding disagrees with mdlayher/arp: %+v vs %+v", fr, p)
		}
		_, _ = newClassifier(targetIP, sourceIP, local, testNonce).classify(fr)
	})
}

func TestClassifyTaggedOwnRequest(t *testing.T) {
	c := newClassifier(targetIP, sourceIP, local, testNonce)
	b := frame(t, arp.OperationRequest, broadcast, local, sourceIP, mac.Addr{}, targetIP)
	if len(b) < offTag+tagLen {
		t.Fatalf("frame of %d bytes has no room for the tag", len(b))
	}
	copy(b[offTag:], testNonce[:])
	b[offTag+nonceLen], b[offTag+nonceLen+1] = 0, 7
	f, ok := parseFrame(b)
	if kind, p := c.classify(f); !ok || kind != probe.OwnRequest || p != 7 {
		t.Fatalf("classify = %v, probe %d; want our request 7", kind, p)
	}
	b[offTag] ^= 0xff // another run's nonce
	f, _ = parseFrame(b)
	if kind, _ := c.classify(f); kind != probe.ForeignRequest {
		t.Fatalf("another run's request classified %v", kind)
	}
}
