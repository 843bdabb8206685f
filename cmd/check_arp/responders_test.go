package main

// The check against peers that behave as the responders people run do:
// MetalLB's layer-2 speaker (userspace, late under load, broadcast only),
// a proxy-ARP router (kernel proxy_delay), keepalived 2.2.7 with use_vmac
// after a VRRP partition, a macvlan's parent, and a host that stalls the
// check while it opens its sockets.

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/test/lab"
)

// peers adds each real-responder peer to the shared segment once.
var peers struct {
	speaker, speakers2, router, vrrp, macvlan                sync.Once
	speakerErr, speakers2Err, routerErr, vrrpErr, macvlanErr error
	mvParent                                                 string
}

func needSpeaker(t *testing.T) {
	t.Helper()
	needLab(t)
	peers.speaker.Do(func() {
		_, peers.speakerErr = seg.AddSpeaker(lab.Speaker{Role: "speaker", MAC: lab.SpeakerMAC, IP: lab.SpeakerHostIP, IP6: lab.SpeakerHostIP6,
			IPs: []string{lab.SpeakerIP, lab.SpeakerIP6}, LagMin: 5 * time.Millisecond, LagMax: 80 * time.Millisecond})
	})
	if peers.speakerErr != nil {
		t.Fatal(peers.speakerErr)
	}
}

// responderRun is a run of these scenarios from namespace ns, behind the
// command prefix as (strace, for example). CHECK_ARP_BIN replaces the
// binary under test, to run them against another build (an older
// release, say), which may not know --no-state: its memory, if it keeps
// any, goes to the lab's directory instead.
func responderRun(ns string, as []string, args ...string) invocation {
	inv := invocation{ns: ns, as: as, args: args}
	if other := os.Getenv("CHECK_ARP_BIN"); other != "" {
		inv.bin, inv.memory, inv.env = other, true, []string{"XDG_STATE_HOME=" + labDir}
	}
	return inv
}

// runFrom runs the check in namespace ns behind the command prefix as.
func runFrom(t *testing.T, ns string, as []string, args ...string) result {
	t.Helper()
	r := runInvocation(responderRun(ns, as, args...))
	if r.err != nil {
		t.Errorf("running check_arp %v: %v", args, r.err)
	}
	return r
}

// concurrently runs n checks at once from the client and returns them.
func concurrently(n int, args ...string) []result {
	return concurrentRuns(n, responderRun(seg.Client, nil, args...))
}

func TestMetalLBSpeakerAnswers(t *testing.T) {
	needSpeaker(t)
	// The speaker ignores unicast solicitations (see
	// TestSpeakerIgnoresUnicastSolicitations); here only the broadcast
	// side counts.
	for _, ip := range []string{lab.SpeakerIP, lab.SpeakerIP6} {
		o := runFrom(t, seg.Client, nil, "-H", ip, "-e", lab.SpeakerMAC+"=speaker", "--no-unicast")
		t.Logf("%s", o.summary)
		if o.code != 0 || o.perf["received"].value != "3" || o.perf["pl"].value != "0" || o.perf["unicast"].value != "" {
			t.Errorf("%s: exit %d: %s; want OK with 3/3 replies, no unicast request", ip, o.code, o.stdout)
		}
	}
}

// TestLaggingSpeakerUnderConcurrentChecks: 50 and 200 checks at once of a
// VIP answered by a userspace responder that falls 5-80 ms behind, both
// families: every one OK, no false loss, split brain or flap.
func TestLaggingSpeakerUnderConcurrentChecks(t *testing.T) {
	needSpeaker(t)
	for _, n := range []int{50, 200} {
		for _, ip := range []string{lab.SpeakerIP, lab.SpeakerIP6} {
			t.Run(fmt.Sprintf("%d/%s", n, ip), func(t *testing.T) {
				args := []string{"-H", ip, "-e", lab.SpeakerMAC + "=speaker"}
				if ip == lab.SpeakerIP6 {
					// It ignores unicast solicitations: a check
					// that no other overlapped says so, rightly.
					args = append(args, "--no-unicast")
				}
				if n > 50 {
					// 200 processes starting on a loaded 2-core machine
					// spread over more than a second.
					args = append(args, "-t", "3")
				}
				bad := 0
				for i, o := range concurrently(n, args...) {
					if o.code != 0 || o.perf["pl"].value != "0" || o.perf["macs"].value != "1" || o.perf["mac_changes"].value != "0" || o.perf["multi_mac_probes"].value != "0" {
						if bad++; bad <= 3 {
							t.Errorf("check %d: exit %d: %s", i+1, o.code, o.stdout)
						}
					}
				}
				t.Logf("%d of %d concurrent checks OK with 0%% loss", n-bad, n)
				if bad > 0 {
					t.Errorf("%d of %d concurrent checks of a lagging userspace responder were wrong", bad, n)
				}
			})
		}
	}
}

