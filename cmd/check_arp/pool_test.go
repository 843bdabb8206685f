package main

// End-to-end tests of a pool: one run checks 100 kernel-answered addresses
// with broken ones among them, both families, in every output format, and
// each address must get the verdict it gets checked alone.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// The pool: 100 addresses that one host's kernel answers (lab.PoolFirst
// to lab.PoolLast), besides the standard segment's broken targets.
const (
	poolMAC  = lab.PoolMAC
	poolSize = 100
	// poolSize6 IPv6 addresses the pool host answers too, which the pool
	// tests check only where they say so.
	poolSize6 = 4
)

var (
	poolOnce    sync.Once
	poolErr     error
	poolHosts   string // the hosts file
	poolAllowed string // the allowlist: the pool host and node-a, node-b, node-c
)

// poolAddr6 returns the i-th of the pool host's IPv6 addresses.
func poolAddr6(i int) string {
	a := netip.MustParseAddr(lab.PoolFirst6)
	for range i {
		a = a.Next()
	}
	return a.String()
}

// poolAddr returns the i-th kernel-answered pool address.
func poolAddr(i int) string {
	a := netip.MustParseAddr(lab.PoolFirst)
	for range i {
		a = a.Next()
	}
	return a.String()
}

// setupPool adds the pool host to the lab once, and writes the hosts file
// and allowlist the pool tests share.
func setupPool(t *testing.T) {
	t.Helper()
	needLab(t)
	poolOnce.Do(func() {
		if last := poolAddr(poolSize - 1); last != lab.PoolLast {
			poolErr = fmt.Errorf("the pool's last address %s is not lab.PoolLast %s", last, lab.PoolLast)
			return
		}
		addrs := make([]string, poolSize, poolSize+poolSize6)
		for i := range addrs {
			addrs[i] = poolAddr(i) + "/24"
		}
		for i := range poolSize6 {
			addrs = append(addrs, poolAddr6(i)+"/64")
		}
		if _, poolErr = seg.AddHost("pool", poolMAC, addrs...); poolErr != nil {
			return
		}
		// In the lab's directory, removed with it.
		dir, err := os.MkdirTemp(labDir, "pool-")
		if err != nil {
			poolErr = err
			return
		}
		_ = os.Chmod(dir, 0o755)
		poolHosts = filepath.Join(dir, "pool.hosts")
		hosts := fmt.Sprintf(`# a MetalLB pool and the services that broke
%s-%s web-pool
%s healthy-svc
%s silent-svc
%s conflict-svc
%s split-svc
%s healthy-v6
%s split-v6
%s silent-v6
`, poolAddr(0), poolAddr(poolSize-1), lab.HealthyIP, lab.SilentIP, lab.ConflictIP, lab.SplitIP, lab.HealthyIP6, lab.SplitIP6, lab.SilentIP6)
		if poolErr = os.WriteFile(poolHosts, []byte(hosts), 0o644); poolErr != nil {
			return
		}
		poolAllowed = filepath.Join(dir, "pool.allow")
		allow := fmt.Sprintf("%s node-p\n%s node-a\n%s node-b\n%s node-c\n", poolMAC, lab.NodeAMAC, lab.NodeBMAC, lab.NodeCMAC)
		poolErr = os.WriteFile(poolAllowed, []byte(allow), 0o644)
		// The pool host's kernel answers at once: give its addresses a
		// moment to be usable on the bridge.
		time.Sleep(100 * time.Millisecond)
	})
	if poolErr != nil {
		t.Fatalf("setting up the pool: %v", poolErr)
	}
}

// poolWant is what each address of the pool must get: its state and a
// keyword of its summary.
type poolWant struct {
	state   string
	keyword string
	label   string
}

