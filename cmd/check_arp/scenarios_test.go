package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/check-arp/check_arp/test/lab"
)

// family is one protocol's view of the standard segment: the same hosts
// answer its targets the same way.
type family struct {
	proto  string // ARP or NDP, as the summary starts
	client string // the client's address, which probes are sent from

	healthy, silent, conflict, split, lossy string
	// Targets of the scripted responders that the tests start for one
	// check each (see scripted): addresses of the segment no host has.
	failover, flapping, slow, announced string

	// announcement is what the summary calls an unsolicited claim.
	announcement string
}

var families = []family{
	{
		proto: "ARP", client: lab.ClientIP,
		healthy: lab.HealthyIP, silent: lab.SilentIP, conflict: lab.ConflictIP, split: lab.SplitIP, lossy: lab.LossyIP,
		failover: lab.ScriptedFailoverIP, flapping: lab.ScriptedFlappingIP, slow: lab.ScriptedSlowIP, announced: lab.ScriptedAnnouncedIP,
		announcement: "gratuitous ARP",
	},
	{
		proto: "NDP", client: lab.ClientIP6,
		healthy: lab.HealthyIP6, silent: lab.SilentIP6, conflict: lab.ConflictIP6, split: lab.SplitIP6, lossy: lab.LossyIP6,
		failover: lab.ScriptedFailoverIP6, flapping: lab.ScriptedFlappingIP6, slow: lab.ScriptedSlowIP6, announced: lab.ScriptedAnnouncedIP6,
		announcement: "unsolicited neighbor advertisement",
	},
}

const (
	nodeA = lab.NodeAMAC + " (node-a)"
	nodeB = lab.NodeBMAC + " (node-b)"
	nodeC = lab.NodeCMAC + " (node-c)"
)

// scenario is one run of the check against the lab and what a monitoring
// engine must see.
type scenario struct {
	name  string
	only  string // "ARP" or "NDP" for a scenario of one family
	args  []string
	state string
	says  []string // keywords of the summary
	perf  perf     // overrides of the healthy perfdata
	// limits are thresholds the perfdata must carry (label: "warn;crit").
	limits map[string]string
	// script starts a scripted responder for this check alone (its
	// arpresponder arguments).
	script []string
}

// The scripted responders' scripts (arpresponder arguments) for family f.
func flapping(f family) []string {
	return []string{"-ip", f.flapping, "-macs", lab.NodeAMAC + "," + lab.NodeBMAC + "," + lab.NodeAMAC}
}
func slow(f family) []string {
	return []string{"-ip", f.slow, "-macs", lab.NodeAMAC, "-delay", lab.SlowDelay}
}
func announced(f family) []string {
	return []string{"-ip", f.announced, "-macs", lab.NodeAMAC, "-announce", lab.NodeBMAC}
}

// scripted starts an arpresponder with args for the test's one check and
// stops it when the test ends. Being new, it starts its MAC sequence at
// the check's first request however late the check sends, and it never
// starts over. It runs at real-time priority, so that it answers each
// request before the check sends the next (a reply after that one would be
// credited to it, by design) however busy the machine is.
func scripted(t *testing.T, args ...string) {
	t.Helper()
	argv := append([]string{"chrt", "--fifo", "10", responderBin, "-reset-after", "1h"}, args...)
	p, err := seg.Spawn(seg.Sim, argv...)
	if err != nil {
		t.Fatalf("starting the scripted responder at real-time priority: %v", err)
	}
	t.Cleanup(p.Stop)
}

