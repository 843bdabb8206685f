package arpprobe

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rangefilter"
)

// The set filter passes ARP frames whose sender or target address is in
// the set, and drops the others. x/net/bpf's VM lacks the VLAN extension,
// so the test replaces that load with "no tag".
func TestSetFilter(t *testing.T) {
	var set []netip.Addr
	for _, s := range []string{"198.51.100.10", "198.51.100.11", "198.51.100.12", "198.51.100.40", "203.0.113.7"} {
		set = append(set, netip.MustParseAddr(s))
	}
	for _, scattered := range []bool{false, true} {
		targets := set
		if scattered {
			// More runs than the filter lists: the covering range.
			targets = nil
			for i := range 2 * rangefilter.MaxRuns {
				targets = append(targets, netip.AddrFrom4([4]byte{198, 51, 100, byte(2 * i)}))
			}
		}
		raw, err := setFilter(targets)
		if err != nil {
			t.Fatal(err)
		}
		prog, ok := bpf.Disassemble(raw)
		if !ok {
			t.Fatal("filter does not disassemble")
		}
		prog[0] = bpf.LoadConstant{Dst: bpf.RegA, Val: 0}
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatal(err)
		}
		local := mac.Addr{2, 0, 0, 0, 0, 1}
		for _, tc := range []struct {
			spa, tpa            string
			exact, coveringWant bool
		}{
			{"198.51.100.1", "198.51.100.10", true, true},  // a request for a member
			{"198.51.100.12", "198.51.100.1", true, true},  // a member's reply
			{"198.51.100.40", "198.51.100.40", true, true}, // a member's announcement
			{"198.51.100.13", "203.0.113.1", false, true},  // between members
			{"203.0.113.1", "203.0.113.200", false, false}, // outside the set
			{"198.51.100.200", "198.51.100.201", false, false},
		} {
			want := tc.exact
			if scattered {
				want = tc.coveringWant
			}
			frame, _ := requestFrame(local[:], netip.MustParseAddr(tc.spa), netip.MustParseAddr(tc.tpa), [nonceLen]byte{})
			n, err := vm.Run(frame)
			if err != nil {
				t.Fatal(err)
			}
			if (n > 0) != want {
				t.Errorf("scattered=%v: frame %s -> %s passes %v, want %v", scattered, tc.spa, tc.tpa, n > 0, want)
			}
		}
	}
}

// recordingSocket keeps what is written to it.
type recordingSocket struct {
	frames [][]byte
	to     []net.Addr
}

func (r *recordingSocket) WriteTo(b []byte, addr net.Addr) (int, error) {
	r.frames = append(r.frames, append([]byte(nil), b...))
	r.to = append(r.to, addr)
	return len(b), nil
}

func (r *recordingSocket) Close() error { return nil }

// The unicast request, a lone check's or a pool address's, goes to the
// owner's MAC alone, leaves the broadcast request as it was, and its echo
// is the check's own request tagged past every probe, which the probe
// loop places after them (probe.Run: Probe >= Count).
func TestUnicastRequestFrame(t *testing.T) {
	local := mac.Addr{2, 0, 0, 0, 0, 1}
	owner := mac.Addr{2, 0, 0, 0, 0, 0x0a}
	source, target := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.10")
	nonce := [nonceLen]byte{1, 2, 3, 4, 5, 6, 7, 8}
	request, err := requestFrame(local[:], source, target, nonce)
	if err != nil {
		t.Fatal(err)
	}
	broadcast := append([]byte(nil), request...)
	sock := &recordingSocket{}
	if _, err := sendUnicast(sock, request, owner); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(request, broadcast) {
		t.Errorf("sending the unicast request changed the broadcast one")
	}
	if len(sock.frames) != 1 {
		t.Fatalf("%d frames written, want 1", len(sock.frames))
	}
	f := sock.frames[0]
	if mac.Addr(f[offEthDst:offEthDst+6]) != owner || sock.to[0].(*packet.Addr).HardwareAddr.String() != owner.String() {
		t.Errorf("sent to %x (%v), want %v alone", f[offEthDst:offEthDst+6], sock.to[0], owner)
	}
	parsed, ok := parseFrame(f)
	if !ok {
		t.Fatal("the unicast request does not parse as ARP")
	}
	if parsed.tha != (mac.Addr{}) || parsed.op != opRequest {
		t.Errorf("op %d, target hardware address %v; want a request with zeros, as Linux refreshes an entry", parsed.op, parsed.tha)
	}
	kind, p := newClassifier(target, source, local, nonce).classify(parsed)
	if kind != probe.OwnRequest || p != unicastTag || p <= 100 {
		t.Errorf("its echo: kind %v, probe %d; want our own request past every probe (%d)", kind, p, unicastTag)
	}
}
