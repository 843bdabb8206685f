package output

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/threshold"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Documentation addresses only (RFC 5737, RFC 3849 and locally
// administered MACs).
var (
	testTarget  = netip.MustParseAddr("198.51.100.10")
	testSource  = netip.MustParseAddr("198.51.100.1")
	testTarget6 = netip.MustParseAddr("2001:db8::10")
	testSource6 = netip.MustParseAddr("2001:db8::1")
	testLocal   = mac.Addr{2, 0, 0, 0, 0, 0x01}

	macA = mac.Addr{2, 0, 0, 0, 0, 0x10}
	macB = mac.Addr{2, 0, 0, 0, 0, 0x11}
	macZ = mac.Addr{2, 0, 0, 0, 0, 0x99}
)

const (
	sA = "02:00:00:00:00:10"
	sB = "02:00:00:00:00:11"
	sZ = "02:00:00:00:00:99"
)

func us(n int) time.Duration { return time.Duration(n) * time.Microsecond }

func rep(probe int, m mac.Addr, rtt time.Duration) verdict.Reply {
	return verdict.Reply{Probe: probe, MAC: m, RTT: rtt}
}

// observe builds an observation of n probes sent 100ms apart, over a run
// of one second.
func observe(n int, replies ...verdict.Reply) verdict.Observation {
	sent := make([]time.Duration, n)
	for i := range sent {
		sent[i] = time.Duration(i) * 100 * time.Millisecond
	}
	return verdict.Observation{
		Protocol: verdict.ProtocolARP, Target: testTarget, Interface: "eth0",
		Source: testSource, LocalMAC: testLocal,
		ProbesSent: sent, Replies: replies, Elapsed: time.Second,
	}
}

func announce(o verdict.Observation, m mac.Addr, at time.Duration) verdict.Observation {
	o.Announcements = append(append([]verdict.Announcement(nil), o.Announcements...), verdict.Announcement{MAC: m, At: at})
	return o
}

func elapsed(o verdict.Observation, d time.Duration) verdict.Observation {
	o.Elapsed = d
	return o
}

// healthy3 has one MAC answer each of three probes, rta 0.4ms.
func healthy3(m mac.Addr) []verdict.Reply {
	return []verdict.Reply{rep(0, m, us(300)), rep(1, m, us(400)), rep(2, m, us(500))}
}

type entry struct {
	a     mac.Addr
	label string
}

var (
	nodeA = entry{macA, "node-a"}
	nodeB = entry{macB, "node-b"}
)