// TestUserspaceLagUnderLoad measures how late a userspace responder
// without artificial lag answers while 200 checks run at once: the
// distribution of round trips that probe.FairWindow must cover for a
// second claimant answering from userspace.
func TestUserspaceLagUnderLoad(t *testing.T) {
	needLab(t)
	const ip = lab.UserspaceIP
	if _, err := seg.AddSpeaker(lab.Speaker{Role: "speaker0", MAC: lab.UserspaceMAC, IP: lab.UserspaceHostIP, IP6: lab.UserspaceHostIP6, IPs: []string{ip}}); err != nil {
		t.Fatal(err)
	}
	var rtts []float64
	for _, o := range concurrently(200, "-H", ip, "-p", "1", "-t", "3") {
		if v, err := strconv.ParseFloat(o.perf["rtmax"].value, 64); err == nil {
			rtts = append(rtts, v)
		}
	}
	if len(rtts) < 150 {
		t.Fatalf("only %d of 200 checks reported a round trip", len(rtts))
	}
	slices.Sort(rtts)
	q := func(f float64) float64 { return rtts[int(f*float64(len(rtts)-1))] }
	t.Logf("userspace responder, 200 checks at once: rtt ms p50 %.2f p90 %.2f p99 %.2f max %.2f (n=%d)", q(.5), q(.9), q(.99), rtts[len(rtts)-1], len(rtts))
	if p99 := time.Duration(q(.99) * float64(time.Millisecond)); p99 >= probe.FairWindow {
		t.Errorf("p99 lag %v reaches the fair window %v", p99, probe.FairWindow)
	}
}

// TestSecondLateClaimantWithOneProbe: two MetalLB-like speakers answer one
// VIP, one at once, one 15-80 ms late (a loaded node). Every count,
// including -p 1, must see both.
func TestSecondLateClaimantWithOneProbe(t *testing.T) {
	needLab(t)
	peers.speakers2.Do(func() {
		_, peers.speakers2Err = seg.AddSpeaker(lab.Speaker{Role: "speaker2a", MAC: lab.Speaker2MAC, IP: lab.Speaker2AHostIP, IP6: lab.Speaker2AHostIP6,
			IPs: []string{lab.Speaker2IP, lab.Speaker2IP6}, LagMin: 200 * time.Microsecond, LagMax: 500 * time.Microsecond})
		if peers.speakers2Err == nil {
			_, peers.speakers2Err = seg.AddSpeaker(lab.Speaker{Role: "speaker2b", MAC: lab.Speaker2BMAC, IP: lab.Speaker2BHostIP, IP6: lab.Speaker2BHostIP6,
				IPs: []string{lab.Speaker2IP, lab.Speaker2IP6}, LagMin: 15 * time.Millisecond, LagMax: 80 * time.Millisecond})
		}
	})
	if peers.speakers2Err != nil {
		t.Fatal(peers.speakers2Err)
	}
	for _, ip := range []string{lab.Speaker2IP, lab.Speaker2IP6} {
		missed := 0
		var first string
		for range 30 {
			o := runFrom(t, seg.Client, nil, "-H", ip, "-p", "1")
			first = o.summary
			if o.code == 0 || o.perf["macs"].value != "2" {
				if missed++; missed <= 3 {
					t.Errorf("%s -p 1: exit %d: %s; want both speakers seen", ip, o.code, o.stdout)
				}
			}
		}
		t.Logf("%s -p 1: %d of 30 missed the second claimant; last: %s", ip, missed, first)
	}
}

