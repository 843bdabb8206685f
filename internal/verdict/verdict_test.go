package verdict

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/threshold"
)

// Documentation addresses only (RFC 5737 and locally administered MACs).
var (
	testTarget = netip.MustParseAddr("198.51.100.10")
	testSource = netip.MustParseAddr("198.51.100.1")
	testLocal  = mustMAC("02:00:00:00:00:01")

	macA = mustMAC("02:00:00:00:00:10")
	macB = mustMAC("02:00:00:00:00:11")
	macC = mustMAC("02:00:00:00:00:12")
	macD = mustMAC("02:00:00:00:00:13")
	macE = mustMAC("02:00:00:00:00:14")
	macZ = mustMAC("02:00:00:00:00:99")
)

func mustMAC(s string) mac.Addr {
	a, err := mac.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

func us(n int) time.Duration { return time.Duration(n) * time.Microsecond }

func rep(probe int, m mac.Addr, rtt time.Duration) Reply {
	return Reply{Probe: probe, MAC: m, RTT: rtt}
}

// observe builds an observation of n probes sent 100ms apart, over a run
// of one second.
func observe(n int, replies ...Reply) Observation {
	sent := make([]time.Duration, n)
	for i := range sent {
		sent[i] = time.Duration(i) * 100 * time.Millisecond
	}
	return Observation{
		Protocol:   "ARP",
		Target:     testTarget,
		Interface:  "eth0",
		Source:     testSource,
		LocalMAC:   testLocal,
		ProbesSent: sent,
		Replies:    replies,
		Elapsed:    time.Second,
	}
}

func announce(o Observation, m mac.Addr, at time.Duration) Observation {
	o.Announcements = append(append([]Announcement(nil), o.Announcements...), Announcement{MAC: m, At: at})
	return o
}

func elapsed(o Observation, d time.Duration) Observation {
	o.Elapsed = d
	return o
}

// healthy3 has one MAC answer each of three probes, rta 0.4ms.
func healthy3(m mac.Addr) []Reply {
	return []Reply{rep(0, m, us(300)), rep(1, m, us(400)), rep(2, m, us(500))}
}

type entry struct {
	a     mac.Addr
	label string
}

// policy builds a policy from -w and -c strings ("" for none) and allowed
// MACs.
func policy(warn, crit string, allowed ...entry) Policy {
	var p Policy
	var err error
	if warn != "" {
		if p.Warn, err = threshold.ParsePair(warn); err != nil {
			panic(err)
		}
	}
	if crit != "" {
		if p.Crit, err = threshold.ParsePair(crit); err != nil {
			panic(err)
		}
	}
	for _, e := range allowed {
		if err := p.Allowed.Add(e.a, e.label); err != nil {
			panic(err)
		}
	}
	return p
}

var (
	nodeA = entry{macA, "node-a"}
	nodeB = entry{macB, "node-b"}
)

// perfString renders the performance data compactly for exact comparison:
// label=valueUOM, plus ;warn;crit when either is set. The time metric is
// left out (see TestPerfdataFields).
func perfString(r Result) string {
	var parts []string
	for _, m := range r.Perfdata() {
		if m.Label == "time" {
			continue
		}
		s := m.Label + "=" + m.Value + m.UOM
		if m.Warn != "" || m.Crit != "" {
			s += ";" + m.Warn + ";" + m.Crit
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// perf builds the expected perfString for the common case without
// thresholds.
func perf(rta, rtmin, rtmax, pl string, sent, received, macs, unexpected, multi, changes, gratuitous int) string {
	rtt := func(label, v string) string {
		if v == "U" {
			return label + "=U"
		}
		return label + "=" + v + "ms"
	}
	return strings.Join([]string{
		rtt("rta", rta), rtt("rtmin", rtmin), rtt("rtmax", rtmax), "pl=" + pl + "%",
		"sent=" + strconv.Itoa(sent), "received=" + strconv.Itoa(received),
		"macs=" + strconv.Itoa(macs), "unexpected_macs=" + strconv.Itoa(unexpected),
		"multi_mac_probes=" + strconv.Itoa(multi), "mac_changes=" + strconv.Itoa(changes),
		"gratuitous=" + strconv.Itoa(gratuitous), "spoofed=0",
	}, " ")
}

const (
	sA = "02:00:00:00:00:10"
	sB = "02:00:00:00:00:11"
	sC = "02:00:00:00:00:12"
	sD = "02:00:00:00:00:13"
	sZ = "02:00:00:00:00:99"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		obs     Observation
		pol     Policy
		state   State
		summary string
		perf    string
	}{
		// Rule 7: healthy.
		{
			name:    "healthy without allowlist",
			obs:     observe(3, healthy3(macA)...),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},
		{
			name:    "healthy with labelled allowlist",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("", "", nodeA),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},
		{
			name:    "healthy with unlabelled allowlist",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("", "", entry{macA, ""}),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},
		{
			name:    "healthy, one of two allowed nodes answers",
			obs:     observe(3, healthy3(macB)...),
			pol:     policy("", "", nodeA, nodeB),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sB + " (node-b) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},
		{
			name:    "healthy within thresholds",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("1,20%", "2,50%", nodeA),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;1;2 rtmin=0.3ms rtmax=0.5ms pl=0%;20;50 sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "count 1 healthy",
			obs:     observe(1, rep(0, macA, us(400))),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 1/1 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 1, 1, 1, 0, 0, 0, 0),
		},

		// Rule 1: silence.
		{
			name:    "silent",
			obs:     observe(3),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 0),
		},
		{
			name:    "silent with allowlist and thresholds",
			obs:     observe(3),
			pol:     policy("1,20%", "2,50%", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    "rta=U;1;2 rtmin=U rtmax=U pl=100%;20;50 sent=3 received=0 macs=0 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "silent, run shorter than a second",
			obs:     elapsed(observe(3), 250*time.Millisecond),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 250ms",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 0),
		},
		{
			name:    "silent, run of 2.5s",
			obs:     elapsed(observe(3), 2500*time.Millisecond),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 2.5s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 0),
		},
		{
			name:    "silent, run length rounded to whole milliseconds",
			obs:     elapsed(observe(3), 250400*time.Microsecond),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 250ms",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 0),
		},
		{
			// Just under a second rounds to "1s", not "1000ms".
			name:    "silent, run just under a second",
			obs:     elapsed(observe(3), 999600*time.Microsecond),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 0),
		},
		{
			name:    "count 1 silent",
			obs:     observe(1),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/1 replies in 1s",
			perf:    perf("U", "U", "U", "100", 1, 0, 0, 0, 0, 0, 0),
		},
		{
			name:    "no probe sent at all",
			obs:     observe(0),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/0 replies in 1s",
			perf:    perf("U", "U", "U", "100", 0, 0, 0, 0, 0, 0, 0),
		},
		{
			name:    "silent but announced by the allowed MAC",
			obs:     announce(observe(3), macA, 150*time.Millisecond),
			pol:     policy("", "", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 1),
		},
		{
			name:    "silent but announced by an unexpected MAC",
			obs:     announce(observe(3), macZ, 150*time.Millisecond),
			pol:     policy("", "", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer; is announced by gratuitous ARP from " + sZ + " (not in the allowlist), expected " + sA + " (node-a) on eth0: 0/3 replies in 1s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 1, 0, 0, 1),
		},
		{
			name:    "only replies with out-of-range probe indexes: silent",
			obs:     observe(3, rep(-1, macZ, us(400)), rep(3, macZ, us(400)), rep(99, macA, us(400))),
			pol:     policy("", "", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 0),
		},

		// Rule 2: MACs outside the allowlist.
		{
			name:    "wrong MAC",
			obs:     observe(3, healthy3(macZ)...),
			pol:     policy("", "", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 1, 0, 0, 0),
		},
		{
			name:    "wrong MAC, two allowed, unlabelled",
			obs:     observe(3, healthy3(macZ)...),
			pol:     policy("", "", entry{macB, ""}, entry{macA, ""}),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sZ + " (not in the allowlist), expected " + sA + " and " + sB + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 1, 0, 0, 0),
		},
		{
			name:    "wrong MAC, two allowed, labelled",
			obs:     observe(3, healthy3(macZ)...),
			pol:     policy("", "", nodeB, nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a) and " + sB + " (node-b) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 1, 0, 0, 0),
		},
		{
			name: "allowed and unexpected MAC answer every probe (IP conflict)",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macZ, us(600)),
				rep(1, macA, us(400)), rep(1, macZ, us(600)),
				rep(2, macA, us(400)), rep(2, macZ, us(600))),
			pol:   policy("", "", nodeA),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sA + " (node-a) and " + sZ + " (not allowed)" +
				" on eth0: 3/3 replies, rta 0.4ms",
			perf: perf("0.4", "0.4", "0.4", "0", 3, 3, 2, 1, 3, 0, 0),
		},
		{
			name: "more than three unexpected MACs",
			obs: observe(4,
				rep(0, macB, us(400)), rep(1, macC, us(400)), rep(2, macD, us(400)), rep(3, macZ, us(400))),
			pol:   policy("", "", nodeA),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sB + ", " + sC + ", " + sD + " and 1 more (not in the allowlist), expected " + sA + " (node-a)" +
				"; is flapping between " + sB + " (not allowed), " + sC + " (not allowed), " + sD + " (not allowed) and 1 more: its MAC changed 3 times in 4 probes" +
				" on eth0: 4/4 replies, rta 0.4ms",
			perf: perf("0.4", "0.4", "0.4", "0", 4, 4, 4, 4, 0, 3, 0),
		},
		{
			name: "five unexpected MACs, count 1, one of them by announcement",
			obs: announce(observe(1,
				rep(0, macB, us(400)), rep(0, macC, us(500)), rep(0, macD, us(600)), rep(0, macZ, us(700))),
				macE, 50*time.Millisecond),
			pol:   policy("", "", nodeA),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sB + ", " + sC + ", " + sD + " and 2 more (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered by 4 MACs at once in 1 of 1 probes (split brain): " + sB + " (not allowed), " + sC + " (not allowed), " + sD + " (not allowed) and 1 more" +
				" on eth0: 1/1 replies, rta 0.4ms",
			perf: perf("0.4", "0.4", "0.4", "0", 1, 1, 4, 5, 1, 0, 1),
		},
		{
			name:    "announcement from an unexpected MAC while the allowed one answers",
			obs:     announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond),
			pol:     policy("", "", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is announced by gratuitous ARP from " + sZ + " (not in the allowlist), expected " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 1, 0, 0, 1),
		},
		{
			name:    "announcement from the allowed MAC",
			obs:     announce(observe(3, healthy3(macA)...), macA, 150*time.Millisecond),
			pol:     policy("", "", nodeA),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 1),
		},

		// Rule 5: an allowed (or, without allowlist, any) MAC that did not
		// answer announces the target while another MAC answers.
		{
			name:    "announcement from another MAC without allowlist (contested)",
			obs:     announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 was announced by gratuitous ARP from " + sZ + " while " + sA + " answered; is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 1),
		},
		{
			name:    "announcement from another allowed MAC (contested)",
			obs:     announce(announce(observe(3, healthy3(macA)...), macB, 150*time.Millisecond), macB, 250*time.Millisecond),
			pol:     policy("", "", nodeA, nodeB),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 was announced by gratuitous ARP from " + sB + " (node-b) while " + sA + " (node-a) answered; is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 2),
		},
		{
			name: "announcements from several MACs while two answer",
			obs: announce(announce(observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
				macC, 150*time.Millisecond), macZ, 250*time.Millisecond),
			state: Warning,
			summary: "ARP WARNING - 198.51.100.10 moved from " + sA + " to " + sB + " during the check (failover)" +
				"; was announced by gratuitous ARP from " + sC + " and " + sZ + " while " + sA + " and " + sB + " answered" +
				" on eth0: 3/3 replies, rta 0.4ms",
			perf: perf("0.4", "0.3", "0.5", "0", 3, 3, 2, 0, 0, 1, 2),
		},
		{
			name:    "announcement from a MAC that also answered is not contested",
			obs:     announce(observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))), macB, 250*time.Millisecond),
			pol:     policy("", "", nodeA, nodeB),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 moved from " + sA + " (node-a) to " + sB + " (node-b) during the check (failover) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 2, 0, 0, 1, 1),
		},
		{
			name:  "announcement from an unexpected MAC is rule 2, not rule 5",
			obs:   announce(announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond), macB, 160*time.Millisecond),
			pol:   policy("", "", nodeA, nodeB),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is announced by gratuitous ARP from " + sZ + " (not in the allowlist), expected " + sA + " (node-a) and " + sB + " (node-b)" +
				"; was announced by gratuitous ARP from " + sB + " (node-b) while " + sA + " (node-a) answered" +
				" on eth0: 3/3 replies, rta 0.4ms",
			perf: perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 1, 0, 0, 2),
		},
		{
			name:    "announcement by an allowed MAC while nobody answers is only silence",
			obs:     announce(observe(3), macB, 150*time.Millisecond),
			pol:     policy("", "", nodeA, nodeB),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    perf("U", "U", "U", "100", 3, 0, 0, 0, 0, 0, 1),
		},

		// Rule 3: split brain.
		{
			name: "split brain, both allowed",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macB, us(600)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macA, us(400)), rep(2, macB, us(600))),
			pol:     policy("", "", nodeA, nodeB),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sA + " (node-a) and " + sB + " (node-b) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 3, 3, 2, 0, 3, 0, 0),
		},
		{
			name: "split brain without allowlist, B answers first",
			obs: observe(3,
				rep(0, macB, us(400)), rep(0, macA, us(600)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macA, us(400)), rep(2, macB, us(600))),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sB + " and " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 3, 3, 2, 0, 3, 0, 0),
		},
		{
			name: "split brain in one probe of three",
			obs: observe(3,
				rep(0, macA, us(400)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macA, us(400))),
			pol:     policy("", "", nodeA, nodeB),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 2 MACs at once in 1 of 3 probes (split brain): " + sA + " (node-a) and " + sB + " (node-b) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 3, 3, 2, 0, 1, 0, 0),
		},
		{
			name:    "split brain, count 1",
			obs:     observe(1, rep(0, macA, us(400)), rep(0, macB, us(600))),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 2 MACs at once in 1 of 1 probes (split brain): " + sA + " and " + sB + " on eth0: 1/1 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 1, 1, 2, 0, 1, 0, 0),
		},
		{
			name: "split brain of three MACs in one probe, two in another",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macB, us(500)), rep(0, macC, us(600)),
				rep(1, macA, us(400)), rep(1, macB, us(500)),
				rep(2, macA, us(400))),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 3 MACs at once in 2 of 3 probes (split brain): " + sA + ", " + sB + " and " + sC + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 3, 3, 3, 0, 2, 0, 0),
		},
		{
			name: "split brain, then the other node alone (failover)",
			obs: observe(3,
				rep(0, macA, us(400)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macB, us(400))),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 2 MACs at once in 1 of 3 probes (split brain): " + sA + " and " + sB +
				"; moved from " + sA + " to " + sB + " during the check (failover) on eth0: 3/3 replies, rta 0.4ms",
			perf: perf("0.4", "0.4", "0.4", "0", 3, 3, 2, 0, 1, 1, 0),
		},

		{
			// The list names the MACs that answered at once, not the third.
			name: "split brain in one probe, a third MAC alone later",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macB, us(600)),
				rep(1, macC, us(400)), rep(2, macC, us(400))),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is answered by 2 MACs at once in 1 of 3 probes (split brain): " + sA + " and " + sB + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 3, 3, 3, 0, 1, 0, 0),
		},
		{
			// A flood beyond the recording limit is CRITICAL (rule 8).
			name: "unrecorded replies are a flood",
			obs: func() Observation {
				o := observe(3, healthy3(macA)...)
				o.Unrecorded = 1000
				return o
			}(),
			pol:     policy("", "", nodeA),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is flooded: 1003 frames about it arrived, from at least 1 MAC (" + sA + "); the check records 3; is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},

		// Duplicates: the same MAC several times for one probe.
		{
			name: "duplicates are not split brain",
			obs: observe(3,
				rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380)),
				rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("", "", nodeA),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},
		{
			name: "duplicates count as one received probe",
			obs: observe(3,
				rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380))),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 2 of 3 probes (66.7%); is at " + sA + " on eth0: 1/3 replies, rta 0.3ms",
			perf:    perf("0.3", "0.3", "0.3", "66.667", 3, 1, 1, 0, 0, 0, 0),
		},
		{
			// The rtt of a probe is its first reply's, even when a
			// duplicate is faster.
			name: "rtt of a probe is its first reply",
			obs: observe(2,
				rep(0, macA, us(900)), rep(0, macA, us(100)),
				rep(1, macA, us(500))),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 2/2 replies, rta 0.7ms",
			perf:    perf("0.7", "0.5", "0.9", "0", 2, 2, 1, 0, 0, 0, 0),
		},
		{
			name: "out-of-range probe indexes are ignored",
			obs: observe(3, append(healthy3(macA),
				rep(-1, macZ, us(100)), rep(3, macZ, us(100)), rep(1<<20, macB, us(100)))...),
			pol:     policy("", "", nodeA),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 1, 0, 0, 0, 0),
		},

		// Rule 4: MAC changes between probes.
		{
			name:    "one failover A,A,B",
			obs:     observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 moved from " + sA + " to " + sB + " during the check (failover) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 2, 0, 0, 1, 0),
		},
		{
			name:    "one failover between labelled nodes",
			obs:     observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
			pol:     policy("", "", nodeA, nodeB),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 moved from " + sA + " (node-a) to " + sB + " (node-b) during the check (failover) on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 2, 0, 0, 1, 0),
		},
		{
			name:  "failover across a lost probe",
			obs:   observe(3, rep(0, macA, us(300)), rep(2, macB, us(500))),
			state: Warning,
			summary: "ARP WARNING - 198.51.100.10 moved from " + sA + " to " + sB + " during the check (failover)" +
				"; lost 1 of 3 probes (33.3%) on eth0: 2/3 replies, rta 0.4ms",
			perf: perf("0.4", "0.3", "0.5", "33.333", 3, 2, 2, 0, 0, 1, 0),
		},
		{
			name:    "flapping A,B,A",
			obs:     observe(3, rep(0, macA, us(300)), rep(1, macB, us(400)), rep(2, macA, us(500))),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is flapping between " + sA + " and " + sB + ": its MAC changed 2 times in 3 probes on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 2, 0, 0, 2, 0),
		},
		{
			name:    "A,B,C",
			obs:     observe(3, rep(0, macA, us(300)), rep(1, macB, us(400)), rep(2, macC, us(500))),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is flapping between " + sA + ", " + sB + " and " + sC + ": its MAC changed 2 times in 3 probes on eth0: 3/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "0", 3, 3, 3, 0, 0, 2, 0),
		},
		{
			name: "flapping A,B,A,B between labelled nodes",
			obs: observe(4,
				rep(0, macA, us(400)), rep(1, macB, us(400)), rep(2, macA, us(400)), rep(3, macB, us(400))),
			pol:     policy("", "", nodeA, nodeB),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is flapping between " + sA + " (node-a) and " + sB + " (node-b): its MAC changed 3 times in 4 probes on eth0: 4/4 replies, rta 0.4ms",
			perf:    perf("0.4", "0.4", "0.4", "0", 4, 4, 2, 0, 0, 3, 0),
		},
		{
			name:  "failover to an unexpected MAC",
			obs:   observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macZ, us(500))),
			pol:   policy("", "", nodeA),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)" +
				"; moved from " + sA + " (node-a) to " + sZ + " (not allowed) during the check (failover) on eth0: 3/3 replies, rta 0.4ms",
			perf: perf("0.4", "0.3", "0.5", "0", 3, 3, 2, 1, 0, 1, 0),
		},

		// Rule 5: loss.
		{
			name:    "loss without thresholds",
			obs:     observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 3 probes (33.3%); is at " + sA + " on eth0: 2/3 replies, rta 0.4ms",
			perf:    perf("0.4", "0.3", "0.5", "33.333", 3, 2, 1, 0, 0, 0, 0),
		},
		{
			name:    "loss with rta-only thresholds is still WARNING",
			obs:     observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))),
			pol:     policy("1", "2"),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 3 probes (33.3%); is at " + sA + " on eth0: 2/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;1;2 rtmin=0.3ms rtmax=0.5ms pl=33.333% sent=3 received=2 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "loss below the pl warning",
			obs:     observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("200,30%", "500,60%"),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms;200;500 rtmin=0.3ms rtmax=0.5ms pl=25%;30;60 sent=4 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "loss above the pl warning",
			obs:     observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("200,20%", "500,60%"),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 4 probes (25%); is at " + sA + " on eth0: 3/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms;200;500 rtmin=0.3ms rtmax=0.5ms pl=25%;20;60 sent=4 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "loss above the pl critical",
			obs:     observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("200,10%", "500,20%"),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 lost 1 of 4 probes (25%); is at " + sA + " on eth0: 3/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms;200;500 rtmin=0.3ms rtmax=0.5ms pl=25%;10;20 sent=4 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "loss exactly at the pl critical is WARNING",
			obs:     observe(4, rep(0, macA, us(300)), rep(2, macA, us(500))),
			pol:     policy("200,40%", "500,50%"),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 2 of 4 probes (50%); is at " + sA + " on eth0: 2/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms;200;500 rtmin=0.3ms rtmax=0.5ms pl=50%;40;50 sent=4 received=2 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			// The summary shows the loss to one decimal, as judged.
			name: "loss of 12.5% breaks a 12% warning",
			obs: observe(8, rep(0, macA, us(400)), rep(1, macA, us(400)), rep(2, macA, us(400)), rep(3, macA, us(400)),
				rep(4, macA, us(400)), rep(5, macA, us(400)), rep(6, macA, us(400))),
			pol:     policy("12%", ""),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 8 probes (12.5%); is at " + sA + " on eth0: 7/8 replies, rta 0.4ms",
			perf:    "rta=0.4ms rtmin=0.4ms rtmax=0.4ms pl=12.5%;12; sent=8 received=7 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "loss of 33.3% shown as 33% breaks a 33% warning",
			obs:     observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))),
			pol:     policy("33%", ""),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 3 probes (33.3%); is at " + sA + " on eth0: 2/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms rtmin=0.3ms rtmax=0.5ms pl=33.333%;33; sent=3 received=2 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "pl critical alone, loss above it",
			obs:     observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("", "20%"),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 lost 1 of 4 probes (25%); is at " + sA + " on eth0: 3/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms rtmin=0.3ms rtmax=0.5ms pl=25%;;20 sent=4 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			// A pl part in -c alone turns off the default WARNING on loss.
			name:    "pl critical alone, loss below it",
			obs:     observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("", "50%"),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms rtmin=0.3ms rtmax=0.5ms pl=25%;;50 sent=4 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "pl warning alone, loss above it",
			obs:     observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:     policy("20%", ""),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 4 probes (25%); is at " + sA + " on eth0: 3/4 replies, rta 0.4ms",
			perf:    "rta=0.4ms rtmin=0.3ms rtmax=0.5ms pl=25%;20; sent=4 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},

		// Rule 6: rta.
		{
			name:    "rta above warning",
			obs:     observe(3, rep(0, macA, us(1500)), rep(1, macA, us(1500)), rep(2, macA, us(1500))),
			pol:     policy("1", "2"),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 answers slowly: rta 1.5ms is above warning 1ms; is at " + sA + " on eth0: 3/3 replies, rta 1.5ms",
			perf:    "rta=1.5ms;1;2 rtmin=1.5ms rtmax=1.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta above critical",
			obs:     observe(3, rep(0, macA, us(2000)), rep(1, macA, us(2500)), rep(2, macA, us(3000))),
			pol:     policy("1", "2"),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 answers slowly: rta 2.5ms is above critical 2ms; is at " + sA + " on eth0: 3/3 replies, rta 2.5ms",
			perf:    "rta=2.5ms;1;2 rtmin=2ms rtmax=3ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta exactly at the warning threshold is OK",
			obs:     observe(3, rep(0, macA, us(1000)), rep(1, macA, us(1000)), rep(2, macA, us(1000))),
			pol:     policy("1ms", "2ms"),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/3 replies, rta 1ms",
			perf:    "rta=1ms;1;2 rtmin=1ms rtmax=1ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta inside an @ warning range",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("@0.3:0.5", ""),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 has rta 0.4ms, inside the warning range @0.3:0.5; is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;@0.3:0.5; rtmin=0.3ms rtmax=0.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta inside an @ critical range",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("@0.3:0.5", "@0:1"),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 has rta 0.4ms, inside the critical range @0:1; is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;@0.3:0.5;@0:1 rtmin=0.3ms rtmax=0.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta outside an @ range is OK",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("@1:2", ""),
			state:   OK,
			summary: "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;@1:2; rtmin=0.3ms rtmax=0.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			// The rta is below the range's start: too fast, not slow.
			name:    "rta below the start of a warning range",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("0.5:1", ""),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 answers too fast: rta 0.4ms is below the warning range 0.5:1; is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;0.5:1; rtmin=0.3ms rtmax=0.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta above a ~: warning range",
			obs:     observe(3, rep(0, macA, us(1500)), rep(1, macA, us(1500)), rep(2, macA, us(1500))),
			pol:     policy("~:1", ""),
			state:   Warning,
			summary: "ARP WARNING - 198.51.100.10 answers slowly: rta 1.5ms is above the warning range ~:1; is at " + sA + " on eth0: 3/3 replies, rta 1.5ms",
			perf:    "rta=1.5ms;~:1; rtmin=1.5ms rtmax=1.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta below an open-ended critical range",
			obs:     observe(3, healthy3(macA)...),
			pol:     policy("", "10:"),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 answers too fast: rta 0.4ms is below the critical range 10:; is at " + sA + " on eth0: 3/3 replies, rta 0.4ms",
			perf:    "rta=0.4ms;;10: rtmin=0.3ms rtmax=0.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:    "rta thresholds are not judged without replies",
			obs:     observe(3),
			pol:     policy("@0:1000", "@0:1000"),
			state:   Critical,
			summary: "ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s",
			perf:    "rta=U;@0:1000;@0:1000 rtmin=U rtmax=U pl=100% sent=3 received=0 macs=0 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},

		// Several findings: worst first, then in rule order.
		{
			name:  "rta critical before loss warning",
			obs:   observe(3, rep(0, macA, us(2000)), rep(2, macA, us(3000))),
			pol:   policy("1", "2"),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 answers slowly: rta 2.5ms is above critical 2ms; lost 1 of 3 probes (33.3%); is at " + sA +
				" on eth0: 2/3 replies, rta 2.5ms",
			perf: "rta=2.5ms;1;2 rtmin=2ms rtmax=3ms pl=33.333% sent=3 received=2 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name:  "loss critical before failover and rta warnings",
			obs:   observe(3, rep(0, macA, us(300)), rep(2, macB, us(500))),
			pol:   policy("0.1,10%", "2,20%"),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 lost 1 of 3 probes (33.3%); moved from " + sA + " to " + sB +
				" during the check (failover); answers slowly: rta 0.4ms is above warning 0.1ms on eth0: 2/3 replies, rta 0.4ms",
			perf: "rta=0.4ms;0.1;2 rtmin=0.3ms rtmax=0.5ms pl=33.333%;10;20 sent=3 received=2 macs=2 unexpected_macs=0 multi_mac_probes=0 mac_changes=1 gratuitous=0 spoofed=0",
		},
		{
			name:  "loss and rta warnings in rule order",
			obs:   observe(3, rep(0, macA, us(1500)), rep(2, macA, us(1500))),
			pol:   policy("1", ""),
			state: Warning,
			summary: "ARP WARNING - 198.51.100.10 lost 1 of 3 probes (33.3%); answers slowly: rta 1.5ms is above warning 1ms; is at " + sA +
				" on eth0: 2/3 replies, rta 1.5ms",
			perf: "rta=1.5ms;1; rtmin=1.5ms rtmax=1.5ms pl=33.333% sent=3 received=2 macs=1 unexpected_macs=0 multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0",
		},
		{
			name: "every rule at once",
			obs: observe(5,
				rep(0, macA, us(400)),
				rep(1, macA, us(400)), rep(1, macZ, us(400)),
				rep(2, macZ, us(400)),
				rep(4, macA, us(400))),
			pol:   policy("0.1", "5", nodeA),
			state: Critical,
			summary: "ARP CRITICAL - 198.51.100.10 is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered by 2 MACs at once in 1 of 5 probes (split brain): " + sA + " (node-a) and " + sZ + " (not allowed)" +
				"; is flapping between " + sA + " (node-a) and " + sZ + " (not allowed): its MAC changed 2 times in 5 probes" +
				"; lost 1 of 5 probes (20%)" +
				"; answers slowly: rta 0.4ms is above warning 0.1ms" +
				" on eth0: 4/5 replies, rta 0.4ms",
			perf: "rta=0.4ms;0.1;5 rtmin=0.4ms rtmax=0.4ms pl=20% sent=5 received=4 macs=2 unexpected_macs=1 multi_mac_probes=1 mac_changes=2 gratuitous=0 spoofed=0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Decide(tt.obs, tt.pol)
			if r.State != tt.state {
				t.Errorf("State = %v, want %v", r.State, tt.state)
			}
			if got := r.Summary(); got != tt.summary {
				t.Errorf("Summary mismatch\n got: %s\nwant: %s", got, tt.summary)
			}
			if got := perfString(r); got != tt.perf {
				t.Errorf("Perfdata mismatch\n got: %s\nwant: %s", got, tt.perf)
			}
			checkInvariants(t, tt.obs, r)

			// The same observation over NDP: the same rules, state and
			// perfdata; only the prefix, the target and the way
			// announcements arrive read differently.
			obs6 := asNDP(tt.obs)
			r6 := Decide(obs6, tt.pol)
			if r6.State != tt.state {
				t.Errorf("NDP State = %v, want %v", r6.State, tt.state)
			}
			if got, want := r6.Summary(), toNDPWords.Replace(tt.summary); got != want {
				t.Errorf("NDP Summary mismatch\n got: %s\nwant: %s", got, want)
			}
			if got := perfString(r6); got != tt.perf {
				t.Errorf("NDP Perfdata mismatch\n got: %s\nwant: %s", got, tt.perf)
			}
			checkInvariants(t, obs6, r6)
		})
	}
}