// policy builds a policy from -w and -c strings ("" for none) and allowed
// MACs.
func policy(warn, crit string, allowed ...entry) verdict.Policy {
	var p verdict.Policy
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

// asNDP turns an ARP observation into the same observation over NDP.
func asNDP(o verdict.Observation) verdict.Observation {
	o.Protocol = verdict.ProtocolNDP
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

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		obs  verdict.Observation
		pol  verdict.Policy
		want string
	}{
		{"healthy", observe(3, healthy3(macA)...), policy("", "", nodeA),
			"ARP OK - 198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms"},
		{"findings joined worst first", observe(3, rep(0, macA, us(1500)), rep(2, macA, us(1500))), policy("1", ""),
			"ARP WARNING - 198.51.100.10 lost 1 of 3 probes (33.3%); answers slowly: rta 1.5ms is above warning 1ms; is at " + sA + " on eth0: 2/3 replies, rta 1.5ms"},
		{"announcement", announce(observe(3, healthy3(macA)...), macZ, 150*time.Millisecond), verdict.Policy{},
			"ARP WARNING - 198.51.100.10 was announced by gratuitous ARP from " + sZ + " while " + sA + " answered; is at " + sA + " on eth0: 3/3 replies, rta 0.4ms"},
		{"silent, a run of 1s", observe(3), verdict.Policy{},
			"ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s"},
		{"silent, a run shorter than a second", elapsed(observe(3), 250*time.Millisecond), verdict.Policy{},
			"ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 250ms"},
		{"silent, a run of 2.5s", elapsed(observe(3), 2500*time.Millisecond), verdict.Policy{},
			"ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 2.5s"},
		{"silent, the run rounded to whole milliseconds", elapsed(observe(3), 250400*time.Microsecond), verdict.Policy{},
			"ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 250ms"},
		// Just under a second rounds to "1s", not "1000ms".
		{"silent, a run just under a second", elapsed(observe(3), 999600*time.Microsecond), verdict.Policy{},
			"ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/3 replies in 1s"},
		{"no probe sent at all", observe(0), verdict.Policy{},
			"ARP CRITICAL - 198.51.100.10 did not answer on eth0: 0/0 replies in 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summary(verdict.Decide(tt.obs, tt.pol)); got != tt.want {
				t.Errorf("Summary\n got: %s\nwant: %s", got, tt.want)
			}
			// Over NDP only the prefix, the target and the words for
			// announcements change.
			if got, want := Summary(verdict.Decide(asNDP(tt.obs), tt.pol)), toNDPWords.Replace(tt.want); got != want {
				t.Errorf("NDP Summary\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// healthyPerf is the performance data of healthy3 without thresholds, in
// the compact form of perfString: the baseline that test cases override.
const healthyPerf = "rta=0.4ms rtmin=0.3ms rtmax=0.5ms pl=0% sent=3 received=3 macs=1 unexpected_macs=0 " +
	"multi_mac_probes=0 mac_changes=0 gratuitous=0 spoofed=0 time=1s"

// perfString renders performance data compactly for exact comparison:
// label=valueUOM, plus ;warn;crit when either is set.
func perfString(ms []Metric) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Label + "=" + m.Value + m.UOM
		if m.Warn != "" || m.Crit != "" {
			parts[i] += ";" + m.Warn + ";" + m.Crit
		}
	}
	return strings.Join(parts, " ")
}

// wantPerf is healthyPerf with overrides ("label=value ...") applied;
// "label=-" removes the metric.
func wantPerf(t *testing.T, overrides string) string {
	t.Helper()
	items := strings.Fields(healthyPerf)
	for _, o := range strings.Fields(overrides) {
		label, value, _ := strings.Cut(o, "=")
		found := false
		for i, it := range items {
			if strings.HasPrefix(it, label+"=") {
				items[i], found = o, true
				if value == "-" {
					items = append(items[:i], items[i+1:]...)
				}
				break
			}
		}
		if !found && slices.ContainsFunc(PerfTable, func(m PerfMetric) bool { return m.Label == label }) {
			// A metric the healthy baseline leaves out (memory's): in
			// the table's place, before the run's time.
			items = append(items[:len(items)-1], o, items[len(items)-1])
			found = true
		}
		if !found {
			t.Fatalf("override %q names no metric", o)
		}
	}
	return strings.Join(items, " ")
}

func TestPerfdata(t *testing.T) {
	// Nothing answered: no round trips at all, rather than "U".
	silent := "rta=- rtmin=- rtmax=- pl=100% received=0 macs=0"
	tests := []struct {
		name string
		obs  verdict.Observation
		pol  verdict.Policy
		perf string // overrides of healthyPerf
	}{
		{"healthy", observe(3, healthy3(macA)...), policy("", "", nodeA), ""},
		{"healthy within thresholds", observe(3, healthy3(macA)...), policy("1,20%", "2,50%", nodeA), "rta=0.4ms;1;2 pl=0%;20;50"},
		{"silent", observe(3), verdict.Policy{}, silent},
		{"silent with thresholds", observe(3), policy("1,20%", "2,50%", nodeA), silent + " pl=100%;20;50"},
		{"rta thresholds as ranges", observe(3, healthy3(macA)...), policy("@0.3:0.5", "10:"), "rta=0.4ms;@0.3:0.5;10:"},
		{"loss threshold alone", observe(3, rep(0, macA, us(300)), rep(2, macA, us(500))), policy("", "50%"), "rta=0.4ms pl=33.333%;;50 received=2"},
		{"every count", announce(observe(5,
			rep(0, macA, us(400)),
			rep(1, macA, us(400)), rep(1, macZ, us(400)),
			rep(2, macZ, us(400)),
			rep(4, macA, us(400))), macB, time.Millisecond), policy("", "", nodeA),
			"rtmin=0.4ms rtmax=0.4ms pl=20% sent=5 received=4 macs=2 unexpected_macs=2 multi_mac_probes=1 mac_changes=2 gratuitous=1"},
		{"run of 0.25s", elapsed(observe(3, healthy3(macA)...), 250*time.Millisecond), verdict.Policy{}, "time=0.25s"},
		{"sub-microsecond rtt rounds to three decimals", observe(1, rep(0, macA, 1234567*time.Nanosecond)), verdict.Policy{},
			"rta=1.235ms rtmin=1.235ms rtmax=1.235ms sent=1 received=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := wantPerf(t, tt.perf)
			for _, obs := range []verdict.Observation{tt.obs, asNDP(tt.obs)} {
				if got := perfString(Perfdata(verdict.Decide(obs, tt.pol))); got != want {
					t.Errorf("%s perfdata\n got: %s\nwant: %s", obs.Protocol, got, want)
				}
			}
		})
	}
}

func TestPerfdataFields(t *testing.T) {
	obs := observe(3, healthy3(macA)...)
	obs.Unicast = verdict.UnicastRequest{Sent: true, To: macA, Answered: true, RTT: us(300)}
	got := Perfdata(verdict.Decide(obs, policy("1,20%", "2,50%", nodeA)))
	want := []Metric{
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
		{Label: "unicast", Value: "1", Min: "0", Max: "1"},
		{Label: "time", Value: "1", UOM: "s", Min: "0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Perfdata\n got: %+v\nwant: %+v", got, want)
	}
	// The table the man page lists is the data the plugin prints, with
	// memory's metrics before the time when memory is on.
	labels := []string{}
	for _, m := range want[:len(want)-1] {
		labels = append(labels, m.Label)
	}
	labels = append(labels, "owner_changes", "owner_age", "time")
	for i, m := range PerfTable {
		if i >= len(labels) || m.Label != labels[i] {
			t.Errorf("PerfTable[%d] = %q, want the labels %q", i, m.Label, labels)
			break
		}
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
	// Repeats in one probe only: a retransmission, not two hosts behind
	// one MAC (verdict.SharedMAC).
	dups := observe(3,
		rep(0, macA, us(300)), rep(0, macA, us(350)), rep(0, macA, us(380)),
		rep(1, macA, us(400)),
		rep(2, macA, us(500)))
	unrecorded := observe(3, healthy3(macA)...)
	unrecorded.Unrecorded = 7
	rfc5227 := elapsed(observe(1, rep(0, macA, us(400))), 250*time.Millisecond)
	rfc5227.Source = netip.IPv4Unspecified()

	tests := []struct {
		name      string
		obs       verdict.Observation
		pol       verdict.Policy
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
			arpFluxNote,
		}},
		{name: "split brain, v1", obs: splitBrain, pol: policy("", "", nodeA, nodeB), verbosity: 1, want: []string{
			sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.4ms",
			sB + " (node-b) answered probes 1-3 with 3 replies, rtt 0.6ms",
			"allowed: " + sA + " (node-a) and " + sB + " (node-b)",
			arpFluxNote,
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
			sA + " answered probes 1-3 with 5 replies, rtt 0.3-0.5ms",
			"probe 1 at +0ms: " + sA + " in 0.3ms (+2 duplicates)",
			"probe 2 at +100ms: " + sA + " in 0.4ms",
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
			got := LongOutput(verdict.Decide(tt.obs, tt.pol), tt.verbosity)
			want := strings.Join(tt.want, "\n")
			if got != want {
				t.Errorf("LongOutput(%d) mismatch\n got:\n%s\nwant:\n%s", tt.verbosity, got, want)
			}
			got6 := LongOutput(verdict.Decide(asNDP(tt.obs), tt.pol), tt.verbosity)
			// Neighbor discovery has no flux: NDP output has no such note.
			noFlux := slices.DeleteFunc(slices.Clone(tt.want), func(l string) bool { return l == arpFluxNote })
			if want6 := toNDPWords.Replace(strings.Join(noFlux, "\n")); got6 != want6 {
				t.Errorf("NDP LongOutput(%d) mismatch\n got:\n%s\nwant:\n%s", tt.verbosity, got6, want6)
			}
		})
	}
}

