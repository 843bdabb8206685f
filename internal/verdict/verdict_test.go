package verdict

import (
	"net/netip"
	"reflect"
	"slices"
	"sort"
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

// healthyFacts are the counts of healthy3, three probes each answered by
// one MAC, by Facts field: the baseline that test cases override.
const healthyFacts = "RTA=0.4ms RTMin=0.3ms RTMax=0.5ms LossPercent=0 Sent=3 Received=3 " +
	"Answerers=1 Unexpected=0 MultiMACProbes=0 MACChanges=0 Announcements=0 Spoofed=0"

// silent overrides healthyFacts for three probes that nobody answered.
const silent = "RTA=0ms RTMin=0ms RTMax=0ms LossPercent=100 Received=0 Answerers=0"

// countsOf lists the counts of f by field name, as healthyFacts does.
func countsOf(f Facts) map[string]string {
	msOf := func(d time.Duration) string {
		return threshold.FormatNumber(float64(d)/float64(time.Millisecond)) + "ms"
	}
	return map[string]string{
		"RTA": msOf(f.RTA), "RTMin": msOf(f.RTMin), "RTMax": msOf(f.RTMax),
		"LossPercent": threshold.FormatNumber(f.LossPercent),
		"Sent":        strconv.Itoa(f.Sent), "Received": strconv.Itoa(f.Received),
		"Answerers": strconv.Itoa(len(f.Answerers)), "Unexpected": strconv.Itoa(len(f.Unexpected)),
		"MultiMACProbes": strconv.Itoa(f.MultiMACProbes), "MACChanges": strconv.Itoa(f.MACChanges),
		"Announcements": strconv.Itoa(f.Announcements), "Spoofed": strconv.Itoa(f.Spoofed),
	}
}

// wantCounts is healthyFacts with overrides ("Field=value ...") applied.
func wantCounts(t *testing.T, overrides string) map[string]string {
	t.Helper()
	want := make(map[string]string)
	for _, list := range []string{healthyFacts, overrides} {
		for _, kv := range strings.Fields(list) {
			k, v, ok := strings.Cut(kv, "=")
			if _, known := want[k]; !ok || (list == overrides && !known) {
				t.Fatalf("bad override %q", kv)
			}
			want[k] = v
		}
	}
	return want
}

// countsDiff names the counts that differ from want.
func countsDiff(got, want map[string]string) string {
	var diff []string
	for k, w := range want {
		if got[k] != w {
			diff = append(diff, k+"="+got[k]+" (want "+w+")")
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, " ")
}

// findingsText joins the findings' sentences as the summary does.
func findingsText(r Result) string {
	texts := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		texts[i] = f.Text
	}
	return strings.Join(texts, "; ")
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
		name     string
		obs      Observation
		pol      Policy
		state    State
		findings string // the findings' sentences, joined by "; "
		facts    string // overrides of healthyFacts, "" for none
	}{
		// Owner: one MAC answers.
		{
			name:     "healthy without allowlist",
			obs:      observe(3, healthy3(macA)...),
			state:    OK,
			findings: "is at " + sA,
		},
		{
			name:     "healthy with labelled allowlist",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("", "", nodeA),
			state:    OK,
			findings: "is at " + sA + " (node-a)",
		},
		{
			name:     "healthy with unlabelled allowlist",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("", "", entry{macA, ""}),
			state:    OK,
			findings: "is at " + sA,
		},
		{
			name:     "healthy, one of two allowed nodes answers",
			obs:      observe(3, healthy3(macB)...),
			pol:      policy("", "", nodeA, nodeB),
			state:    OK,
			findings: "is at " + sB + " (node-b)",
		},
		{
			name:     "healthy within thresholds",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("1,20%", "2,50%", nodeA),
			state:    OK,
			findings: "is at " + sA + " (node-a)",
		},
		{
			name:     "count 1 healthy",
			obs:      observe(1, rep(0, macA, us(400))),
			state:    OK,
			findings: "is at " + sA,
			facts:    "RTMin=0.4ms RTMax=0.4ms Sent=1 Received=1",
		},

		// Silence.
		{
			name:     "silent",
			obs:      observe(3),
			state:    Critical,
			findings: "did not answer",
			facts:    silent,
		},
		{
			name:     "silent with allowlist and thresholds",
			obs:      observe(3),
			pol:      policy("1,20%", "2,50%", nodeA),
			state:    Critical,
			findings: "did not answer",
			facts:    silent,
		},
		{
			name:     "count 1 silent",
			obs:      observe(1),
			state:    Critical,
			findings: "did not answer",
			facts:    silent + " " + "Sent=1",
		},
		{
			name:     "no probe sent at all",
			obs:      observe(0),
			state:    Critical,
			findings: "did not answer",
			facts:    silent + " " + "Sent=0",
		},
		{
			name:     "silent but announced by the allowed MAC",
			obs:      announce(observe(3), macA, 150*time.Millisecond),
			pol:      policy("", "", nodeA),
			state:    Critical,
			findings: "did not answer",
			facts:    silent + " " + "Announcements=1",
		},
		{
			name:     "silent but announced by an unexpected MAC",
			obs:      announce(observe(3), macZ, 150*time.Millisecond),
			pol:      policy("", "", nodeA),
			state:    Critical,
			findings: "did not answer; is announced by gratuitous ARP from " + sZ + " (not in the allowlist), expected " + sA + " (node-a)",
			facts:    silent + " " + "Unexpected=1 Announcements=1",
		},
		{
			name:     "only replies with out-of-range probe indexes: silent",
			obs:      observe(3, rep(-1, macZ, us(400)), rep(3, macZ, us(400)), rep(99, macA, us(400))),
			pol:      policy("", "", nodeA),
			state:    Critical,
			findings: "did not answer",
			facts:    silent,
		},

		// UnexpectedMAC: MACs outside the allowlist.
		{
			name:     "wrong MAC",
			obs:      observe(3, healthy3(macZ)...),
			pol:      policy("", "", nodeA),
			state:    Critical,
			findings: "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)",
			facts:    "Unexpected=1",
		},
		{
			name:     "wrong MAC, two allowed, unlabelled",
			obs:      observe(3, healthy3(macZ)...),
			pol:      policy("", "", entry{macB, ""}, entry{macA, ""}),
			state:    Critical,
			findings: "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " and " + sB,
			facts:    "Unexpected=1",
		},
		{
			name:     "wrong MAC, two allowed, labelled",
			obs:      observe(3, healthy3(macZ)...),
			pol:      policy("", "", nodeB, nodeA),
			state:    Critical,
			findings: "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a) and " + sB + " (node-b)",
			facts:    "Unexpected=1",
		},
		{
			name: "allowed and unexpected MAC answer every probe (IP conflict)",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macZ, us(600)),
				rep(1, macA, us(400)), rep(1, macZ, us(600)),
				rep(2, macA, us(400)), rep(2, macZ, us(600))),
			pol:   policy("", "", nodeA),
			state: Critical,
			findings: "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sA + " (node-a) and " + sZ + " (not allowed)",
			facts: "RTMin=0.4ms RTMax=0.4ms Answerers=2 Unexpected=1 MultiMACProbes=3",
		},
		{
			name: "more than three unexpected MACs",
			obs: observe(4,
				rep(0, macB, us(400)), rep(1, macC, us(400)), rep(2, macD, us(400)), rep(3, macZ, us(400))),
			pol:   policy("", "", nodeA),
			state: Critical,
			findings: "is claimed by " + sB + ", " + sC + ", " + sD + " and 1 more (not in the allowlist), expected " + sA + " (node-a)" +
				"; is flapping between " + sB + " (not allowed), " + sC + " (not allowed), " + sD + " (not allowed) and 1 more: its MAC changed 3 times in 4 probes",
			facts: "RTMin=0.4ms RTMax=0.4ms Sent=4 Received=4 Answerers=4 Unexpected=4 MACChanges=3",
		},
		{
			name: "five unexpected MACs, count 1, one of them by announcement",
			obs: announce(observe(1,
				rep(0, macB, us(400)), rep(0, macC, us(500)), rep(0, macD, us(600)), rep(0, macZ, us(700))),
				macE, 50*time.Millisecond),
			pol:   policy("", "", nodeA),
			state: Critical,
			findings: "is claimed by " + sB + ", " + sC + ", " + sD + " and 2 more (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered by 4 MACs at once in 1 of 1 probes (split brain): " + sB + " (not allowed), " + sC + " (not allowed), " + sD + " (not allowed) and 1 more",
			facts: "RTMin=0.4ms RTMax=0.4ms Sent=1 Received=1 Answerers=4 Unexpected=5 MultiMACProbes=1 Announcements=1",
		},
		{
			name:     "announcement from an unexpected MAC while the allowed one answers",
			obs:      announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond),
			pol:      policy("", "", nodeA),
			state:    Critical,
			findings: "is announced by gratuitous ARP from " + sZ + " (not in the allowlist), expected " + sA + " (node-a)",
			facts:    "Unexpected=1 Announcements=1",
		},
		{
			name:     "announcement from the allowed MAC",
			obs:      announce(observe(3, healthy3(macA)...), macA, 150*time.Millisecond),
			pol:      policy("", "", nodeA),
			state:    OK,
			findings: "is at " + sA + " (node-a)",
			facts:    "Announcements=1",
		},

		// Contested: an allowed (or, without allowlist, any) MAC that did
		// not answer announces the target while another MAC answers.
		{
			name:     "announcement from another MAC without allowlist (contested)",
			obs:      announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond),
			state:    Warning,
			findings: "was announced by gratuitous ARP from " + sZ + " while " + sA + " answered; is at " + sA,
			facts:    "Announcements=1",
		},
		{
			name:     "announcement from another allowed MAC (contested)",
			obs:      announce(announce(observe(3, healthy3(macA)...), macB, 150*time.Millisecond), macB, 250*time.Millisecond),
			pol:      policy("", "", nodeA, nodeB),
			state:    Warning,
			findings: "was announced by gratuitous ARP from " + sB + " (node-b) while " + sA + " (node-a) answered; is at " + sA + " (node-a)",
			facts:    "Announcements=2",
		},
		{
			name: "announcements from several MACs while two answer",
			obs: announce(announce(observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
				macC, 150*time.Millisecond), macZ, 250*time.Millisecond),
			state: Warning,
			findings: "moved from " + sA + " to " + sB + " during the check (failover)" +
				"; was announced by gratuitous ARP from " + sC + " and " + sZ + " while " + sA + " and " + sB + " answered",
			facts: "Answerers=2 MACChanges=1 Announcements=2",
		},
		{
			name:     "announcement from a MAC that also answered is not contested",
			obs:      announce(observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))), macB, 250*time.Millisecond),
			pol:      policy("", "", nodeA, nodeB),
			state:    Warning,
			findings: "moved from " + sA + " (node-a) to " + sB + " (node-b) during the check (failover)",
			facts:    "Answerers=2 MACChanges=1 Announcements=1",
		},
		{
			name:  "announcement from an unexpected MAC is unexpected-mac, not contested",
			obs:   announce(announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond), macB, 160*time.Millisecond),
			pol:   policy("", "", nodeA, nodeB),
			state: Critical,
			findings: "is announced by gratuitous ARP from " + sZ + " (not in the allowlist), expected " + sA + " (node-a) and " + sB + " (node-b)" +
				"; was announced by gratuitous ARP from " + sB + " (node-b) while " + sA + " (node-a) answered",
			facts: "Unexpected=1 Announcements=2",
		},
		{
			name:     "announcement by an allowed MAC while nobody answers is only silence",
			obs:      announce(observe(3), macB, 150*time.Millisecond),
			pol:      policy("", "", nodeA, nodeB),
			state:    Critical,
			findings: "did not answer",
			facts:    silent + " " + "Announcements=1",
		},

		// SplitBrain.
		{
			name: "split brain, both allowed",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macB, us(600)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macA, us(400)), rep(2, macB, us(600))),
			pol:      policy("", "", nodeA, nodeB),
			state:    Critical,
			findings: "is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sA + " (node-a) and " + sB + " (node-b)",
			facts:    "RTMin=0.4ms RTMax=0.4ms Answerers=2 MultiMACProbes=3",
		},
		{
			name: "split brain without allowlist, B answers first",
			obs: observe(3,
				rep(0, macB, us(400)), rep(0, macA, us(600)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macA, us(400)), rep(2, macB, us(600))),
			state:    Critical,
			findings: "is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sB + " and " + sA,
			facts:    "RTMin=0.4ms RTMax=0.4ms Answerers=2 MultiMACProbes=3",
		},
		{
			name: "split brain in one probe of three",
			obs: observe(3,
				rep(0, macA, us(400)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macA, us(400))),
			pol:      policy("", "", nodeA, nodeB),
			state:    Critical,
			findings: "is answered by 2 MACs at once in 1 of 3 probes (split brain): " + sA + " (node-a) and " + sB + " (node-b)",
			facts:    "RTMin=0.4ms RTMax=0.4ms Answerers=2 MultiMACProbes=1",
		},
		{
			name:     "split brain, count 1",
			obs:      observe(1, rep(0, macA, us(400)), rep(0, macB, us(600))),
			state:    Critical,
			findings: "is answered by 2 MACs at once in 1 of 1 probes (split brain): " + sA + " and " + sB,
			facts:    "RTMin=0.4ms RTMax=0.4ms Sent=1 Received=1 Answerers=2 MultiMACProbes=1",
		},
		{
			name: "split brain of three MACs in one probe, two in another",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macB, us(500)), rep(0, macC, us(600)),
				rep(1, macA, us(400)), rep(1, macB, us(500)),
				rep(2, macA, us(400))),
			state:    Critical,
			findings: "is answered by 3 MACs at once in 2 of 3 probes (split brain): " + sA + ", " + sB + " and " + sC,
			facts:    "RTMin=0.4ms RTMax=0.4ms Answerers=3 MultiMACProbes=2",
		},
		{
			name: "split brain, then the other node alone (failover)",
			obs: observe(3,
				rep(0, macA, us(400)),
				rep(1, macA, us(400)), rep(1, macB, us(600)),
				rep(2, macB, us(400))),
			state: Critical,
			findings: "is answered by 2 MACs at once in 1 of 3 probes (split brain): " + sA + " and " + sB +
				"; moved from " + sA + " to " + sB + " during the check (failover)",
			facts: "RTMin=0.4ms RTMax=0.4ms Answerers=2 MultiMACProbes=1 MACChanges=1",
		},

		{
			// The list names the MACs that answered at once, not the third.
			name: "split brain in one probe, a third MAC alone later",
			obs: observe(3,
				rep(0, macA, us(400)), rep(0, macB, us(600)),
				rep(1, macC, us(400)), rep(2, macC, us(400))),
			state:    Critical,
			findings: "is answered by 2 MACs at once in 1 of 3 probes (split brain): " + sA + " and " + sB,
			facts:    "RTMin=0.4ms RTMax=0.4ms Answerers=3 MultiMACProbes=1",
		},
		{
			// A flood beyond the recording limit is CRITICAL (Flood).
			name: "unrecorded replies are a flood",
			obs: func() Observation {
				o := observe(3, healthy3(macA)...)
				o.Unrecorded = 1000
				return o
			}(),
			pol:      policy("", "", nodeA),
			state:    Critical,
			findings: "is flooded: 1003 frames about it arrived, from at least 1 MAC (" + sA + "); the check records 3; is at " + sA + " (node-a)",
		},

		// Duplicates: the same MAC several times for one probe.
		{
			name: "duplicates are not split brain",
			obs: observe(3,
				rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380)),
				rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("", "", nodeA),
			state:    OK,
			findings: "is at " + sA + " (node-a)",
		},
		{
			name: "duplicates count as one received probe",
			obs: observe(3,
				rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380))),
			state:    Warning,
			findings: "lost 2 of 3 probes (66.7%); is at " + sA,
			facts:    "RTA=0.3ms RTMax=0.3ms LossPercent=66.667 Received=1",
		},
		{
			// The rtt of a probe is its first reply's, even when a
			// duplicate is faster.
			name: "rtt of a probe is its first reply",
			obs: observe(2,
				rep(0, macA, us(900)), rep(0, macA, us(100)),
				rep(1, macA, us(500))),
			state:    OK,
			findings: "is at " + sA,
			facts:    "RTA=0.7ms RTMin=0.5ms RTMax=0.9ms Sent=2 Received=2",
		},
		{
			name: "out-of-range probe indexes are ignored",
			obs: observe(3, append(healthy3(macA),
				rep(-1, macZ, us(100)), rep(3, macZ, us(100)), rep(1<<20, macB, us(100)))...),
			pol:      policy("", "", nodeA),
			state:    OK,
			findings: "is at " + sA + " (node-a)",
		},

		// MACChange: changes of the answering MAC between probes.
		{
			name:     "one failover A,A,B",
			obs:      observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
			state:    Warning,
			findings: "moved from " + sA + " to " + sB + " during the check (failover)",
			facts:    "Answerers=2 MACChanges=1",
		},
		{
			name:     "one failover between labelled nodes",
			obs:      observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macB, us(500))),
			pol:      policy("", "", nodeA, nodeB),
			state:    Warning,
			findings: "moved from " + sA + " (node-a) to " + sB + " (node-b) during the check (failover)",
			facts:    "Answerers=2 MACChanges=1",
		},
		{
			name:  "failover across a lost probe",
			obs:   observe(3, rep(0, macA, us(300)), rep(2, macB, us(500))),
			state: Warning,
			findings: "moved from " + sA + " to " + sB + " during the check (failover)" +
				"; lost 1 of 3 probes (33.3%)",
			facts: "LossPercent=33.333 Received=2 Answerers=2 MACChanges=1",
		},
		{
			name:     "flapping A,B,A",
			obs:      observe(3, rep(0, macA, us(300)), rep(1, macB, us(400)), rep(2, macA, us(500))),
			state:    Critical,
			findings: "is flapping between " + sA + " and " + sB + ": its MAC changed 2 times in 3 probes",
			facts:    "Answerers=2 MACChanges=2",
		},
		{
			name:     "A,B,C",
			obs:      observe(3, rep(0, macA, us(300)), rep(1, macB, us(400)), rep(2, macC, us(500))),
			state:    Critical,
			findings: "is flapping between " + sA + ", " + sB + " and " + sC + ": its MAC changed 2 times in 3 probes",
			facts:    "Answerers=3 MACChanges=2",
		},
		{
			name: "flapping A,B,A,B between labelled nodes",
			obs: observe(4,
				rep(0, macA, us(400)), rep(1, macB, us(400)), rep(2, macA, us(400)), rep(3, macB, us(400))),
			pol:      policy("", "", nodeA, nodeB),
			state:    Critical,
			findings: "is flapping between " + sA + " (node-a) and " + sB + " (node-b): its MAC changed 3 times in 4 probes",
			facts:    "RTMin=0.4ms RTMax=0.4ms Sent=4 Received=4 Answerers=2 MACChanges=3",
		},
		{
			name:  "failover to an unexpected MAC",
			obs:   observe(3, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macZ, us(500))),
			pol:   policy("", "", nodeA),
			state: Critical,
			findings: "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)" +
				"; moved from " + sA + " (node-a) to " + sZ + " (not allowed) during the check (failover)",
			facts: "Answerers=2 Unexpected=1 MACChanges=1",
		},

		// Loss.
		{
			name:     "loss without thresholds",
			obs:      observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))),
			state:    Warning,
			findings: "lost 1 of 3 probes (33.3%); is at " + sA,
			facts:    "LossPercent=33.333 Received=2",
		},
		{
			name:     "loss with rta-only thresholds is still WARNING",
			obs:      observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))),
			pol:      policy("1", "2"),
			state:    Warning,
			findings: "lost 1 of 3 probes (33.3%); is at " + sA,
			facts:    "LossPercent=33.333 Received=2",
		},
		{
			name:     "loss below the pl warning",
			obs:      observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("200,30%", "500,60%"),
			state:    OK,
			findings: "is at " + sA,
			facts:    "LossPercent=25 Sent=4",
		},
		{
			name:     "loss above the pl warning",
			obs:      observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("200,20%", "500,60%"),
			state:    Warning,
			findings: "lost 1 of 4 probes (25%); is at " + sA,
			facts:    "LossPercent=25 Sent=4",
		},
		{
			name:     "loss above the pl critical",
			obs:      observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("200,10%", "500,20%"),
			state:    Critical,
			findings: "lost 1 of 4 probes (25%); is at " + sA,
			facts:    "LossPercent=25 Sent=4",
		},
		{
			name:     "loss exactly at the pl critical is WARNING",
			obs:      observe(4, rep(0, macA, us(300)), rep(2, macA, us(500))),
			pol:      policy("200,40%", "500,50%"),
			state:    Warning,
			findings: "lost 2 of 4 probes (50%); is at " + sA,
			facts:    "LossPercent=50 Sent=4 Received=2",
		},
		{
			// The summary shows the loss to one decimal, as judged.
			name: "loss of 12.5% breaks a 12% warning",
			obs: observe(8, rep(0, macA, us(400)), rep(1, macA, us(400)), rep(2, macA, us(400)), rep(3, macA, us(400)),
				rep(4, macA, us(400)), rep(5, macA, us(400)), rep(6, macA, us(400))),
			pol:      policy("12%", ""),
			state:    Warning,
			findings: "lost 1 of 8 probes (12.5%); is at " + sA,
			facts:    "RTMin=0.4ms RTMax=0.4ms LossPercent=12.5 Sent=8 Received=7",
		},
		{
			name:     "loss of 33.3% shown as 33% breaks a 33% warning",
			obs:      observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))),
			pol:      policy("33%", ""),
			state:    Warning,
			findings: "lost 1 of 3 probes (33.3%); is at " + sA,
			facts:    "LossPercent=33.333 Received=2",
		},
		{
			name:     "pl critical alone, loss above it",
			obs:      observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("", "20%"),
			state:    Critical,
			findings: "lost 1 of 4 probes (25%); is at " + sA,
			facts:    "LossPercent=25 Sent=4",
		},
		{
			// A pl part in -c alone turns off the default WARNING on loss.
			name:     "pl critical alone, loss below it",
			obs:      observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("", "50%"),
			state:    OK,
			findings: "is at " + sA,
			facts:    "LossPercent=25 Sent=4",
		},
		{
			name:     "pl warning alone, loss above it",
			obs:      observe(4, rep(0, macA, us(300)), rep(1, macA, us(400)), rep(2, macA, us(500))),
			pol:      policy("20%", ""),
			state:    Warning,
			findings: "lost 1 of 4 probes (25%); is at " + sA,
			facts:    "LossPercent=25 Sent=4",
		},

		// RoundTrip.
		{
			name:     "rta above warning",
			obs:      observe(3, rep(0, macA, us(1500)), rep(1, macA, us(1500)), rep(2, macA, us(1500))),
			pol:      policy("1", "2"),
			state:    Warning,
			findings: "answers slowly: rta 1.5ms is above warning 1ms; is at " + sA,
			facts:    "RTA=1.5ms RTMin=1.5ms RTMax=1.5ms",
		},
		{
			name:     "rta above critical",
			obs:      observe(3, rep(0, macA, us(2000)), rep(1, macA, us(2500)), rep(2, macA, us(3000))),
			pol:      policy("1", "2"),
			state:    Critical,
			findings: "answers slowly: rta 2.5ms is above critical 2ms; is at " + sA,
			facts:    "RTA=2.5ms RTMin=2ms RTMax=3ms",
		},
		{
			name:     "rta exactly at the warning threshold is OK",
			obs:      observe(3, rep(0, macA, us(1000)), rep(1, macA, us(1000)), rep(2, macA, us(1000))),
			pol:      policy("1ms", "2ms"),
			state:    OK,
			findings: "is at " + sA,
			facts:    "RTA=1ms RTMin=1ms RTMax=1ms",
		},
		{
			name:     "rta inside an @ warning range",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("@0.3:0.5", ""),
			state:    Warning,
			findings: "has rta 0.4ms, inside the warning range @0.3:0.5; is at " + sA,
		},
		{
			name:     "rta inside an @ critical range",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("@0.3:0.5", "@0:1"),
			state:    Critical,
			findings: "has rta 0.4ms, inside the critical range @0:1; is at " + sA,
		},
		{
			name:     "rta outside an @ range is OK",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("@1:2", ""),
			state:    OK,
			findings: "is at " + sA,
		},
		{
			// The rta is below the range's start: too fast, not slow.
			name:     "rta below the start of a warning range",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("0.5:1", ""),
			state:    Warning,
			findings: "answers too fast: rta 0.4ms is below the warning range 0.5:1; is at " + sA,
		},
		{
			name:     "rta above a ~: warning range",
			obs:      observe(3, rep(0, macA, us(1500)), rep(1, macA, us(1500)), rep(2, macA, us(1500))),
			pol:      policy("~:1", ""),
			state:    Warning,
			findings: "answers slowly: rta 1.5ms is above the warning range ~:1; is at " + sA,
			facts:    "RTA=1.5ms RTMin=1.5ms RTMax=1.5ms",
		},
		{
			name:     "rta below an open-ended critical range",
			obs:      observe(3, healthy3(macA)...),
			pol:      policy("", "10:"),
			state:    Critical,
			findings: "answers too fast: rta 0.4ms is below the critical range 10:; is at " + sA,
		},
		{
			name:     "rta thresholds are not judged without replies",
			obs:      observe(3),
			pol:      policy("@0:1000", "@0:1000"),
			state:    Critical,
			findings: "did not answer",
			facts:    silent,
		},

		// Several findings: worst first, then in the order of the rules.
		{
			name:  "rta critical before loss warning",
			obs:   observe(3, rep(0, macA, us(2000)), rep(2, macA, us(3000))),
			pol:   policy("1", "2"),
			state: Critical,
			findings: "answers slowly: rta 2.5ms is above critical 2ms; lost 1 of 3 probes (33.3%); is at " + sA +
				"",
			facts: "RTA=2.5ms RTMin=2ms RTMax=3ms LossPercent=33.333 Received=2",
		},
		{
			name:  "loss critical before failover and rta warnings",
			obs:   observe(3, rep(0, macA, us(300)), rep(2, macB, us(500))),
			pol:   policy("0.1,10%", "2,20%"),
			state: Critical,
			findings: "lost 1 of 3 probes (33.3%); moved from " + sA + " to " + sB +
				" during the check (failover); answers slowly: rta 0.4ms is above warning 0.1ms",
			facts: "LossPercent=33.333 Received=2 Answerers=2 MACChanges=1",
		},
		{
			name:  "loss and rta warnings in rule order",
			obs:   observe(3, rep(0, macA, us(1500)), rep(2, macA, us(1500))),
			pol:   policy("1", ""),
			state: Warning,
			findings: "lost 1 of 3 probes (33.3%); answers slowly: rta 1.5ms is above warning 1ms; is at " + sA +
				"",
			facts: "RTA=1.5ms RTMin=1.5ms RTMax=1.5ms LossPercent=33.333 Received=2",
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
			findings: "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered by 2 MACs at once in 1 of 5 probes (split brain): " + sA + " (node-a) and " + sZ + " (not allowed)" +
				"; is flapping between " + sA + " (node-a) and " + sZ + " (not allowed): its MAC changed 2 times in 5 probes" +
				"; lost 1 of 5 probes (20%)" +
				"; answers slowly: rta 0.4ms is above warning 0.1ms",
			facts: "RTMin=0.4ms RTMax=0.4ms LossPercent=20 Sent=5 Received=4 Answerers=2 Unexpected=1 MultiMACProbes=1 MACChanges=2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := wantCounts(t, tt.facts)
			// The same observation over NDP: the same rules, state and
			// counts; only the way announcements arrive reads differently.
			for _, obs := range []Observation{tt.obs, asNDP(tt.obs)} {
				r := Decide(obs, tt.pol)
				if r.State != tt.state {
					t.Errorf("%s: State = %v, want %v", obs.Protocol, r.State, tt.state)
				}
				wantText := tt.findings
				if obs.Protocol == ProtocolNDP {
					wantText = toNDPWords.Replace(wantText)
				}
				if got := findingsText(r); got != wantText {
					t.Errorf("%s: findings mismatch\n got: %s\nwant: %s", obs.Protocol, got, wantText)
				}
				if diff := countsDiff(countsOf(r.Facts), want); diff != "" {
					t.Errorf("%s: counts differ: %s", obs.Protocol, diff)
				}
				checkInvariants(t, obs, r)
			}
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
	for _, fd := range r.Findings {
		if fd.Rule == "" || strings.ContainsAny(fd.Text, "|\n\r") || fd.Text == "" {
			t.Errorf("finding %+v has no rule, no text, or a '|' or line break in it", fd)
		}
	}
	f := r.Facts
	if f.Received > f.Sent || f.Received < 0 {
		t.Errorf("received %d, sent %d", f.Received, f.Sent)
	}
	if f.Sent != len(obs.ProbesSent) || len(f.Probes) != f.Sent {
		t.Errorf("sent %d, %d probes in the timeline, want %d", f.Sent, len(f.Probes), len(obs.ProbesSent))
	}
	if f.LossPercent < 0 || f.LossPercent > 100 {
		t.Errorf("loss %v%% not in 0..100", f.LossPercent)
	}
	if f.Protocol != obs.Protocol || f.Target != obs.Target || f.Elapsed != obs.Elapsed {
		t.Errorf("facts %s %s %v do not copy the observation", f.Protocol, f.Target, f.Elapsed)
	}
}