func poolExpectations() map[string]poolWant {
	want := map[string]poolWant{
		lab.HealthyIP:  {"OK", "is at " + lab.NodeAMAC + " (node-a)", "healthy-svc"},
		lab.SilentIP:   {"CRITICAL", "did not answer", "silent-svc"},
		lab.ConflictIP: {"CRITICAL", "02:00:00:00:00:99 (not in the allowlist)", "conflict-svc"},
		lab.SplitIP:    {"CRITICAL", "(split brain)", "split-svc"},
		lab.HealthyIP6: {"OK", "is at " + lab.NodeAMAC + " (node-a)", "healthy-v6"},
		lab.SplitIP6:   {"CRITICAL", "(split brain)", "split-v6"},
		lab.SilentIP6:  {"CRITICAL", "did not answer", "silent-v6"},
	}
	for i := range poolSize {
		want[poolAddr(i)] = poolWant{"OK", "is at " + poolMAC + " (node-p) on eth0: 3/3 replies", "web-pool"}
	}
	return want
}

// poolRun runs check_arp in the client namespace.
func poolRun(t *testing.T, args ...string) result {
	t.Helper()
	r := runCheck(args...)
	if r.err != nil {
		t.Errorf("running check_arp %v: %v %s", args, r.err, r.stderr)
	}
	return r
}

func poolArgs(extra ...string) []string {
	return append([]string{"--hosts-file", poolHosts, "--expect-file", poolAllowed}, extra...)
}

func TestPoolNagios(t *testing.T) {
	setupPool(t)
	want := poolExpectations()
	r := poolRun(t, poolArgs()...)
	code, out := r.code, r.stdout
	first := r.summary
	if code != 2 || r.layout != "" {
		t.Errorf("exit %d, want 2 (CRITICAL); layout: %s", code, r.layout)
	}
	summary := regexp.MustCompile(`^ARP/NDP CRITICAL - 5 of 107 addresses CRITICAL: (.*); 102 OK$`)
	m := summary.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("summary %q does not match %s", first, summary)
	}
	if !strings.Contains(m[1], "and 2 more") {
		t.Errorf("summary names more than three addresses: %q", m[1])
	}
	// Perfdata, after the last address's line: the counts, and per
	// address.
	for label, v := range map[string]string{
		"addresses": "107", "ok": "102", "critical": "5", "warning": "0", "unknown": "0",
		"macs_" + lab.SplitIP: "2", "macs_" + lab.SplitIP6: "2", "macs_" + lab.ConflictIP: "1",
		"pl_" + lab.SilentIP: "100%", "pl_" + lab.SilentIP6: "100%", "macs_" + poolAddr(42): "1", "pl_" + poolAddr(99): "0%",
	} {
		if got := r.perf[label].value + r.perf[label].uom; got != v {
			t.Errorf("perfdata %s = %q, want %q", label, got, v)
		}
	}
	if _, ok := r.perf["rta_"+lab.SilentIP]; ok {
		t.Errorf("perfdata has a round trip for the silent address")
	}
	// Long output: one line per address, worst first, each as it would
	// be checked alone, with its label.
	long := strings.Split(r.long, "\n")
	if len(long) != 107 {
		t.Fatalf("%d long output lines, want 107:\n%s", len(long), out)
	}
	seen := map[string]bool{}
	worstDone := false
	line := regexp.MustCompile(`^(ARP|NDP) (OK|WARNING|CRITICAL|UNKNOWN) - (\S+) \(([^)]+)\) (.*)$`)
	for _, l := range long {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("long output line %q is not an address's summary", l)
			continue
		}
		addr := m[3]
		w, ok := want[addr]
		if !ok || seen[addr] {
			t.Errorf("unexpected or repeated address in %q", l)
			continue
		}
		seen[addr] = true
		if m[2] != w.state || !strings.Contains(m[5], w.keyword) || m[4] != w.label {
			t.Errorf("%s: %q; want %s with %q, label %s", addr, l, w.state, w.keyword, w.label)
		}
		if m[2] == "OK" {
			worstDone = true
		} else if worstDone {
			t.Errorf("%s is %s after an OK line: not worst first", addr, m[2])
		}
	}
}