func TestNagiosOneLineWithPerfdata(t *testing.T) {
	var b bytes.Buffer
	obs := elapsed(observe(2, rep(0, macA, us(400)), rep(1, macA, us(600))), 101*time.Millisecond)
	code := Nagios(&b, verdict.Decide(obs, verdict.Policy{}), 0)
	want := "ARP OK - 198.51.100.10 is at " + sA + " on eth0: 2/2 replies, rta 0.5ms|" +
		"rta=0.5ms;;;0 rtmin=0.4ms;;;0 rtmax=0.6ms;;;0 pl=0%;;;0;100 sent=2;;;0 received=2;;;0;2 macs=1;;;0 " +
		"unexpected_macs=0;;;0 multi_mac_probes=0;;;0 mac_changes=0;;;0 gratuitous=0;;;0 spoofed=0;;;0 time=0.101s;;;0\n"
	if code != 0 || b.String() != want {
		t.Fatalf("exit %d, output\n%q\nwant\n%q", code, b.String(), want)
	}
}

// TestNagiosPerfdataAfterLongOutput: with long output the summary stands
// alone on the first line and the performance data follow the last long
// output line, as the Monitoring Plugins guidelines lay it out; Sensu
// reads everything after the first '|' as performance data.
func TestNagiosPerfdataAfterLongOutput(t *testing.T) {
	var b bytes.Buffer
	code := Nagios(&b, verdict.Decide(observe(2, rep(0, macA, us(400))), policy("1", "", nodeA)), 1)
	want := "ARP WARNING - 198.51.100.10 lost 1 of 2 probes (50%); is at " + sA + " (node-a) on eth0: 1/2 replies, rta 0.4ms\n" +
		sA + " (node-a) answered probe 1 with 1 reply, rtt 0.4ms\n" +
		"allowed: " + sA + " (node-a)\n" +
		"probe 1 at +0ms: " + sA + " (node-a) in 0.4ms\n" +
		"probe 2 at +100ms: no reply|" +
		"rta=0.4ms;1;;0 rtmin=0.4ms;;;0 rtmax=0.4ms;;;0 pl=50%;;;0;100 sent=2;;;0 received=1;;;0;2 macs=1;;;0 " +
		"unexpected_macs=0;;;0 multi_mac_probes=0;;;0 mac_changes=0;;;0 gratuitous=0;;;0 spoofed=0;;;0 time=1s;;;0\n"
	if code != 1 || b.String() != want {
		t.Fatalf("exit %d, output\n%s\nwant\n%s", code, b.String(), want)
	}
}