// scenarios are the verdicts of the standard segment, for family f.
func scenarios(f family) []scenario {
	allow := func(args ...string) []string { return append(args, "--expect-file", seg.Allowlist) }
	return []scenario{
		{name: "healthy", args: allow("-H", f.healthy), state: "OK", says: []string{"is at " + nodeA + " on eth0"}},
		{
			name: "healthy without allowlist", args: []string{"-H", f.healthy, "-p", "5", "-i", "20ms"}, state: "OK",
			says: []string{"is at " + lab.NodeAMAC + " on eth0"}, perf: perf{"sent": "5", "received": "5"},
		},
		{
			name: "labels given with -e, any notation", args: []string{"-H", f.healthy, "-e", "0200.0000.000A=node-a", "-e", "02-00-00-00-00-0B=node-b"},
			state: "OK", says: []string{"is at " + nodeA},
		},
		{
			name: "silent", args: allow("-H", f.silent, "-t", "0.5"), state: "CRITICAL", says: []string{"did not answer"},
			perf: perf{"received": "0", "pl": "100", "rta": "-", "rtmin": "-", "rtmax": "-", "macs": "0"},
		},
		{
			name: "wrong MAC", args: allow("-H", f.conflict), state: "CRITICAL",
			says: []string{lab.RogueMAC + " (not in the allowlist)"}, perf: perf{"unexpected_macs": "1"},
		},
		// The check stops at its last reply plus twice the slowest one, so
		// the second claimant's reply to the last probe can come too late
		// when the kernel defers its softirqs; the probes before have the
		// whole interval for both replies.
		{
			name: "two claimants", args: allow("-H", f.split), state: "CRITICAL",
			says: []string{"split brain", nodeA, nodeB}, perf: perf{"macs": "2", "multi_mac_probes": ">=2"},
		},
		{
			name: "two claimants without allowlist", args: []string{"-H", f.split}, state: "CRITICAL",
			says: []string{"split brain"}, perf: perf{"macs": "2", "multi_mac_probes": ">=2"},
		},
		{
			name: "lossy without thresholds", args: allow("-H", f.lossy), state: "WARNING",
			says: []string{"lost 1 of 3", "is at " + nodeC}, perf: perf{"received": "2", "pl": "33.333"},
		},
		{
			name: "lossy under a loss threshold", args: allow("-H", f.lossy, "-w", "1000,50%", "-c", "2000,80%"), state: "OK",
			says: []string{"is at " + nodeC}, perf: perf{"received": "2", "pl": "33.333"}, limits: map[string]string{"pl": "50;80"},
		},
		{
			name: "lossy over a critical loss threshold", args: allow("-H", f.lossy, "-w", "10%", "-c", "30%"), state: "CRITICAL",
			says: []string{"lost 1 of 3"}, perf: perf{"received": "2", "pl": "33.333"},
		},
		{
			name: "one failover", args: allow("-H", f.failover), state: "WARNING",
			script: []string{"-ip", f.failover, "-macs", lab.NodeAMAC + "," + lab.NodeBMAC},
			says:   []string{"failover", nodeA, nodeB}, perf: perf{"macs": "2", "mac_changes": "1"},
		},
		{
			name: "flapping", args: allow("-H", f.flapping), state: "CRITICAL",
			script: flapping(f),
			says:   []string{"flapping", nodeA, nodeB}, perf: perf{"macs": "2", "mac_changes": "2"},
		},
		// The responder answers after lab.SlowDelay (40ms): scheduling
		// delays can only add to it, so the thresholds below it hold under
		// any load, and the one above it leaves 460ms for delays.
		{
			name: "slow replies under the thresholds", args: allow("-H", f.slow, "-w", "500,20%", "-c", "1000,60%"), state: "OK", script: slow(f),
			says: []string{"is at " + nodeA}, perf: perf{"rta": ">=40", "rtmin": ">=40", "rtmax": ">=40"},
			limits: map[string]string{"rta": "500;1000", "pl": "20;60"},
		},
		{
			name: "slow replies over the warning rta", args: allow("-H", f.slow, "-w", "20,20%", "-c", "500,60%"), state: "WARNING", script: slow(f),
			says: []string{"answers slowly", "warning 20ms"}, perf: perf{"rta": ">=40", "rtmin": ">=40", "rtmax": ">=40"},
			limits: map[string]string{"rta": "20;500", "pl": "20;60"},
		},
		{
			name: "slow replies over the critical rta", args: allow("-H", f.slow, "-w", "10,20%", "-c", "30,60%"), state: "CRITICAL", script: slow(f),
			says: []string{"answers slowly", "critical 30ms"}, perf: perf{"rta": ">=40"},
		},
		{
			name: "announcement from another allowed node", args: allow("-H", f.announced), state: "WARNING", script: announced(f),
			says: []string{f.announcement + " from " + nodeB, "is at " + nodeA}, perf: perf{"gratuitous": "1"},
		},
		{
			name: "announcement from a MAC outside the allowlist", args: []string{"-H", f.announced, "-e", lab.NodeAMAC + "=node-a"}, state: "CRITICAL",
			script: announced(f),
			says:   []string{f.announcement + " from " + lab.NodeBMAC + " (not in the allowlist)"}, perf: perf{"gratuitous": "1", "unexpected_macs": "1"},
		},
		{
			name: "RFC 5227 probe from an interface without IPv4", only: "ARP", state: "OK",
			args: []string{"-H", f.healthy, "-I", "bare0", "-S", "0.0.0.0", "-e", lab.NodeAMAC + "=node-a"},
			says: []string{"is at " + nodeA + " on bare0"},
		},
		{
			name: "link-local target with a zone", only: "NDP", args: allow("-H", lab.NodeALinkLocal+"%eth0"), state: "OK",
			says: []string{lab.NodeALinkLocal + " is at " + nodeA + " on eth0"},
		},
		{
			name: "link-local target with -I", only: "NDP", args: []string{"-H", lab.NodeALinkLocal, "-I", "eth0", "-e", lab.NodeAMAC + "=node-a"},
			state: "OK", says: []string{lab.NodeALinkLocal + " is at " + nodeA + " on eth0"},
		},
		{
			name: "global target from the link-local source", only: "NDP", args: []string{"-H", f.healthy, "-S", "fe80::ff:fe00:1", "-e", lab.NodeAMAC + "=node-a"},
			state: "OK", says: []string{"is at " + nodeA},
		},
	}
}