var (
	testTarget6 = netip.MustParseAddr("2001:db8::10")
	testSource6 = netip.MustParseAddr("2001:db8::1")
)

// asNDP turns an ARP observation into the same observation over NDP.
func asNDP(o Observation) Observation {
	o.Protocol = ProtocolNDP
	o.Target = testTarget6
	if o.Source == testSource {
		o.Source = testSource6
	}
	return o
}

// toNDPWords rewrites an ARP summary or long output into its NDP form.
var toNDPWords = strings.NewReplacer(
	"gratuitous ARP", "unsolicited neighbor advertisement",
	"gratuitous announcement", "unsolicited advertisement",
	"ARP ", "NDP ",
	testTarget.String(), testTarget6.String(),
	"from "+testSource.String()+" (", "from "+testSource6.String()+" (",
)

// checkInvariants holds for every result.
func checkInvariants(t *testing.T, obs Observation, r Result) {
	t.Helper()
	if len(r.Findings) == 0 {
		t.Fatalf("no findings")
	}
	if r.State != r.Findings[0].State {
		t.Errorf("State %v is not the first finding's %v", r.State, r.Findings[0].State)
	}
	for i := 1; i < len(r.Findings); i++ {
		if r.Findings[i].State > r.Findings[i-1].State {
			t.Errorf("findings not worst first: %+v", r.Findings)
		}
	}
	if r.State < OK || r.State > Critical {
		t.Errorf("State %d out of 0..2", r.State)
	}
	sum := r.Summary()
	prefix := obs.Protocol + " " + r.State.String() + " - " + obs.Target.String() + " "
	if !strings.HasPrefix(sum, prefix) {
		t.Errorf("Summary %q does not start with %q", sum, prefix)
	}
	if strings.ContainsAny(sum, "|\n\r") {
		t.Errorf("Summary %q contains '|' or a line break", sum)
	}
	for v := 0; v <= 2; v++ {
		if lo := r.LongOutput(v); strings.Contains(lo, "|") {
			t.Errorf("LongOutput(%d) %q contains '|'", v, lo)
		}
	}
	pd := perfMap(r)
	sent, _ := strconv.Atoi(pd["sent"].Value)
	received, _ := strconv.Atoi(pd["received"].Value)
	if received > sent || received < 0 {
		t.Errorf("received %d, sent %d", received, sent)
	}
	if sent != len(obs.ProbesSent) {
		t.Errorf("sent %d, want %d", sent, len(obs.ProbesSent))
	}
	pl, err := strconv.ParseFloat(pd["pl"].Value, 64)
	if err != nil || pl < 0 || pl > 100 {
		t.Errorf("pl %q not in 0..100", pd["pl"].Value)
	}
}