// checkNagiosLayout fails t unless out is laid out as nagiosLayout
// promises: one newline at the end, no empty line, no line ending in
// whitespace, exactly one '|' (at the end of the last line, without
// spaces around it) when there are performance data, none otherwise. It
// returns the lines before the performance data and the performance data.
func checkNagiosLayout(t *testing.T, name, out string, wantPerf bool) (lines []string, perf string) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
		t.Errorf("%s: output does not end in exactly one newline: %q", name, out)
	}
	lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if l == "" || strings.TrimRight(l, " \t") != l {
			t.Errorf("%s: line %d is empty or ends in whitespace: %q", name, i+1, l)
		}
	}
	if n := strings.Count(out, "|"); n != map[bool]int{true: 1, false: 0}[wantPerf] {
		t.Errorf("%s: %d '|' in the output, want %v performance data:\n%s", name, n, wantPerf, out)
		return lines, ""
	}
	if !wantPerf {
		return lines, ""
	}
	last, perf, _ := strings.Cut(lines[len(lines)-1], "|")
	if strings.HasSuffix(last, " ") || strings.HasPrefix(perf, " ") || perf == "" {
		t.Errorf("%s: spaces around the '|' or no performance data after it: %q", name, lines[len(lines)-1])
	}
	lines[len(lines)-1] = last
	return lines, perf
}