// TestScenarios runs every scenario for both families, one check at a
// time: every ARP (ICMPv6) socket on the client sees every reply, so checks
// of one target at once share replies (see the concurrency tests), and the
// lossy host and scripted responders keep per-request state.
func TestScenarios(t *testing.T) {
	needLab(t)
	for _, f := range families {
		t.Run(f.proto, func(t *testing.T) {
			for _, sc := range scenarios(f) {
				if sc.only != "" && sc.only != f.proto {
					continue
				}
				t.Run(sc.name, func(t *testing.T) {
					if sc.script != nil {
						scripted(t, sc.script...)
					}
					r := runCheck(sc.args...)
					r.expectState(t, f.proto, sc.state)
					r.expectSays(t, sc.says...)
					r.expectPerf(t, healthy.with(sc.perf))
					r.expectLimits(t, sc.limits)
				})
			}
		})
	}
}

// TestVerbose checks that -v shows the per-probe timeline and -vv the
// sending side, for both families.
func TestVerbose(t *testing.T) {
	needLab(t)
	for _, f := range families {
		t.Run(f.proto, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				script []string
				args   []string
				long   []string // regexps the long output must match
			}{
				{
					name: "flapping, -v", script: flapping(f), args: []string{"-H", f.flapping, "-v", "--expect-file", seg.Allowlist},
					long: []string{
						`(?m)^` + regexp.QuoteMeta(nodeA) + ` answered probes 1,3 with 2 replies`,
						`(?m)^` + regexp.QuoteMeta(nodeB) + ` answered probe 2 with 1 reply`,
						`(?m)^probe 1 at \+[\d.]+ms: ` + regexp.QuoteMeta(nodeA) + ` in [\d.]+ms`,
						`(?m)^probe 2 at \+[\d.]+ms: ` + regexp.QuoteMeta(nodeB) + ` in [\d.]+ms`,
						`(?m)^probe 3 at \+[\d.]+ms: ` + regexp.QuoteMeta(nodeA) + ` in [\d.]+ms`,
					},
				},
				{
					name: "announcement, -vv", script: announced(f), args: []string{"-H", f.announced, "-vv", "--expect-file", seg.Allowlist},
					long: []string{
						`(?m)^` + regexp.QuoteMeta(nodeA) + ` answered probes 1-3 with 3 replies`,
						`(?m)^` + regexp.QuoteMeta(nodeB) + ` sent 1 .* for ` + regexp.QuoteMeta(f.announced),
						`(?m)^probes sent from ` + regexp.QuoteMeta(f.client+" ("+lab.ClientMAC+") on eth0"),
					},
				},
				{
					name: "silent, -v", args: []string{"-H", f.silent, "-p", "2", "-t", "0.3", "-v"},
					long: []string{`(?m)^probe 2 at \+[\d.]+ms: no reply`},
				},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if tc.script != nil {
						scripted(t, tc.script...)
					}
					r := runCheck(tc.args...)
					for _, re := range tc.long {
						if !regexp.MustCompile(re).MatchString(r.long) {
							t.Errorf("long output lacks %s:\n%s", re, r.long)
						}
					}
				})
			}
		})
	}
}