// TestProxyARPLateReplies: a Linux router answers by proxy ARP / proxy NDP
// after its default proxy_delay (random 0-0.8 s), later than the 100 ms
// interval. With a deadline every reply can meet (-t 2), no loss may be
// reported.
func TestProxyARPLateReplies(t *testing.T) {
	needLab(t)
	peers.router.Do(func() {
		_, peers.routerErr = seg.AddProxyARPRouter(lab.ProxiedIP, lab.ProxiedIP6)
	})
	if peers.routerErr != nil {
		t.Fatal(peers.routerErr)
	}
	// The router does not answer unicast solicitations for the proxied
	// IPv6 address (TestProxyNDPUnicast); here only the late replies
	// count.
	for _, ip := range []string{lab.ProxiedIP, lab.ProxiedIP6} {
		for i := range 5 {
			o := runFrom(t, seg.Client, nil, "-H", ip, "-t", "2", "-e", lab.RouterMAC+"=router", "--no-unicast")
			t.Logf("%s -t 2 run %d: %s", ip, i+1, o.summary)
			if o.code != 0 || o.perf["pl"].value != "0" || o.perf["received"].value != "3" {
				t.Errorf("%s -t 2: exit %d: %s; want OK, every late reply counted", ip, o.code, o.stdout)
			}
		}
		for i := range 5 {
			o := runFrom(t, seg.Client, nil, "-H", ip, "-v", "-e", lab.RouterMAC+"=router", "--no-unicast")
			t.Logf("%s defaults run %d: %s", ip, i+1, o.summary)
			if o.perf["pl"].value != "0" {
				t.Logf("%s", o.stdout)
			}
			if o.perf["macs"].value != "1" {
				t.Errorf("%s: %s; want only the router's MAC", ip, o.stdout)
			}
		}
	}
}

// TestVRRPVirtualMACSplitBrain: keepalived 2.2.7 with use_vmac on two
// partitioned hosts: both MASTER, both answer every request from the
// virtual MAC. That must not read OK.
func TestVRRPVirtualMACSplitBrain(t *testing.T) {
	needLab(t)
	peers.vrrp.Do(func() { _, peers.vrrpErr = seg.AddVRRPSplitBrain() })
	if peers.vrrpErr != nil {
		if os.Getenv("CI") != "true" && strings.Contains(peers.vrrpErr.Error(), "needs keepalived") {
			fmt.Fprintln(os.Stderr, "TestVRRPVirtualMACSplitBrain SKIPPED:", peers.vrrpErr)
			t.Skip(peers.vrrpErr)
		}
		t.Fatal(peers.vrrpErr)
	}
	for _, tc := range []struct{ ip, vmac string }{{lab.VRRPIP, lab.VRRPMAC}, {lab.VRRPIP6, lab.VRRPMAC6}} {
		o := runFrom(t, seg.Client, nil, "-H", tc.ip, "-v")
		t.Logf("%s: %s", tc.ip, o.summary)
		// The lab's state: one MAC, the virtual one, twice per request.
		if !strings.Contains(o.summary, tc.vmac) || o.perf["macs"].value != "1" || !strings.Contains(o.stdout, "duplicate") {
			t.Fatalf("%s: %s; want every request answered twice from %s", tc.ip, o.stdout, tc.vmac)
		}
		if o.code != 2 || !strings.Contains(o.summary, "VRRP virtual MAC, VRID 51") || !strings.Contains(o.summary, "two VRRP masters") ||
			o.perf["received"].value != "3" || o.perf["multi_mac_probes"].value != "0" {
			t.Errorf("%s: exit %d: %s; want CRITICAL naming two VRRP masters behind VRID 51's virtual MAC", tc.ip, o.code, o.stdout)
		}
	}
}