func TestDecideFindings(t *testing.T) {
	// The findings themselves, for the case with every rule: worst first,
	// then in the order of the rules.
	obs := observe(5,
		rep(0, macA, us(400)),
		rep(1, macA, us(400)), rep(1, macZ, us(400)),
		rep(2, macZ, us(400)),
		rep(4, macA, us(400)))
	r := Decide(obs, policy("0.1", "5", nodeA))
	want := []Finding{
		{Critical, UnexpectedMAC, "is claimed by " + sZ + " (not in the allowlist), expected " + sA + " (node-a)"},
		{Critical, SplitBrain, "is answered by 2 MACs at once in 1 of 5 probes (split brain): " + sA + " (node-a) and " + sZ + " (not allowed)"},
		{Critical, MACChange, "is flapping between " + sA + " (node-a) and " + sZ + " (not allowed): its MAC changed 2 times in 5 probes"},
		{Warning, Loss, "lost 1 of 5 probes (20%)"},
		{Warning, RoundTrip, "answers slowly: rta 0.4ms is above warning 0.1ms"},
	}
	if !reflect.DeepEqual(r.Findings, want) {
		t.Errorf("findings\n got: %+v\nwant: %+v", r.Findings, want)
	}

	// The owner rule's OK finding follows the problems when it names the
	// one MAC.
	r = Decide(observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))), Policy{})
	want = []Finding{{Warning, Loss, "lost 1 of 3 probes (33.3%)"}, {OK, Owner, "is at " + sA}}
	if !reflect.DeepEqual(r.Findings, want) {
		t.Errorf("findings\n got: %+v\nwant: %+v", r.Findings, want)
	}
}