func perfMap(r Result) map[string]Metric {
	m := make(map[string]Metric)
	for _, x := range r.Perfdata() {
		m[x.Label] = x
	}
	return m
}

func TestDecideFindings(t *testing.T) {
	// The findings themselves, for the case with every rule.
	obs := observe(5,
		rep(0, macA, us(400)),
		rep(1, macA, us(400)), rep(1, macZ, us(400)),
		rep(2, macZ, us(400)),
		rep(4, macA, us(400)))
	r := Decide(obs, policy("0.1", "5", nodeA))
	var got []State
	for _, f := range r.Findings {
		got = append(got, f.State)
	}
	want := []State{Critical, Critical, Critical, Warning, Warning}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("finding states = %v, want %v", got, want)
	}

	// The OK finding follows the problems when the one MAC is named.
	r = Decide(observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))), Policy{})
	want = []State{Warning, OK}
	got = nil
	for _, f := range r.Findings {
		got = append(got, f.State)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("finding states = %v, want %v", got, want)
	}
	if r.Findings[1].Text != "is at "+sA {
		t.Errorf("OK finding %q", r.Findings[1].Text)
	}
}

func TestDecideDoesNotModifyObservation(t *testing.T) {
	obs := announce(observe(3, rep(2, macB, us(500)), rep(0, macA, us(300)), rep(1, macA, us(400))), macZ, time.Millisecond)
	before := announce(observe(3, rep(2, macB, us(500)), rep(0, macA, us(300)), rep(1, macA, us(400))), macZ, time.Millisecond)
	Decide(obs, policy("1,20%", "2,50%", nodeA, nodeB))
	if !reflect.DeepEqual(obs, before) {
		t.Errorf("Decide modified its observation")
	}
}