// TestMacvlanParent: a check run on a macvlan's parent towards one of its
// children gets no answer (the kernel never delivers between them); from
// another host the child answers.
func TestMacvlanParent(t *testing.T) {
	needLab(t)
	peers.macvlan.Do(func() { peers.mvParent, _, peers.macvlanErr = seg.AddMacvlanHost() })
	if peers.macvlanErr != nil {
		t.Fatal(peers.macvlanErr)
	}
	for _, ip := range []string{lab.MacvlanIP, lab.MacvlanIP6} {
		if o := runFrom(t, seg.Client, nil, "-H", ip, "-e", lab.MacvlanMAC); o.code != 0 || strings.Contains(o.stdout, "macvlan") {
			t.Fatalf("%s from the client: exit %d: %s; want OK, without a macvlan note", ip, o.code, o.stdout)
		}
		o := runFrom(t, peers.mvParent, nil, "-H", ip, "-e", lab.MacvlanMAC)
		t.Logf("%s from the parent: %s", ip, o.summary)
		if o.code != 2 || o.perf["received"].value != "0" {
			t.Fatalf("%s from the parent: exit %d: %s; want no answer", ip, o.code, o.stdout)
		}
		if !strings.Contains(o.summary, "macvlan of eth0") || !strings.Contains(o.summary, "never delivers frames between a macvlan's parent and its children") {
			t.Errorf("%s from the parent: %s; want the macvlan note", ip, o.summary)
		}
	}
	// Checked together in one pool run, each address gets the lone
	// check's verdict, the note included.
	o := runFrom(t, peers.mvParent, nil, "-H", lab.MacvlanIP+","+lab.MacvlanIP6, "-e", lab.MacvlanMAC)
	t.Logf("the pool from the parent: %s", o.stdout)
	if o.code != 2 {
		t.Fatalf("the pool from the parent: exit %d: %s; want CRITICAL", o.code, o.stdout)
	}
	for _, ip := range []string{lab.MacvlanIP, lab.MacvlanIP6} {
		line := lineAbout(o.stdout, ip)
		if !strings.Contains(line, "did not answer; may be on a macvlan of eth0") {
			t.Errorf("the pool's line for %s: %q; want the macvlan note", ip, line)
		}
	}
}

// lineAbout is the long-output line of a pool run about ip (one line per
// address after the summary: "ARP STATE - ip ..." or, without a verdict,
// "ARP UNKNOWN - why ... ip ..."), "" if none.
func lineAbout(stdout, ip string) string {
	lines := strings.Split(stdout, "\n")
	for _, l := range lines[1:] {
		if strings.Contains(" "+l+" ", " "+ip+" ") {
			return l
		}
	}
	return ""
}

// TestStalledStart: the host stalls the check longer than -t while it
// starts (strace delays its first setsockopt, in the route lookup or the
// sockets, by 1.1 s); it sends nothing, so it knows nothing: UNKNOWN,
// with the fix.
func TestStalledStart(t *testing.T) {
	needLab(t)
	if _, err := exec.LookPath("strace"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the stalled-start test needs strace")
		}
		fmt.Fprintln(os.Stderr, "TestStalledStart SKIPPED: needs strace (apt-get install strace)")
		t.Skip("needs strace")
	}
	wrap := []string{"strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=setsockopt", "-e", "inject=setsockopt:delay_enter=1100000:when=1"}
	for _, ip := range []string{lab.HealthyIP, lab.HealthyIP6} {
		o := runFrom(t, seg.Client, wrap, "-H", ip)
		t.Logf("%s stalled: %s", ip, o.summary)
		if o.perf["sent"].value != "0" && o.perf["sent"].value != "" {
			t.Fatalf("%s: %s; the stall should keep every request from leaving", ip, o.stdout)
		}
		// The stall lands in the route lookup or in opening the sockets,
		// whichever calls setsockopt first: either way nothing left.
		nothingLeft := strings.Contains(o.summary, "left eth0 before the deadline") || strings.Contains(o.summary, "no request was sent")
		if o.code != 3 || !strings.Contains(o.summary, "raise -t") || !nothingLeft {
			t.Errorf("%s stalled: exit %d: %s; want UNKNOWN saying nothing left, with the fix (raise -t)", ip, o.code, o.stdout)
		}
	}
	// A pool stalled so: every address UNKNOWN, as alone.
	o := runFrom(t, seg.Client, wrap, "-H", lab.HealthyIP+","+lab.HealthyIP6)
	t.Logf("the pool stalled: %s", o.stdout)
	if o.code != 3 {
		t.Fatalf("the pool stalled: exit %d: %s; want UNKNOWN", o.code, o.stdout)
	}
	for _, ip := range []string{lab.HealthyIP, lab.HealthyIP6} {
		line := lineAbout(o.stdout, ip)
		nothingLeft := strings.Contains(line, "left eth0 before the deadline") || strings.Contains(line, "no request was sent")
		if !strings.Contains(line, "UNKNOWN") || !strings.Contains(line, "raise -t") || !nothingLeft {
			t.Errorf("the pool's line for %s: %q; want UNKNOWN saying nothing left, with the fix (raise -t)", ip, line)
		}
	}
}