// TestNagiosCleanLines: whatever the verdict and verbosity, the text is
// laid out as checkNagiosLayout says, and the first line is the summary.
func TestNagiosCleanLines(t *testing.T) {
	results := []verdict.Result{
		verdict.Decide(observe(3, healthy3(macA)...), verdict.Policy{}),
		verdict.Decide(observe(3), verdict.Policy{}),
		verdict.Decide(announce(observe(3, rep(0, macA, us(400)), rep(1, macZ, us(400))), macB, time.Millisecond), policy("", "", nodeA)),
	}
	for _, r := range results {
		for v := 0; v <= 3; v++ {
			var b bytes.Buffer
			Nagios(&b, r, v)
			lines, _ := checkNagiosLayout(t, fmt.Sprintf("%s -v%d", r.State, v), b.String(), true)
			if lines[0] != oneLine(Summary(r)) {
				t.Errorf("-v%d: first line %q, want the summary %q", v, lines[0], oneLine(Summary(r)))
			}
		}
	}
}

// TestNagiosPoolLayout: a run of several addresses is laid out as one
// address is, the performance data after the last address's line, also
// with -v's indented long output under each.
func TestNagiosPoolLayout(t *testing.T) {
	second := observe(3)
	second.Target = netip.MustParseAddr("198.51.100.11")
	entries := []Entry{
		{Result: verdict.Decide(observe(3, healthy3(macA)...), policy("", "", nodeA)), Label: "web"},
		{Result: verdict.Decide(second, verdict.Policy{})},
		{Failure: Failure{Target: netip.MustParseAddr("2001:db8::11"), Err: errors.New("2001:db8::11 is not on a directly connected network")}},
	}
	for v := 0; v <= 2; v++ {
		var b bytes.Buffer
		code := NagiosPool(&b, entries, v)
		lines, perf := checkNagiosLayout(t, fmt.Sprintf("-v%d", v), b.String(), true)
		if code != 2 || lines[0] != PoolSummary(entries) {
			t.Errorf("-v%d: exit %d, first line %q, want 2, %q", v, code, lines[0], PoolSummary(entries))
		}
		if !strings.HasPrefix(perf, "addresses=3;;;0 ok=1;;;0;3 warning=0;;;0;3 critical=1;;;0;3 unknown=1;;;0;3 rta_198.51.100.10=") {
			t.Errorf("-v%d: performance data %q", v, perf)
		}
		// Worst first: the CRITICAL address, the UNKNOWN one, then the OK
		// one, whose line (or, with -v, its last long output line) ends
		// the text.
		var addrLines []string
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "  ") {
				addrLines = append(addrLines, l)
			}
		}
		if len(addrLines) != 3 || !strings.HasPrefix(addrLines[0], "ARP CRITICAL - 198.51.100.11 ") ||
			!strings.HasPrefix(addrLines[1], "NDP UNKNOWN - 2001:db8::11 ") || !strings.HasPrefix(addrLines[2], "ARP OK - 198.51.100.10 (web) ") {
			t.Errorf("-v%d: address lines %q", v, addrLines)
		}
		if indented := len(lines) - 1 - len(addrLines); (v == 0) != (indented == 0) {
			t.Errorf("-v%d: %d indented long output lines", v, indented)
		}
	}
}

