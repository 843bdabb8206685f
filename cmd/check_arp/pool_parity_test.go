package main

// A pool's address gets the verdict it gets checked alone: the unicast
// request is sent in a pool too, and other processes' solicitations of a
// pool's IPv6 address count as they do for a lone check.

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// measured are the parts of a summary that vary between runs: round
// trips and durations.
var measured = regexp.MustCompile(`\d+(\.\d+)?ms`)

// sameText is a summary with its measurements blanked.
func sameText(summary string) string { return measured.ReplaceAllString(summary, "Nms") }

// poolLines returns a pool's long output lines by the address they are
// about (the third word).
func poolLines(r result) map[string]string {
	lines := map[string]string{}
	for _, l := range strings.Split(r.long, "\n") {
		if f := strings.Fields(l); len(f) > 3 {
			lines[f[3]] = l
		}
	}
	return lines
}

// checkmkMetric returns the value of metric in the checkmk line of the
// service "PROTO ADDRESS" ("" when the line lacks it), and whether there
// is such a line.
func checkmkMetric(out, service, metric string) (string, bool) {
	for _, l := range strings.Split(out, "\n") {
		_, rest, ok := strings.Cut(l, ` "`+service+`" `)
		if !ok {
			continue
		}
		metrics, _, _ := strings.Cut(rest, " ")
		for _, m := range strings.Split(metrics, "|") {
			if v, found := strings.CutPrefix(m, metric+"="); found {
				v, _, _ = strings.Cut(v, ";")
				return v, true
			}
		}
		return "", true
	}
	return "", false
}

// TestPoolUnicastLikeAlone: the MetalLB-like speaker's IPv6 address, which
// ignores unicast solicitations, is WARNING in a pool as it is alone, with
// the same finding; its IPv4 address and a kernel-answered IPv6 one answer
// the unicast request in a pool as alone (unicast=1), and --no-unicast
// leaves it out in a pool as alone.
func TestPoolUnicastLikeAlone(t *testing.T) {
	needSpeaker(t)
	allow := "-e" + lab.SpeakerMAC + "=speaker," + lab.NodeAMAC + "=node-a"
	addrs := []struct{ proto, ip, unicast string }{
		{"NDP", lab.SpeakerIP6, "0"}, {"ARP", lab.SpeakerIP, "1"}, {"NDP", lab.HealthyIP6, "1"},
	}
	pool := poolRun(t, "-H", lab.SpeakerIP6+","+lab.SpeakerIP+","+lab.HealthyIP6, allow)
	t.Logf("pool: %s", pool.stdout)
	if pool.code != 1 || pool.layout != "" || !strings.HasPrefix(pool.summary, "ARP/NDP WARNING - 1 of 3 addresses WARNING: "+lab.SpeakerIP6+" answers multicast solicitations but not a unicast one") {
		t.Errorf("pool: exit %d: %q; want WARNING for %s alone (layout: %s)", pool.code, pool.summary, lab.SpeakerIP6, pool.layout)
	}
	lines := poolLines(pool)
	cmk := poolRun(t, "-H", lab.SpeakerIP6+","+lab.SpeakerIP+","+lab.HealthyIP6, allow, "--output", "checkmk")
	for _, a := range addrs {
		alone := poolRun(t, "-H", a.ip, allow)
		t.Logf("alone: %s", alone.summary)
		if alone.perf["unicast"].value != a.unicast {
			t.Errorf("%s alone: unicast=%q, want %s: %s", a.ip, alone.perf["unicast"].value, a.unicast, alone.stdout)
		}
		if got, want := sameText(lines[a.ip]), sameText(alone.summary); got != want {
			t.Errorf("%s in the pool:\n  %s\nalone:\n  %s", a.ip, lines[a.ip], alone.summary)
		}
		if v, ok := checkmkMetric(cmk.stdout, a.proto+" "+a.ip, "unicast"); v != a.unicast {
			t.Errorf("%s in the pool's checkmk output (line found: %v): unicast=%q, want %s as alone:\n%s", a.ip, ok, v, a.unicast, cmk.stdout)
		}
	}

	pool = poolRun(t, "-H", lab.SpeakerIP6+","+lab.SpeakerIP+","+lab.HealthyIP6, allow, "--no-unicast", "--output", "checkmk")
	for _, a := range addrs {
		v, ok := checkmkMetric(pool.stdout, a.proto+" "+a.ip, "unicast")
		if !ok || v != "" || !strings.Contains(pool.stdout, `0 "`+a.proto+" "+a.ip+`"`) {
			t.Errorf("%s in a pool with --no-unicast: unicast=%q (line found: %v), want OK without it:\n%s", a.ip, v, ok, pool.stdout)
		}
	}
}