func TestPoolCheckmk(t *testing.T) {
	setupPool(t)
	want := poolExpectations()
	r := poolRun(t, poolArgs("--output", "checkmk")...)
	code, out := r.code, r.stdout
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	line := regexp.MustCompile(`^([0-3]) "(ARP|NDP) (\S+)" (\S+) (\S+) \(([^)]+)\) (.*)$`)
	states := map[string]string{"0": "OK", "1": "WARNING", "2": "CRITICAL", "3": "UNKNOWN"}
	n := 0
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("not a local check line: %q", l)
			continue
		}
		n++
		w := want[m[3]]
		if states[m[1]] != w.state || m[5] != m[3] || m[6] != w.label || !strings.Contains(m[7], w.keyword) {
			t.Errorf("%s: %q; want %s with %q, label %s", m[3], l, w.state, w.keyword, w.label)
		}
		if w.state == "OK" && !strings.Contains(m[4], "rta=") {
			t.Errorf("%s: no round trip in %q", m[3], m[4])
		}
	}
	if n != 107 {
		t.Errorf("%d services, want 107", n)
	}
}

func TestPoolJSON(t *testing.T) {
	setupPool(t)
	want := poolExpectations()
	r := poolRun(t, poolArgs("--output", "json")...)
	code, out := r.code, r.stdout
	var doc struct {
		Schema    int    `json:"schema"`
		State     string `json:"state"`
		ExitCode  int    `json:"exit_code"`
		Addresses []struct {
			Address string `json:"address"`
			Label   string `json:"label"`
			Family  string `json:"family"`
			State   string `json:"state"`
			Summary string `json:"summary"`
			MACs    []struct {
				MAC string `json:"mac"`
			} `json:"macs"`
			Requests struct {
				Sent     int `json:"sent"`
				Answered int `json:"answered"`
			} `json:"requests"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if code != 2 || doc.State != "CRITICAL" || doc.ExitCode != 2 || doc.Schema != 1 || len(doc.Addresses) != 107 {
		t.Errorf("exit %d, state %s/%d, schema %d, %d addresses; want 2, CRITICAL, 1, 107", code, doc.State, doc.ExitCode, doc.Schema, len(doc.Addresses))
	}
	for _, a := range doc.Addresses {
		w := want[a.Address]
		if a.State != w.state || a.Label != w.label || !strings.Contains(a.Summary, w.keyword) || a.Requests.Sent != 3 {
			t.Errorf("%s: state %s, label %q, %d sent, summary %q; want %s, %s, 3, %q", a.Address, a.State, a.Label, a.Requests.Sent, a.Summary, w.state, w.label, w.keyword)
		}
		if (a.Address == lab.SplitIP || a.Address == lab.SplitIP6) && len(a.MACs) != 2 {
			t.Errorf("%s: %d MACs, want 2", a.Address, len(a.MACs))
		}
	}
}

func TestPoolOpenMetrics(t *testing.T) {
	setupPool(t)
	want := poolExpectations()
	r := poolRun(t, poolArgs("--output", "openmetrics")...)
	code, out := r.code, r.stdout
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	promtoolCheck(t, out)
	state := regexp.MustCompile(`(?m)^check_arp_state\{address="([^"]+)",interface="eth0",family="(ipv4|ipv6)"\} ([0-3])$`)
	states := map[string]string{"0": "OK", "1": "WARNING", "2": "CRITICAL", "3": "UNKNOWN"}
	matches := state.FindAllStringSubmatch(out, -1)
	if len(matches) != 107 {
		t.Errorf("%d check_arp_state series, want 107", len(matches))
	}
	for _, m := range matches {
		if w := want[m[1]]; states[m[3]] != w.state {
			t.Errorf("check_arp_state of %s is %s, want %s", m[1], states[m[3]], w.state)
		}
	}
	if !strings.Contains(out, `check_arp_info{address="`+lab.SplitIP+`",interface="eth0",family="ipv4",owner_mac="",owner_label="",label="split-svc"} 1`) {
		t.Errorf("no info series with the split-brain address's label")
	}
	if !strings.Contains(out, `check_arp_macs{address="`+lab.SplitIP6+`",interface="eth0",family="ipv6"} 2`) {
		t.Errorf("the IPv6 split brain does not have 2 MACs")
	}
}

// promtoolCheck lints an OpenMetrics text with Prometheus' promtool
// (Debian package prometheus): missing, the test says so, and fails in CI.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is missing (apt-get install prometheus)")
		}
		fmt.Fprintln(os.Stderr, "NOTICE: promtool is missing (apt-get install prometheus): the pool's OpenMetrics output is not linted")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// The 200-concurrent load test with a pool: 200 checks of one address run