// TestNagiosSilentHasNoUndefinedValues: when nothing answered, the
// performance data has no "U" and no round trips, but still the loss.
func TestNagiosSilentHasNoUndefinedValues(t *testing.T) {
	var b bytes.Buffer
	code := Nagios(&b, verdict.Decide(observe(3), policy("200,40%", "500,80%")), 0)
	_, perf := checkNagiosLayout(t, "CRITICAL", b.String(), true)
	if code != 2 {
		t.Fatalf("exit %d, output %q", code, b.String())
	}
	if strings.Contains(perf, "=U") || strings.Contains(perf, "rt") {
		t.Errorf("performance data names round trips or U values: %q", perf)
	}
	if !strings.HasPrefix(perf, "pl=100%;40;80;0;100 sent=3;;;0 received=0;;;0;3 macs=0;;;0") {
		t.Errorf("performance data %q", perf)
	}
}

func TestPerfLabelQuotesOnlyWhenNeeded(t *testing.T) {
	for label, want := range map[string]string{
		"rta": "rta=1", "multi_mac_probes": "multi_mac_probes=1",
		"a b": "'a b'=1", "a=b": "'a=b'=1", "it's": "'it''s'=1",
	} {
		if got := (Metric{Label: label, Value: "1"}).String(); got != want {
			t.Errorf("label %q: %q, want %q", label, got, want)
		}
	}
}

func TestUnknownIsOneLine(t *testing.T) {
	tests := []struct {
		protocol string
		err      error
		want     string
	}{
		{verdict.ProtocolARP, errors.New("interface eth9 does not exist"), "ARP UNKNOWN - interface eth9 does not exist\n"},
		{verdict.ProtocolARP, fmt.Errorf("wrapped: %w", errors.New("a | b\nc")), "ARP UNKNOWN - wrapped: a / b c\n"},
		{verdict.ProtocolNDP, errors.New("IPv6 is disabled on eth0"), "NDP UNKNOWN - IPv6 is disabled on eth0\n"},
		{"", errors.New("-p 0 is out of range"), "UNKNOWN - -p 0 is out of range\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if code := Unknown(&b, tt.protocol, tt.err); code != 3 || b.String() != tt.want {
			t.Errorf("Unknown(%q, %v): exit %d, %q; want 3, %q", tt.protocol, tt.err, code, b.String(), tt.want)
		}
	}
}

func TestOnPanicReportsUnknown(t *testing.T) {
	var b bytes.Buffer
	code := -1
	func() {
		defer OnPanic(&b, verdict.ProtocolARP, func(c int) { code = c })
		var s []int
		_ = s[len(os.Args)+5] // an index out of range: a real runtime panic
	}()
	if code != 3 || !strings.HasPrefix(b.String(), "ARP UNKNOWN - internal error: runtime error: index out of range") {
		t.Fatalf("exit %d, output %q", code, b.String())
	}
	b.Reset()
	code = -1
	func() { defer OnPanic(&b, verdict.ProtocolARP, func(c int) { code = c }) }()
	if code != -1 || b.Len() != 0 {
		t.Fatal("OnPanic acted without a panic")
	}
}

// render is everything the plugin does with an observation: decide, then
// the summary, long output and performance data it prints.
func render(obs verdict.Observation, pol verdict.Policy) int {
	r := verdict.Decide(obs, pol)
	return len(Summary(r)) + len(LongOutput(r, 0)) + len(Perfdata(r))
}

func BenchmarkVerdictOutput(b *testing.B) {
	obs := observe(3, healthy3(macA)...)
	pol := policy("200,40%", "500,80%", nodeA)
	b.ReportAllocs()
	for b.Loop() {
		render(obs, pol)
	}
}

// TestBenchmarkBodies runs what the benchmark measures once, so that go
// test covers it without -bench.
func TestBenchmarkBodies(t *testing.T) {
	if render(observe(3, healthy3(macA)...), policy("200,40%", "500,80%", nodeA)) == 0 {
		t.Fatal("no output")
	}
}