// TestSpeakerIgnoresUnicastSolicitations: the lab's MetalLB-like speaker,
// as the real one, answers a router's unicast ARP refresh (sent to its
// MAC) but never a unicast neighbor solicitation: the client kernel's
// entry for the IPv6 VIP goes FAILED while the check says OK.
func TestSpeakerIgnoresUnicastSolicitations(t *testing.T) {
	needSpeaker(t)
	for _, tc := range []struct{ ip, want string }{{lab.SpeakerIP, "REACHABLE"}, {lab.SpeakerIP6, "FAILED"}} {
		// Make the client's kernel probe the VIP unicast, as a router
		// refreshing its entry does (3 probes, 1 s apart).
		if err := seg.Exec(seg.Client, "ip", "neigh", "replace", tc.ip, "lladdr", lab.SpeakerMAC, "dev", "eth0", "nud", "probe"); err != nil {
			t.Fatal(err)
		}
		var state string
		for range 50 {
			out, err := seg.Output(seg.Client, "ip", "neigh", "show", tc.ip, "dev", "eth0")
			if err != nil {
				t.Fatal(err)
			}
			if state = strings.TrimSpace(out); strings.Contains(state, "REACHABLE") || strings.Contains(state, "FAILED") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		_ = seg.Exec(seg.Client, "ip", "neigh", "del", tc.ip, "dev", "eth0")
		if !strings.Contains(state, tc.want) {
			t.Fatalf("%s after unicast probes: %q; want %s", tc.ip, state, tc.want)
		}
		t.Logf("%s after unicast probes: %s", tc.ip, state)
	}
	// The check's unicast request is what the kernel's probes were.
	o := runFrom(t, seg.Client, nil, "-H", lab.SpeakerIP6, "-e", lab.SpeakerMAC+"=speaker")
	t.Logf("%s: %s", lab.SpeakerIP6, o.summary)
	if o.code != 1 || o.perf["unicast"].value != "0" || o.perf["pl"].value != "0" || !strings.Contains(o.summary, "not a unicast one to "+lab.SpeakerMAC) ||
		!strings.Contains(o.summary, "FAILED") {
		t.Errorf("%s: exit %d: %s; want WARNING, unicast=0, naming what it breaks", lab.SpeakerIP6, o.code, o.stdout)
	}
	o = runFrom(t, seg.Client, nil, "-H", lab.SpeakerIP, "-e", lab.SpeakerMAC+"=speaker")
	t.Logf("%s: %s", lab.SpeakerIP, o.summary)
	if o.code != 0 || o.perf["unicast"].value != "1" {
		t.Errorf("%s: exit %d: %s; want OK, unicast=1 (the speaker answers requests sent to its MAC)", lab.SpeakerIP, o.code, o.stdout)
	}
}

// TestUnicastRequestHealthy: a kernel-answered host answers the unicast
// request in both families; --no-unicast leaves it out.
func TestUnicastRequestHealthy(t *testing.T) {
	needLab(t)
	for _, ip := range []string{lab.HealthyIP, lab.HealthyIP6} {
		o := runFrom(t, seg.Client, nil, "-H", ip)
		t.Logf("%s: %s (time %s)", ip, o.summary, o.perf["time"].value)
		if o.code != 0 || o.perf["unicast"].value != "1" || o.perf["pl"].value != "0" {
			t.Errorf("%s: exit %d: %s; want OK, unicast=1", ip, o.code, o.stdout)
		}
		o = runFrom(t, seg.Client, nil, "-H", ip, "--no-unicast")
		if o.code != 0 || o.perf["unicast"].value != "" {
			t.Errorf("%s --no-unicast: exit %d: %s; want OK without unicast perfdata", ip, o.code, o.stdout)
		}
	}
}

// TestLateRepliesNamed: a responder that answers 300-320 ms late, after
// the next request left (-i 100ms): every reply is counted, and the
// summary says the replies are late, with the fix; when the deadline cuts
// the last reply off, the loss says why, with the fix.
func TestLateRepliesNamed(t *testing.T) {
	needLab(t)
	const ip, ip6 = lab.LateSpeakerIP, lab.LateSpeakerIP6
	if _, err := seg.AddSpeaker(lab.Speaker{Role: "slow", MAC: lab.LateSpeakerMAC, IP: lab.LateSpeakerHostIP, IP6: lab.LateSpeakerHostIP6,
		IPs: []string{ip, ip6}, LagMin: 300 * time.Millisecond, LagMax: 320 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{ip, ip6} {
		// A MetalLB-like speaker: it ignores unicast solicitations.
		o := runFrom(t, seg.Client, nil, "-H", target, "-t", "2", "--no-unicast")
		t.Logf("%s -t 2: %s", target, o.summary)
		if o.code != 0 || o.perf["pl"].value != "0" || !strings.Contains(o.summary, "replies arrive after the next request") || !strings.Contains(o.summary, "raise -i") {
			t.Errorf("%s -t 2: exit %d: %s; want OK, no loss, naming the late replies and the fix", target, o.code, o.stdout)
		}
		// The third reply cannot come before 200+300 ms; the probing
		// ends at 480 ms.
		o = runFrom(t, seg.Client, nil, "-H", target, "-t", "0.5", "--no-unicast")
		t.Logf("%s -t 0.5: %s", target, o.summary)
		if o.code != 1 || o.perf["pl"].value == "0" || !strings.Contains(o.summary, "replies arrive after the next request") || !strings.Contains(o.summary, "raise -i and -t") {
			t.Errorf("%s -t 0.5: exit %d: %s; want WARNING, the loss explained by late replies, with the fix", target, o.code, o.stdout)
		}
	}
}

// TestTakeoverAnnouncementsCountAlike: a MetalLB-like speaker's takeover
// rounds (ARP: two frames per round, NDP: one) count the same in both
// families' gratuitous perfdata.
func TestTakeoverAnnouncementsCountAlike(t *testing.T) {
	needLab(t)
	const ip, ip6, m = lab.LeaderIP, lab.LeaderIP6, lab.LeaderMAC
	if _, err := seg.AddSpeaker(lab.Speaker{Role: "leader", MAC: m, IP: lab.LeaderHostIP, IP6: lab.LeaderHostIP6, IPs: []string{ip, ip6},
		TakeoverRounds: 3, TakeoverEvery: 300 * time.Millisecond, TakeoverAfter: time.Second}); err != nil {
		t.Fatal(err)
	}
	// Both checks start within the second before the first round and
	// run for 2.9 s, past the last round (1.6 s).
	var wg sync.WaitGroup
	out := make([]result, 2)
	for i, target := range []string{ip, ip6} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = runFrom(t, seg.Client, nil, "-H", target, "-p", "30", "-i", "100ms", "-t", "4", "-e", m+"=leader", "-v", "--no-unicast")
		}()
	}
	wg.Wait()
	for i, target := range []string{ip, ip6} {
		o := out[i]
		t.Logf("%s: %s; gratuitous=%s", target, o.summary, o.perf["gratuitous"].value)
		if o.code != 0 || o.perf["gratuitous"].value != "3" {
			t.Errorf("%s: exit %d: %s; want OK with 3 announcements (takeover rounds)", target, o.code, o.stdout)
		}
	}
}

// TestProxyNDPUnicast: a Linux router proxying with the interface's
// proxy_ndp (all.proxy_ndp 0, the common setting) forwards a unicast
// solicitation for the proxied address instead of answering it, so hosts'
// neighbor unreachability detection of it fails; proxy ARP answers a
// unicast request at once. With -t 3 the unicast request is always sent
// (the slowest reply, at most 0.8 s, leaves time for it).
func TestProxyNDPUnicast(t *testing.T) {
	needLab(t)
	peers.router.Do(func() {
		_, peers.routerErr = seg.AddProxyARPRouter(lab.ProxiedIP, lab.ProxiedIP6)
	})
	if peers.routerErr != nil {
		t.Fatal(peers.routerErr)
	}
	o := runFrom(t, seg.Client, nil, "-H", lab.ProxiedIP, "-t", "3", "-e", lab.RouterMAC+"=router")
	t.Logf("%s: %s", lab.ProxiedIP, o.summary)
	if o.code != 0 || o.perf["unicast"].value != "1" {
		t.Errorf("%s: exit %d: %s; want OK, unicast=1", lab.ProxiedIP, o.code, o.stdout)
	}
	o = runFrom(t, seg.Client, nil, "-H", lab.ProxiedIP6, "-t", "3", "-e", lab.RouterMAC+"=router")
	t.Logf("%s: %s", lab.ProxiedIP6, o.summary)
	if o.code != 1 || o.perf["unicast"].value != "0" || o.perf["pl"].value != "0" || !strings.Contains(o.stdout, "proxy_ndp") {
		t.Errorf("%s: exit %d: %s; want WARNING, unicast=0, naming the proxy_ndp cause", lab.ProxiedIP6, o.code, o.stdout)
	}
}