func TestReplyOrderWithinProbes(t *testing.T) {
	// Replies arrive in order; a late reply to an earlier probe still counts
	// for that probe.
	obs := observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(0, macA, us(150_000)), rep(2, macA, us(500)))
	r := Decide(obs, Policy{})
	if r.State != OK {
		t.Errorf("State = %v, want OK", r.State)
	}
	if want := "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 3/3 replies, rta 0.4ms"; r.Summary() != want {
		t.Errorf("Summary = %q, want %q", r.Summary(), want)
	}
}

func TestStateString(t *testing.T) {
	tests := []struct {
		s    State
		want string
	}{
		{OK, "OK"}, {Warning, "WARNING"}, {Critical, "CRITICAL"}, {Unknown, "UNKNOWN"},
		{State(4), "UNKNOWN"}, {State(-1), "UNKNOWN"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("State(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
	if OK != 0 || Warning != 1 || Critical != 2 || Unknown != 3 {
		t.Errorf("states are not the plugin exit codes")
	}
}

func TestPerfdataFields(t *testing.T) {
	tests := []struct {
		name string
		obs  Observation
		pol  Policy
		want []Metric
	}{
		{
			name: "healthy with thresholds",
			obs:  elapsed(observe(3, healthy3(macA)...), 250*time.Millisecond),
			pol:  policy("1,20%", "2,50%", nodeA),
			want: []Metric{
				{Label: "rta", Value: "0.4", UOM: "ms", Warn: "1", Crit: "2", Min: "0"},
				{Label: "rtmin", Value: "0.3", UOM: "ms", Min: "0"},
				{Label: "rtmax", Value: "0.5", UOM: "ms", Min: "0"},
				{Label: "pl", Value: "0", UOM: "%", Warn: "20", Crit: "50", Min: "0", Max: "100"},
				{Label: "sent", Value: "3", Min: "0"},
				{Label: "received", Value: "3", Min: "0", Max: "3"},
				{Label: "macs", Value: "1", Min: "0"},
				{Label: "unexpected_macs", Value: "0", Min: "0"},
				{Label: "multi_mac_probes", Value: "0", Min: "0"},
				{Label: "mac_changes", Value: "0", Min: "0"},
				{Label: "gratuitous", Value: "0", Min: "0"},
				{Label: "spoofed", Value: "0", Min: "0"},
				{Label: "time", Value: "0.25", UOM: "s", Min: "0"},
			},
		},
		{
			name: "silent",
			obs:  elapsed(observe(2), 1500*time.Millisecond),
			want: []Metric{
				{Label: "rta", Value: "U", Min: "0"},
				{Label: "rtmin", Value: "U", Min: "0"},
				{Label: "rtmax", Value: "U", Min: "0"},
				{Label: "pl", Value: "100", UOM: "%", Min: "0", Max: "100"},
				{Label: "sent", Value: "2", Min: "0"},
				{Label: "received", Value: "0", Min: "0", Max: "2"},
				{Label: "macs", Value: "0", Min: "0"},
				{Label: "unexpected_macs", Value: "0", Min: "0"},
				{Label: "multi_mac_probes", Value: "0", Min: "0"},
				{Label: "mac_changes", Value: "0", Min: "0"},
				{Label: "gratuitous", Value: "0", Min: "0"},
				{Label: "spoofed", Value: "0", Min: "0"},
				{Label: "time", Value: "1.5", UOM: "s", Min: "0"},
			},
		},
		{
			name: "sub-microsecond rtt rounds to three decimals",
			obs:  observe(1, rep(0, macA, 1234567*time.Nanosecond)),
			want: []Metric{
				{Label: "rta", Value: "1.235", UOM: "ms", Min: "0"},
				{Label: "rtmin", Value: "1.235", UOM: "ms", Min: "0"},
				{Label: "rtmax", Value: "1.235", UOM: "ms", Min: "0"},
				{Label: "pl", Value: "0", UOM: "%", Min: "0", Max: "100"},
				{Label: "sent", Value: "1", Min: "0"},
				{Label: "received", Value: "1", Min: "0", Max: "1"},
				{Label: "macs", Value: "1", Min: "0"},
				{Label: "unexpected_macs", Value: "0", Min: "0"},
				{Label: "multi_mac_probes", Value: "0", Min: "0"},
				{Label: "mac_changes", Value: "0", Min: "0"},
				{Label: "gratuitous", Value: "0", Min: "0"},
				{Label: "spoofed", Value: "0", Min: "0"},
				{Label: "time", Value: "1", UOM: "s", Min: "0"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.obs, tt.pol).Perfdata()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Perfdata mismatch\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}

func TestLongOutput(t *testing.T) {
	const v2line = "probes sent from 198.51.100.1 (02:00:00:00:00:01) on eth0; the run took 1s"
	healthyTimeline := []string{
		sA + " answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
		"probe 1 at +0ms: " + sA + " in 0.3ms",
		"probe 2 at +100ms: " + sA + " in 0.4ms",
		"probe 3 at +200ms: " + sA + " in 0.5ms",
	}
	splitBrain := observe(3,
		rep(0, macA, us(400)), rep(0, macB, us(600)),
		rep(1, macA, us(400)), rep(1, macB, us(600)),
		rep(2, macA, us(400)), rep(2, macB, us(600)))
	dups := observe(3,
		rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380)),
		rep(1, macA, us(400)), rep(1, macA, us(420)),
		rep(2, macA, us(500)))
	unrecorded := observe(3, healthy3(macA)...)
	unrecorded.Unrecorded = 7
	rfc5227 := elapsed(observe(1, rep(0, macA, us(400))), 250*time.Millisecond)
	rfc5227.Source = netip.IPv4Unspecified()

	tests := []struct {
		name      string
		obs       Observation
		pol       Policy
		verbosity int
		want      []string
	}{
		{name: "plain OK, v0", obs: observe(3, healthy3(macA)...), verbosity: 0, want: nil},
		{name: "plain OK with allowlist, v0", obs: observe(3, healthy3(macA)...), pol: policy("", "", nodeA), verbosity: 0, want: nil},
		{name: "OK with loss under the pl threshold, v0",
			obs: observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol: policy("30%", ""), verbosity: 0, want: nil},
		{name: "duplicates, v0", obs: dups, verbosity: 0, want: nil},
		{name: "plain OK, v1", obs: observe(3, healthy3(macA)...), verbosity: 1, want: healthyTimeline},
		{name: "plain OK, v2", obs: observe(3, healthy3(macA)...), verbosity: 2, want: append(append([]string(nil), healthyTimeline...), v2line)},
		{name: "plain OK, v3 is v2", obs: observe(3, healthy3(macA)...), verbosity: 3, want: append(append([]string(nil), healthyTimeline...), v2line)},
		{name: "RFC 5227 source, v2", obs: rfc5227, verbosity: 2, want: []string{
			sA + " answered probe 1 with 1 reply, rtt 0.4ms",
			"probe 1 at +0ms: " + sA + " in 0.4ms",
			"probes sent from 0.0.0.0 (02:00:00:00:00:01) on eth0; the run took 250ms",
		}},
		{name: "silent, v0", obs: observe(3), verbosity: 0, want: nil},
		{name: "silent with allowlist, v0", obs: observe(3), pol: policy("", "", nodeA, nodeB), verbosity: 0, want: []string{
			"allowed: " + sA + " (node-a) and " + sB + " (node-b)",
		}},
		{name: "silent, v1", obs: observe(3), verbosity: 1, want: []string{
			"probe 1 at +0ms: no reply",
			"probe 2 at +100ms: no reply",
			"probe 3 at +200ms: no reply",
		}},
		{name: "wrong MAC, v0", obs: observe(3, healthy3(macZ)...), pol: policy("", "", nodeA), verbosity: 0, want: []string{
			sZ + " (not allowed) answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
			"allowed: " + sA + " (node-a)",
		}},
		{name: "split brain, v0", obs: splitBrain, pol: policy("", "", nodeA, nodeB), verbosity: 0, want: []string{
			sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.4ms",
			sB + " (node-b) answered probes 1-3 with 3 replies, rtt 0.6ms",
			"allowed: " + sA + " (node-a) and " + sB + " (node-b)",
		}},
		{name: "split brain, v1", obs: splitBrain, pol: policy("", "", nodeA, nodeB), verbosity: 1, want: []string{
			sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.4ms",
			sB + " (node-b) answered probes 1-3 with 3 replies, rtt 0.6ms",
			"allowed: " + sA + " (node-a) and " + sB + " (node-b)",
			"probe 1 at +0ms: " + sA + " (node-a) in 0.4ms, " + sB + " (node-b) in 0.6ms",
			"probe 2 at +100ms: " + sA + " (node-a) in 0.4ms, " + sB + " (node-b) in 0.6ms",
			"probe 3 at +200ms: " + sA + " (node-a) in 0.4ms, " + sB + " (node-b) in 0.6ms",
		}},
		{name: "failover without allowlist, v0",
			obs:       observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
			verbosity: 0, want: []string{
				sA + " answered probes 1-2 with 2 replies, rtt 0.3-0.4ms",
				sB + " answered probe 3 with 1 reply, rtt 0.5ms",
			}},
		{name: "loss, v1", obs: observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))), verbosity: 1, want: []string{
			sA + " answered probes 1,3 with 2 replies, rtt 0.3-0.5ms",
			"probe 1 at +0ms: " + sA + " in 0.3ms",
			"probe 2 at +100ms: no reply",
			"probe 3 at +200ms: " + sA + " in 0.5ms",
		}},
		{name: "probe ranges, v0",
			obs:       observe(6, rep(0, macA, us(400)), rep(1, macA, us(400)), rep(3, macA, us(400)), rep(4, macA, us(400)), rep(5, macA, us(400))),
			verbosity: 0, want: []string{
				sA + " answered probes 1-2,4-6 with 5 replies, rtt 0.4ms",
			}},
		{name: "duplicates, v1", obs: dups, verbosity: 1, want: []string{
			sA + " answered probes 1-3 with 6 replies, rtt 0.3-0.5ms",
			"probe 1 at +0ms: " + sA + " in 0.3ms (+2 duplicates)",
			"probe 2 at +100ms: " + sA + " in 0.4ms (+1 duplicate)",
			"probe 3 at +200ms: " + sA + " in 0.5ms",
		}},
		{name: "duplicates with loss, v0",
			obs:       observe(3, rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380))),
			verbosity: 0, want: []string{
				sA + " answered probe 1 with 3 replies, rtt 0.3-0.38ms",
			}},
		{name: "unexpected announcement, v0",
			obs: announce(announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond), macZ, 250*time.Millisecond),
			pol: policy("", "", nodeA), verbosity: 0, want: []string{
				sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
				sZ + " (not allowed) sent 2 gratuitous announcements for 198.51.100.10, first at +150ms",
				"allowed: " + sA + " (node-a)",
			}},
		{name: "allowed announcement, v0",
			obs: announce(observe(3, healthy3(macA)...), macA, 150*time.Millisecond),
			pol: policy("", "", nodeA), verbosity: 0, want: []string{
				sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
				sA + " (node-a) sent 1 gratuitous announcement for 198.51.100.10, first at +150ms",
			}},
		{name: "contested announcement without allowlist, v0",
			obs:       announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond),
			verbosity: 0, want: []string{
				sA + " answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
				sZ + " sent 1 gratuitous announcement for 198.51.100.10, first at +150ms",
			}},
		{name: "unrecorded replies, v0", obs: unrecorded, verbosity: 0, want: []string{
			sA + " answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
			"7 further replies or announcements arrived after the recording limit and were only counted",
		}},
		{name: "out-of-range replies are not in the timeline, v1",
			obs:       observe(2, rep(0, macA, us(400)), rep(-1, macZ, us(400)), rep(2, macZ, us(400)), rep(1, macA, us(400))),
			verbosity: 1, want: []string{
				sA + " answered probes 1-2 with 2 replies, rtt 0.4ms",
				"probe 1 at +0ms: " + sA + " in 0.4ms",
				"probe 2 at +100ms: " + sA + " in 0.4ms",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.obs, tt.pol).LongOutput(tt.verbosity)
			want := strings.Join(tt.want, "\n")
			if got != want {
				t.Errorf("LongOutput(%d) mismatch\n got:\n%s\nwant:\n%s", tt.verbosity, got, want)
			}
			got6 := Decide(asNDP(tt.obs), tt.pol).LongOutput(tt.verbosity)
			if want6 := toNDPWords.Replace(want); got6 != want6 {
				t.Errorf("NDP LongOutput(%d) mismatch\n got:\n%s\nwant:\n%s", tt.verbosity, got6, want6)
			}
		})
	}
}