// A flood of answering MACs is named up to maxListed, then counted, so
// that the long output stays small enough for Nagios and NRPE to carry the
// performance data after it.
func TestLongOutputBoundsAFlood(t *testing.T) {
	var answers []verdict.Reply
	for i := range 500 {
		m := mac.Addr{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
		answers = append(answers, verdict.Reply{MAC: m, Probe: 0, RTT: time.Millisecond})
	}
	r := verdict.Decide(observe(1, answers...), policy("", ""))
	for _, v := range []int{0, 1} {
		long := LongOutput(r, v)
		if strings.Count(long, "\n") > maxListed+4 {
			t.Errorf("-v%d: %d long output lines for a flood of 500 MACs", v, strings.Count(long, "\n")+1)
		}
		if !strings.Contains(long, "and 484 more MACs") {
			t.Errorf("-v%d long output does not count the MACs it leaves out:\n%s", v, long)
		}
	}
}

// arpFluxNote is the verdict's note on several MACs answering one ARP
// request, which the long output carries after the allowlist.
const arpFluxNote = "Several MACs answering one ARP request can also be one host answering on two of its interfaces in this segment (ARP flux: Linux answers ARP for any of its addresses on every interface while arp_ignore=0): if these MACs belong to one host ('ip -br link' there), set net.ipv4.conf.all.arp_ignore=1 on it."

func TestUnicastPerfdata(t *testing.T) {
	tests := []struct {
		name    string
		unicast verdict.UnicastRequest
		foreign int
		want    string // the unicast metric, "" when left out
	}{
		{"not sent", verdict.UnicastRequest{}, 0, ""},
		{"answered", verdict.UnicastRequest{Sent: true, To: macA, Answered: true}, 0, "unicast=1;;;0;1"},
		{"ignored", verdict.UnicastRequest{Sent: true, To: macA}, 0, "unicast=0;;;0;1"},
		{"ignored while others asked", verdict.UnicastRequest{Sent: true, To: macA}, 3, "unicast=0;;;0;1"},
		{"answered while others asked: maybe theirs", verdict.UnicastRequest{Sent: true, To: macA, Answered: true}, 3, ""},
	}
	for _, tt := range tests {
		obs := observe(3, healthy3(macA)...)
		obs.Unicast, obs.ForeignRequests = tt.unicast, tt.foreign
		got := ""
		for _, m := range Perfdata(verdict.Decide(obs, verdict.Policy{})) {
			if m.Label == "unicast" {
				got = m.String()
			}
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUnicastInFormats(t *testing.T) {
	obs := observe(3, healthy3(macA)...)
	obs.Unicast = verdict.UnicastRequest{Sent: true, To: macA}
	r := verdict.Decide(obs, verdict.Policy{})
	doc, err := Render(FormatJSON, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if body := string(doc.Body); !strings.Contains(body, `"unicast": 0,`) || !strings.Contains(body, `"Known causes of unanswered unicast ARP requests`) {
		t.Errorf("JSON without unicast 0 and its note:\n%s", body)
	}
	doc, err = Render(FormatOpenMetrics, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc.Body), "check_arp_unicast_answered{") || !strings.Contains(string(doc.Body), "} 0\n") {
		t.Errorf("OpenMetrics without check_arp_unicast_answered 0:\n%s", doc.Body)
	}
	// Not sent: null in JSON, absent in OpenMetrics.
	r = verdict.Decide(observe(3, healthy3(macA)...), verdict.Policy{})
	doc, _ = Render(FormatJSON, r, 0)
	if !strings.Contains(string(doc.Body), `"unicast": null,`) {
		t.Errorf("JSON: %s", doc.Body)
	}
	doc, _ = Render(FormatOpenMetrics, r, 0)
	if strings.Contains(string(doc.Body), "check_arp_unicast_answered") {
		t.Errorf("OpenMetrics has a unicast sample without a unicast request:\n%s", doc.Body)
	}
}