// while a pool run checks it among 100 others. The pool's socket sees every
// check's requests and replies about that address; every check, and every
// address of the pool, must still get its own verdict.
func TestPoolWith200ConcurrentChecks(t *testing.T) {
	setupPool(t)
	const n = 200
	allow := "-e" + poolMAC + "=node-p," + lab.NodeAMAC + "=node-a"
	var wg sync.WaitGroup
	var pool result
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(50 * time.Millisecond) // into the singles' burst
		pool = poolRun(t, "-H", poolAddr(0)+"-"+poolAddr(poolSize-1)+","+lab.HealthyIP, allow, "-t", "3")
	}()
	singles := concurrentChecks(n, "-H", lab.HealthyIP, allow, "-t", "3")
	wg.Wait()
	codes := make([]int, n)
	outs := make([]string, n)
	for i, r := range singles {
		codes[i], outs[i] = r.code, r.stdout
	}
	bad := 0
	for i := range n {
		if codes[i] != 0 || !strings.HasPrefix(outs[i], "ARP OK - "+lab.HealthyIP+" is at "+lab.NodeAMAC+" (node-a) on eth0: 3/3 replies") {
			if bad++; bad <= 3 {
				t.Errorf("check %d: exit %d: %.200s", i+1, codes[i], outs[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d concurrent checks were not OK with 3/3 replies", bad, n)
	}
	if pool.code != 0 || pool.summary != "ARP OK - 101 of 101 addresses OK" || pool.perf["ok"].value != "101" || strings.Count(pool.long, "on eth0: 3/3 replies") != 101 || pool.layout != "" {
		t.Errorf("the pool run among them: exit %d: %.400s %s", pool.code, pool.summary, pool.layout)
	}
}

// A flood of replies about one address of a pool makes that address
// CRITICAL and leaves the others' verdicts alone, in bounded memory.
func TestPoolUnderFlood(t *testing.T) {
	setupPool(t)
	hostile(t, lab.HealthyIP, "-mode", "flood", "-rate", "40000", "-for", "2s")
	r := runInvocation(invocation{peakRSS: true, args: []string{"-H", poolAddr(0) + "-" + poolAddr(poolSize-1) + "," + lab.HealthyIP,
		"-e", poolMAC + "=node-p," + lab.NodeAMAC + "=node-a", "-t", "1"}})
	if r.err != nil {
		t.Fatal(r)
	}
	code, rss := r.code, r.rssKiB
	t.Logf("pool under a 40,000 frames/s flood of one address: %d KiB peak RSS: %.200s", rss, r.summary)
	if code != 2 || !strings.HasPrefix(r.summary, "ARP CRITICAL - 1 of 101 addresses CRITICAL: "+lab.HealthyIP+" is flooded") || !strings.HasSuffix(r.summary, "; 100 OK") || r.perf["critical"].value != "1" || r.layout != "" {
		t.Errorf("exit %d: %.400s; want the flooded address CRITICAL and 100 OK; layout: %s", code, r.summary, r.layout)
	}
	if n := strings.Count(r.stdout, "(node-p) on eth0: 3/3 replies"); n != poolSize {
		t.Errorf("%d of %d pool addresses got 3/3 replies from node-p under the flood", n, poolSize)
	}
	if rss > 32*1024 {
		t.Errorf("peak RSS %d KiB under flood; the queue and recording limits should bound it", rss)
	}
}