// TestBadInput: whatever is wrong, one line, exit 3 (UNKNOWN), prefixed by
// the protocol once the target is known, naming the problem and, where
// there is one, the fix.
func TestBadInput(t *testing.T) {
	needLab(t)
	tests := []struct {
		name, proto string
		args        []string
		says        []string
	}{
		{"no target", "", nil, []string{"no target", "-H"}},
		{"unknown interface", "ARP", []string{"-H", lab.HealthyIP, "-I", "eth9"}, []string{"eth9 does not exist"}},
		{"interface down", "ARP", []string{"-H", lab.HealthyIP, "-I", "down0"}, []string{"down0 is down", "ip link set down0 up"}},
		{"no carrier", "ARP", []string{"-H", lab.HealthyIP, "-I", "nocarrier0"}, []string{"nocarrier0", "no carrier"}},
		{"no IPv4 on the interface", "ARP", []string{"-H", lab.HealthyIP, "-I", "bare0"}, []string{"bare0 has no IPv4 address", "-S 0.0.0.0"}},
		{"loopback interface", "ARP", []string{"-H", lab.HealthyIP, "-I", "lo"}, []string{"lo is not an Ethernet interface"}},
		{"target behind a router", "ARP", []string{"-H", lab.OffLinkIP}, []string{"not on a directly connected network", lab.GatewayIP}},
		{"no route", "ARP", []string{"-H", lab.NoRouteIP}, []string{"no route to " + lab.NoRouteIP}},
		{"own address", "ARP", []string{"-H", lab.ClientIP}, []string{lab.ClientIP + " is an address of this host"}},
		{"foreign source", "ARP", []string{"-H", lab.HealthyIP, "-S", lab.ForeignSourceIP}, []string{lab.ForeignSourceIP + " is not an address of eth0", lab.ClientIP}},
		{"IPv6 target on an interface without IPv6", "NDP", []string{"-H", lab.HealthyIP6, "-I", "bare0"}, []string{"IPv6 is disabled on bare0", "sysctl -w net.ipv6.conf.bare0.disable_ipv6=0"}},
		{"IPv6 multicast target", "", []string{"-H", "ff02::1"}, []string{"multicast"}},
		{"IPv6 unspecified target", "", []string{"-H", "::"}, []string{"unspecified"}},
		{"IPv6 loopback target", "", []string{"-H", "::1"}, []string{"loopback"}},
		{"IPv6 link-local target without interface", "", []string{"-H", lab.NodeALinkLocal}, []string{"link-local", "-H " + lab.NodeALinkLocal + "%eth0"}},
		{"IPv6 target behind a router", "NDP", []string{"-H", lab.OffLinkIP6}, []string{"not on a directly connected network", lab.GatewayIP6}},
		{"IPv6 no route", "NDP", []string{"-H", lab.NoRouteIP6}, []string{"no route to " + lab.NoRouteIP6}},
		{"IPv6 own address", "NDP", []string{"-H", lab.ClientIP6}, []string{lab.ClientIP6 + " is an address of this host"}},
		{"IPv6 foreign source", "NDP", []string{"-H", lab.HealthyIP6, "-S", lab.ForeignSourceIP6}, []string{lab.ForeignSourceIP6 + " is not an address of eth0", lab.ClientIP6}},
		{"IPv6 source of the other family", "", []string{"-H", lab.HealthyIP6, "-S", lab.ClientIP}, []string{"not an IPv6 address"}},
		{"IPv6 loopback interface", "NDP", []string{"-H", lab.HealthyIP6, "-I", "lo"}, []string{"lo is not an Ethernet interface"}},
		{"IPv6 interface down", "NDP", []string{"-H", lab.HealthyIP6, "-I", "down0"}, []string{"down0 is down"}},
		{"IPv6 zone names an unknown interface", "NDP", []string{"-H", "fe80::1%eth9"}, []string{"eth9 does not exist"}},
		{"timeout shorter than the schedule", "", []string{"-H", lab.HealthyIP, "-t", "0.2"}, []string{"-t 200ms is too short"}},
		{"bad MAC", "", []string{"-H", lab.HealthyIP, "-e", "02:00:00:00:00"}, []string{"02:00:00:00:00", "not a MAC address"}},
		{"bad threshold", "", []string{"-H", lab.HealthyIP, "-w", "abc,10%"}, []string{"-w", "abc,10%"}},
		{"missing allowlist file", "", []string{"-H", lab.HealthyIP, "--expect-file", "/nonexistent/nodes"}, []string{"/nonexistent/nodes cannot be read"}},
		{"unknown flag", "", []string{"-H", lab.HealthyIP, "--frobnicate"}, []string{"unknown flag --frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCheck(tt.args...)
			r.expectState(t, tt.proto, "UNKNOWN")
			r.expectSays(t, tt.says...)
			if strings.Count(r.stdout, "\n") != 1 {
				t.Errorf("want exactly one line, got %q", r.stdout)
			}
		})
	}
}

func TestHelpAndVersionExitUnknown(t *testing.T) {
	needLab(t)
	for _, tc := range []struct {
		arg  string
		help bool
	}{
		{"-h", true}, {"--help", true}, {"-V", false}, {"--version", false},
	} {
		r := runCheck(tc.arg)
		if r.code != 3 {
			t.Errorf("%s: exit %d, want 3 as the Monitoring Plugins do", tc.arg, r.code)
		}
		if !strings.HasPrefix(r.stdout, "check_arp ") {
			t.Errorf("%s printed %q, want it to start with the version line", tc.arg, r.stdout)
		}
		if isHelp(r.stdout) != tc.help {
			t.Errorf("%s printed %q; help with the synopsis: %v, want %v", tc.arg, r.stdout, !tc.help, tc.help)
		}
	}
}