func BenchmarkDecide(b *testing.B) {
	obs := observe(3, healthy3(macA)...)
	pol := policy("200,40%", "500,80%", nodeA)
	b.ReportAllocs()
	for b.Loop() {
		Decide(obs, pol)
	}
}

// render is everything the plugin does with an observation: decide, then
// the summary, long output and performance data it prints.
func render(obs Observation, pol Policy) int {
	r := Decide(obs, pol)
	return len(r.Summary()) + len(r.LongOutput(0)) + len(r.Perfdata())
}

func BenchmarkVerdictOutput(b *testing.B) {
	obs := observe(3, healthy3(macA)...)
	pol := policy("200,40%", "500,80%", nodeA)
	b.ReportAllocs()
	for b.Loop() {
		render(obs, pol)
	}
}

// TestBenchmarkBodies runs what the benchmarks measure once, so that
// go test covers them without -bench.
func TestBenchmarkBodies(t *testing.T) {
	if render(observe(3, healthy3(macA)...), policy("200,40%", "500,80%", nodeA)) == 0 {
		t.Fatal("no output")
	}
}

// fuzzMACs are the MACs a fuzzed reply may claim; the zero MAC is in the
// set on purpose.
var fuzzMACs = []mac.Addr{macA, macB, macC, macZ, {}}

