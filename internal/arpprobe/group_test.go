package arpprobe

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/check-arp/check_arp/internal/mac"
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