// TestPoolWhileOthersSolicit mirrors TestConcurrentChecksOfOneTarget for
// a pool: while 50 lone checks solicit a kernel-answered IPv6 address, a
// pool holding it, 4 other IPv6 addresses and 100 IPv4 ones runs. The
// lone checks' answers reach the pool's socket too, repeated within its
// requests' windows; as for a lone check, repeats prove nothing while
// others ask, so the address stays OK with its one MAC, never "two hosts
// behind one MAC". The addresses nobody else asked for keep the unicast
// request's answer (unicast=1): others' requests count for the address
// they ask for only.
func TestPoolWhileOthersSolicit(t *testing.T) {
	setupPool(t)
	const n = 50
	allow := "-e" + poolMAC + "=node-p," + lab.NodeAMAC + "=node-a"
	var wg sync.WaitGroup
	var pool result
	wg.Add(1)
	go func() {
		defer wg.Done()
		pool = poolRun(t, "-H", lab.HealthyIP6+","+poolAddr6(0)+"-"+poolAddr6(poolSize6-1)+","+poolAddr(0)+"-"+poolAddr(poolSize-1), allow, "-t", "10", "--output", "checkmk")
	}()
	bad := 0
	for i, r := range concurrentChecks(n, "-H", lab.HealthyIP6, "-t", "10", allow) {
		if why := healthyOne(r); why != "" {
			if bad++; bad <= 3 {
				t.Errorf("check %d of %d: %s: %s", i+1, n, why, r)
			}
		}
	}
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of %d concurrent checks were not OK with 3 of 3 answered", bad, n)
	}
	ok := 0
	for _, l := range strings.Split(strings.TrimSuffix(pool.stdout, "\n"), "\n") {
		if strings.HasPrefix(l, `0 "`) && strings.Contains(l, "on eth0: 3/3 replies") && !strings.Contains(l, "behind one MAC") {
			ok++
		}
		if strings.Contains(l, `"NDP `+lab.HealthyIP6+`"`) {
			t.Logf("the pool among %d lone checks: %s", n, l)
			if !strings.HasPrefix(l, `0 "NDP `+lab.HealthyIP6+`" `) || !strings.Contains(l, " is at "+lab.NodeAMAC+" (node-a) on eth0: 3/3 replies") {
				t.Errorf("%s in the pool: %q; want OK, 3/3 replies from node-a alone", lab.HealthyIP6, l)
			}
		}
	}
	if want := 1 + poolSize6 + poolSize; pool.code != 0 || ok != want {
		t.Errorf("the pool among them: exit %d, %d of %d addresses OK with 3/3 replies:\n%s", pool.code, ok, want, pool.stdout)
	}
	for i := range poolSize6 {
		if v, _ := checkmkMetric(pool.stdout, "NDP "+poolAddr6(i), "unicast"); v != "1" {
			t.Errorf("%s, which nobody else asked for: unicast=%q, want 1", poolAddr6(i), v)
		}
	}
}

// TestPoolCountsOthersSolicitations: a lone check of an IPv6 address runs
// inside a long pool run holding it: the pool counts its solicitations
// for that address alone. That address's answer to the unicast request
// may then have been the lone check's, so the pool leaves unicast out for
// it, as a lone check does while others ask; the pool's other addresses,
// which nobody else asked for, keep theirs (unicast=1).
func TestPoolCountsOthersSolicitations(t *testing.T) {
	setupPool(t)
	allow := "-e" + poolMAC + "=node-p," + lab.NodeAMAC + "=node-a"
	// Count the solicitations for HealthyIP6 leaving the client's
	// interface, to see the pool's first one (at the device: a pool sends
	// them as frames, past the IPv6 stack's hooks).
	table := fmt.Sprintf("parity%d", os.Getpid())
	for _, rule := range [][]string{
		{"add", "table", "netdev", table},
		{"add", "chain", "netdev", table, "out", "{ type filter hook egress device eth0 priority 0; }"},
		{"add", "rule", "netdev", table, "out", "icmpv6", "type", "nd-neighbor-solicit", "ip6", "daddr", "ff02::1:ff00:10", "counter"},
	} {
		if err := seg.Exec(seg.Client, append([]string{"nft"}, rule...)...); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = seg.Exec(seg.Client, "nft", "delete", "table", "netdev", table) })
	if lab.HealthyIP6 != "2001:db8::10" {
		t.Fatalf("the counter watches 2001:db8::10's solicited-node group, not %s's", lab.HealthyIP6)
	}

	// 100 requests 50 ms apart: about 5 s.
	p := start(invocation{args: []string{"-H", lab.HealthyIP6 + "," + poolAddr6(0) + "-" + poolAddr6(poolSize6-1), allow,
		"-p", "100", "-i", "50ms", "-t", "8", "--output", "checkmk"}})
	var pool result
	var poolEnd time.Time
	done := make(chan struct{})
	go func() {
		pool = p.wait()
		poolEnd = time.Now()
		close(done)
	}()
	counted := regexp.MustCompile(`counter packets ([0-9]+)`)
	for sent := false; !sent; {
		select {
		case <-done:
			t.Fatalf("the pool ended before its first solicitation was seen: %s", pool)
		case <-time.After(10 * time.Millisecond):
		}
		out, err := seg.Output(seg.Client, "nft", "list", "table", "netdev", table)
		if err != nil {
			t.Fatal(err)
		}
		m := counted.FindStringSubmatch(out)
		sent = m != nil && m[1] != "0"
	}
	lone := runCheck("-H", lab.HealthyIP6, allow)
	loneEnd := time.Now()
	<-done
	if !poolEnd.After(loneEnd) {
		t.Fatalf("the pool (%s) ended before the lone check it should hold: the machine stalled it for seconds", pool.wall)
	}
	if lone.code != 0 {
		t.Errorf("the lone check inside the pool: %s", lone)
	}
	t.Logf("the pool around a lone check of %s:\n%s", lab.HealthyIP6, pool.stdout)
	if pool.code != 0 {
		t.Errorf("the pool: exit %d, want 0:\n%s", pool.code, pool.stdout)
	}
	if v, ok := checkmkMetric(pool.stdout, "NDP "+lab.HealthyIP6, "unicast"); !ok || v != "" {
		t.Errorf("%s, which the lone check asked for too: unicast=%q (line found: %v); want none, as the answer may have been the lone check's", lab.HealthyIP6, v, ok)
	}
	for i := range poolSize6 {
		if v, _ := checkmkMetric(pool.stdout, "NDP "+poolAddr6(i), "unicast"); v != "1" {
			t.Errorf("%s, which nobody else asked for: unicast=%q, want 1", poolAddr6(i), v)
		}
	}
}