// fuzzPolicies are the policies a fuzzed observation is judged by.
var fuzzPolicies = []Policy{
	{},
	policy("", "", nodeA),
	policy("", "", nodeA, nodeB),
	policy("1,20%", "2,50%"),
	policy("@0.5:1", "~:3", entry{macZ, "z"}),
	policy("", "10:,0%", nodeB),
	policy("0.1", "", nodeA, nodeB, entry{macC, ""}),
	policy("50%", "", nodeA),
}

// fuzzObservation builds an observation from fuzz bytes: data[0] picks the
// probe count (1-20), data[1] the policy, data[2] the unrecorded count,
// then each triple is a reply (or, with the top bit of its first byte set,
// an announcement): probe index (out of range included), MAC, RTT.
func fuzzObservation(data []byte) (Observation, Policy) {
	at := func(i int) byte {
		if i < len(data) {
			return data[i]
		}
		return 0
	}
	n := 1 + int(at(0))%20
	pol := fuzzPolicies[int(at(1))%len(fuzzPolicies)]
	obs := observe(n)
	obs.Unrecorded = int(at(2) % 4)
	obs.Elapsed = time.Duration(at(2)) * 10 * time.Millisecond
	for i := 3; i+2 < len(data); i += 3 {
		m := fuzzMACs[int(data[i+1])%len(fuzzMACs)]
		rtt := time.Duration(data[i+2]) * 37 * time.Microsecond
		if data[i]&0x80 != 0 {
			obs.Announcements = append(obs.Announcements, Announcement{MAC: m, At: rtt})
			continue
		}
		probe := int(data[i]&0x7f)%(n+2) - 1
		obs.Replies = append(obs.Replies, Reply{Probe: probe, MAC: m, RTT: rtt})
	}
	return obs, pol
}