// TestEveryRuleFires shows each rule by name with an observation that
// makes it, and only it among the problems, speak.
func TestEveryRuleFires(t *testing.T) {
	flood := observe(3, healthy3(macA)...)
	flood.Unrecorded = 10
	spoofed := observe(3, healthy3(macA)...)
	spoofed.Replies[0].Via = macZ
	twice := observe(2, rep(0, macA, us(400)), rep(0, macA, us(500)), rep(1, macA, us(400)), rep(1, macA, us(500)))
	macvlan := observe(3)
	macvlan.MacvlanChildren = []string{"mv0"}
	late := observe(3, healthy3(macA)...)
	late.LateReplies = 1
	ignored := observe(3, healthy3(macA)...)
	ignored.Unicast = UnicastRequest{Sent: true, To: macA}
	expectA := policy("", "", nodeA, nodeB)
	expectA.ExpectOwner, expectA.ExpectOwnerName = []mac.Addr{macA}, "node-a"
	movedPol := Policy{Moved: Warning}
	tests := []struct {
		rule Rule
		obs  Observation
		pol  Policy
		mem  Memory
	}{
		{Silence, observe(3), Policy{}, Memory{}},
		{Flood, flood, Policy{}, Memory{}},
		{UnexpectedMAC, observe(3, healthy3(macZ)...), policy("", "", nodeA), Memory{}},
		{SplitBrain, observe(1, rep(0, macA, us(400)), rep(0, macB, us(400))), Policy{}, Memory{}},
		{MACChange, observe(2, rep(0, macA, us(400)), rep(1, macB, us(400))), Policy{}, Memory{}},
		{Contested, announce(observe(3, healthy3(macA)...), macB, time.Millisecond), Policy{}, Memory{}},
		{FlappingOverTime, observe(3, healthy3(macA)...), Policy{}, flappedBackTo(macA)},
		{Moved, observe(3, healthy3(macB)...), movedPol, remembered(macA, macB)},
		{ExpectedOwner, observe(3, healthy3(macB)...), expectA, Memory{}},
		{Spoofing, spoofed, Policy{}, Memory{}},
		{Loss, observe(2, rep(0, macA, us(400))), Policy{}, Memory{}},
		{RoundTrip, observe(3, healthy3(macA)...), policy("0.1", ""), Memory{}},
		{SharedMAC, twice, Policy{}, Memory{}},
		{MacvlanParent, macvlan, Policy{}, Memory{}},
		{LateReply, late, Policy{}, Memory{}},
		{UnicastRule, ignored, Policy{}, Memory{}},
		{Owner, observe(3, healthy3(macA)...), Policy{}, Memory{}},
		{StateProblem, observe(3, healthy3(macA)...), Policy{}, Memory{Problem: "state not saved: /x is a symbolic link"}},
	}
	// Notes explain and set no state: the rule speaks, at OK, among the
	// problems of others.
	notes := map[Rule][]Rule{Owner: nil, MacvlanParent: {Silence}, LateReply: nil}
	if len(tests) != len(rules) {
		t.Fatalf("%d rules, %d tested", len(rules), len(tests))
	}
	for i, tt := range tests {
		if rules[i].name != tt.rule {
			t.Errorf("rule %d is %q, want %q: the table lists the rules in order", i, rules[i].name, tt.rule)
		}
		r := Prepare(tt.obs, tt.pol).Decide(tt.mem)
		var problems []Rule
		for _, f := range r.Findings {
			if f.State != OK {
				problems = append(problems, f.Rule)
			}
		}
		want := []Rule{tt.rule}
		if others, ok := notes[tt.rule]; ok {
			want = others
			if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == tt.rule && f.State == OK }) {
				t.Errorf("%s: no OK finding of its own in %+v", tt.rule, r.Findings)
			}
		}
		if !reflect.DeepEqual(problems, want) {
			t.Errorf("%s: problems %v, want %v", tt.rule, problems, want)
		}
		if tt.rule == Owner && (len(r.Findings) != 1 || r.Findings[0].Rule != Owner) {
			t.Errorf("owner: findings %+v", r.Findings)
		}
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
	if got, want := countsOf(r.Facts)["RTA"], "0.4ms"; got != want {
		t.Errorf("RTA = %s, want %s: the late reply is not its probe's first", got, want)
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

func BenchmarkDecide(b *testing.B) {
	obs := observe(3, healthy3(macA)...)
	pol := policy("200,40%", "500,80%", nodeA)
	b.ReportAllocs()
	for b.Loop() {
		Decide(obs, pol)
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
		sum := findingsText(r)

		// Independent oracles.
		answered := map[int]bool{}
		macs := map[mac.Addr]bool{}
		for _, rp := range obs.Replies {
			if rp.Probe >= 0 && rp.Probe < len(obs.ProbesSent) {
				answered[rp.Probe] = true
				macs[rp.MAC] = true
			}
		}
		f := r.Facts
		if len(answered) == 0 && r.State != Critical {
			t.Fatalf("no reply but State %v: %s", r.State, sum)
		}
		if f.Received != len(answered) {
			t.Fatalf("Received = %d, want %d", f.Received, len(answered))
		}
		if len(f.Answerers) != len(macs) {
			t.Fatalf("%d answerers, want %d", len(f.Answerers), len(macs))
		}
		if pol.Allowed.Len() == 0 && len(f.Unexpected) != 0 {
			t.Fatalf("Unexpected = %v without an allowlist", f.Unexpected)
		}
		if len(macs) > 1 && r.State == OK {
			t.Fatalf("%d MACs answered but State OK: %s", len(macs), sum)
		}
		if len(answered) == 0 && (f.RTA != 0 || f.RTMin != 0 || f.RTMax != 0) {
			t.Fatalf("round trips %v/%v/%v without replies", f.RTA, f.RTMin, f.RTMax)
		}
		if f.HasOwner && r.State == OK && f.Owner.Addr != f.Answerers[0].Addr {
			t.Fatalf("OK with owner %v but answerer %v", f.Owner, f.Answerers[0])
		}
	})
}

func TestNDPWording(t *testing.T) {
	obs := asNDP(announce(observe(3, healthy3(macA)...), macB, 150*time.Millisecond))
	r := Decide(obs, policy("", "", nodeA, nodeB))
	want := "was announced by unsolicited neighbor advertisement from " + sB + " (node-b) while " + sA + " (node-a) answered; is at " + sA + " (node-a)"
	if got := findingsText(r); got != want {
		t.Errorf("findings\n got: %s\nwant: %s", got, want)
	}
	if r.Facts.Announcements != 1 || len(r.Facts.Announcers) != 1 || r.Facts.Announcers[0].MAC.String() != sB+" (node-b)" {
		t.Errorf("announcements %d by %+v, want 1 by node-b", r.Facts.Announcements, r.Facts.Announcers)
	}
}