func FuzzDecide(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 1, 0, 11, 2, 0, 11, 3, 0, 11})                     // healthy
	f.Add([]byte{2, 1, 0, 1, 3, 11, 2, 3, 11, 3, 3, 11})                     // wrong MAC
	f.Add([]byte{2, 2, 0, 1, 0, 11, 1, 1, 16, 2, 0, 11, 2, 1, 16})           // split brain
	f.Add([]byte{2, 0, 0, 1, 0, 11, 2, 1, 11, 3, 0, 11})                     // flapping
	f.Add([]byte{3, 3, 5, 1, 0, 200, 3, 0, 250, 0x80, 3, 1})                 // loss, rta, announcement
	f.Add([]byte{0, 4, 1, 0, 4, 0, 2, 4, 0, 1, 1, 1})                        // count 1, out of range, zero MAC
	f.Add([]byte{19, 5, 2, 1, 0, 1, 5, 1, 2, 9, 2, 3, 14, 3, 4, 0x85, 0, 9}) // 20 probes
	f.Fuzz(func(t *testing.T, data []byte) {
		obs, pol := fuzzObservation(data)
		r := Decide(obs, pol)
		checkInvariants(t, obs, r)
		sum := r.Summary()
		if !strings.HasPrefix(sum, "ARP "+r.State.String()+" - 198.51.100.10 ") {
			t.Fatalf("Summary %q has the wrong prefix", sum)
		}

		// Independent oracles.
		answered := map[int]bool{}
		macs := map[mac.Addr]bool{}
		for _, rp := range obs.Replies {
			if rp.Probe >= 0 && rp.Probe < len(obs.ProbesSent) {
				answered[rp.Probe] = true
				macs[rp.MAC] = true
			}
		}
		pd := perfMap(r)
		if len(answered) == 0 && r.State != Critical {
			t.Fatalf("no reply but State %v: %s", r.State, sum)
		}
		if got := pd["received"].Value; got != strconv.Itoa(len(answered)) {
			t.Fatalf("received = %s, want %d", got, len(answered))
		}
		if got := pd["macs"].Value; got != strconv.Itoa(len(macs)) {
			t.Fatalf("macs = %s, want %d", got, len(macs))
		}
		if pol.Allowed.Len() == 0 && pd["unexpected_macs"].Value != "0" {
			t.Fatalf("unexpected_macs = %s without an allowlist", pd["unexpected_macs"].Value)
		}
		if len(macs) > 1 && r.State == OK {
			t.Fatalf("%d MACs answered but State OK: %s", len(macs), sum)
		}
		if len(answered) == 0 {
			for _, l := range []string{"rta", "rtmin", "rtmax"} {
				if pd[l].Value != "U" {
					t.Fatalf("%s = %q without replies", l, pd[l].Value)
				}
			}
		}
	})
}

func TestNDPWording(t *testing.T) {
	obs := asNDP(announce(observe(3, healthy3(macA)...), macB, 150*time.Millisecond))
	r := Decide(obs, policy("", "", nodeA, nodeB))
	want := "NDP WARNING - 2001:db8::10 was announced by unsolicited neighbor advertisement from " + sB + " (node-b) while " + sA + " (node-a) answered; is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms"
	if got := r.Summary(); got != want {
		t.Errorf("Summary\n got: %s\nwant: %s", got, want)
	}
	if lo := r.LongOutput(0); !strings.Contains(lo, sB+" (node-b) sent 1 unsolicited advertisement for 2001:db8::10, first at +150ms") {
		t.Errorf("LongOutput:\n%s", lo)
	}
	if pd := perfMap(r); pd["gratuitous"].Value != "1" {
		t.Errorf("gratuitous perfdata %+v, want 1: the label stays the same for NDP", pd["gratuitous"])
	}
}
