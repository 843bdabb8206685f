package main

// End-to-end tests of the memory between runs: the real binary in the
// namespace lab, with addresses that the tests move between node-a's and
// node-b's kernels between runs.

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/state"
	"github.com/check-arp/check_arp/test/lab"
)

// Targets the memory tests move between nodes, one per test so that no
// test sees another's memory or address.
const (
	movingIP     = lab.MovingIP
	movingIP6    = lab.MovingIP6
	movedOKIP    = lab.MovedOKIP
	burstIP      = lab.BurstIP
	killedIP     = lab.KilledIP
	unprivMoveIP = lab.UnprivMoveIP
	nobodyUID    = 65534
)

// runWithMemory runs the check in the client namespace with memory as args
// say: a --state-dir of the test's, or --no-state.
func runWithMemory(args ...string) result {
	return runInvocation(invocation{memory: true, args: args})
}

// node is the namespace of one of the lab's hosts ("a", "b", "rogue").
func node(role string) string { return seg.Name + "-" + role }

// placeAt moves addr to the eth0 of the host role (from wherever it was)
// and removes it when the test ends.
func placeAt(t *testing.T, addr, role string) {
	t.Helper()
	prefix, flags := "/24", []string{}
	if strings.Contains(addr, ":") {
		prefix, flags = "/64", []string{"nodad"}
	}
	for _, r := range []string{"a", "b"} {
		// Deleting an address a host does not hold fails; that is fine.
		exec.Command("ip", "-n", node(r), "addr", "del", addr+prefix, "dev", "eth0").Run()
	}
	if role == "" {
		return
	}
	argv := append([]string{"-n", node(role), "addr", "add", addr + prefix, "dev", "eth0"}, flags...)
	if out, err := exec.Command("ip", argv...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v: %s", argv, err, out)
	}
	// Moved only once the new owner answers: for IPv6, once it has joined
	// the address's solicited-node group.
	if strings.Contains(addr, ":") {
		if err := seg.WaitSolicitable(node(role), "eth0", addr); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "-n", node(role), "addr", "del", addr+prefix, "dev", "eth0").Run() })
}

// Patterns of the summaries.
const (
	macA   = `02:00:00:00:00:0a \(node-a\)`
	macB   = `02:00:00:00:00:0b \(node-b\)`
	clock  = `\d\d:\d\d:\d\d`
	ago    = `\(\d+s ago\)`
	counts = `3/3 replies, rta [0-9.]+ms`
	// elapsed is how long a check waited in vain: about -t, in ms, or in
	// seconds once a busy machine made it a second or more.
	elapsed = `[0-9.]+m?s`
)

func TestMemoryOwnerMovesBetweenChecks(t *testing.T) {
	needLab(t)
	for _, tc := range []struct{ proto, ip string }{{"ARP", movingIP}, {"NDP", movingIP6}} {
		t.Run(tc.proto, func(t *testing.T) {
			dir := t.TempDir()
			ip := regexp.QuoteMeta(tc.ip)
			check := func(extra ...string) result {
				return runWithMemory(append([]string{"-H", tc.ip, "--expect-file", seg.Allowlist, "--state-dir", dir, "--flap", "3/1h"}, extra...)...)
			}
			placeAt(t, tc.ip, "a")
			r := check()
			t.Logf("run 1: %s", r.summary)
			r.expectLine(t, "run 1", 0, tc.proto+` OK - `+ip+` is at `+macA+` on eth0: `+counts, "owner_changes", "0c", "owner_age", "0s")

			placeAt(t, tc.ip, "b")
			r = check()
			t.Logf("run 2, after a move: %s", r.summary)
			r.expectLine(t, "run 2", 1, tc.proto+` WARNING - `+ip+` moved from `+macA+` to `+macB+` since the last check at `+clock+` `+ago+` on eth0: `+counts,
				"owner_changes", "1c", "owner_age", "0s")
			// Without memory nothing is known of owners before this run:
			// the values are left out.
			runWithMemory("-H", tc.ip, "--expect-file", seg.Allowlist, "--no-state").expectLine(t, "--no-state after the move", 0,
				tc.proto+` OK - `+ip+` is at `+macB+` on eth0: `+counts, "owner_changes", "-", "owner_age", "-")

			r = check("-v")
			t.Logf("run 3: %s", r.summary)
			r.expectLine(t, "run 3", 0, tc.proto+` OK - `+ip+` is at `+macB+` on eth0: `+counts, "owner_changes", "1c")
			if !regexp.MustCompile(`memory: owner ` + macB + ` for \d+s, 1 change of owner within 1h, 1 in total; the last check at ` + clock + ` ` + ago + ` saw one owner`).MatchString(r.stdout) {
				t.Errorf("run 3 -v: no memory line in %q", r.stdout)
			}

			placeAt(t, tc.ip, "a")
			r = check()
			t.Logf("run 4, moved back: %s", r.summary)
			r.expectLine(t, "run 4", 1, tc.proto+` WARNING - `+ip+` moved from `+macB+` to `+macA+` since the last check at `+clock+` `+ago+` on eth0: `+counts, "owner_changes", "2c")

			placeAt(t, tc.ip, "b")
			r = check()
			t.Logf("run 5, the third change within --flap 3/1h: %s", r.summary)
			r.expectLine(t, "run 5", 2, tc.proto+` CRITICAL - `+ip+` changed owner 3 times within 1h \(flapping\): node-a to node-b at `+clock+`, node-b to node-a at `+clock+
				` and node-a to node-b at `+clock+`; moved from `+macA+` to `+macB+` since the last check at `+clock+` `+ago+` on eth0: `+counts, "owner_changes", "3c", "owner_age", "0s")

			r = check()
			t.Logf("run 6, no move: %s", r.summary)
			r.expectLine(t, "run 6", 2, tc.proto+` CRITICAL - `+ip+` changed owner 3 times within 1h \(flapping\): .*; is at `+macB+` on eth0: `+counts, "owner_changes", "3c")

			// The file is the memory an operator may read.
			st, err := state.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			l, err := st.Load(state.Key{Target: netip.MustParseAddr(tc.ip), Interface: "eth0"})
			if err != nil || !l.Found || l.Reset != "" || l.Record.TotalChanges != 3 || len(l.Record.Changes) != 3 || l.Record.Owner.String() != lab.NodeBMAC {
				t.Errorf("state file: %+v, %v; want 3 changes, owner node-b", l, err)
			}
		})
	}
}

func TestMemoryMovedOKKeepsTheText(t *testing.T) {
	needLab(t)
	dir := t.TempDir()
	check := func() result {
		return runWithMemory("-H", movedOKIP, "--expect-file", seg.Allowlist, "--state-dir", dir, "--moved", "ok")
	}
	placeAt(t, movedOKIP, "a")
	check().expectLine(t, "run 1", 0, `ARP OK - 198\.51\.100\.41 is at `+macA+` on eth0: `+counts)
	placeAt(t, movedOKIP, "b")
	r := check()
	t.Logf("--moved ok after a move: %s", r.summary)
	r.expectLine(t, "run 2", 0, `ARP OK - 198\.51\.100\.41 moved from `+macA+` to `+macB+` since the last check at `+clock+` `+ago+` on eth0: `+counts, "owner_changes", "1c")
	placeAt(t, movedOKIP, "a")
	r = runWithMemory("-H", movedOKIP, "--expect-file", seg.Allowlist, "--state-dir", dir, "--moved", "critical")
	r.expectLine(t, "--moved critical", 2, `ARP CRITICAL - 198\.51\.100\.41 moved from `+macB+` to `+macA+` since the last check at `+clock+` `+ago+` on eth0: `+counts)
}

func TestExpectOwner(t *testing.T) {
	needLab(t)
	dir := t.TempDir()
	allow := []string{"--expect-file", seg.Allowlist}
	tests := []struct {
		name    string
		args    []string
		code    int
		summary string
	}{
		{"expected node holds it", []string{"-H", lab.HealthyIP, "--expect-owner", "node-a"}, 0,
			`ARP OK - 198\.51\.100\.10 is at ` + macA + ` on eth0: ` + counts},
		{"expected by MAC", []string{"-H", lab.HealthyIP, "--expect-owner", "02-00-00-00-00-0A"}, 0,
			`ARP OK - 198\.51\.100\.10 is at ` + macA + ` on eth0: ` + counts},
		{"another allowed node holds it", []string{"-H", lab.HealthyIP, "--expect-owner", "node-b"}, 1,
			`ARP WARNING - 198\.51\.100\.10 is held by node-a, expected node-b on eth0: ` + counts},
		{"IPv6: another allowed node holds it", []string{"-H", lab.HealthyIP6, "--expect-owner", "node-c"}, 1,
			`NDP WARNING - 2001:db8::10 is held by node-a, expected node-c on eth0: ` + counts},
		{"a MAC outside the allowlist stays CRITICAL", []string{"-H", lab.ConflictIP, "--expect-owner", "node-a"}, 2,
			`ARP CRITICAL - 198\.51\.100\.12 is claimed by 02:00:00:00:00:99 \(not in the allowlist\), expected .* on eth0: ` + counts},
		{"silent expected node", []string{"-H", lab.SilentIP, "--expect-owner", "node-a"}, 2,
			`ARP CRITICAL - 198\.51\.100\.11 did not answer on eth0: 0/3 replies in ` + elapsed},
		{"unknown label", []string{"-H", lab.HealthyIP, "--expect-owner", "node-x"}, 3,
			`UNKNOWN - --expect-owner "node-x" is not a label of the allowlist \(known: node-a, node-b, node-c\); give one of them or a MAC address`},
		{"MAC outside the allowlist", []string{"-H", lab.HealthyIP, "--expect-owner", lab.RogueMAC}, 3,
			`UNKNOWN - --expect-owner 02:00:00:00:00:99 is not in the allowlist, so it would be CRITICAL wherever it answers; add it with -e 02:00:00:00:00:99=LABEL or expect one of the allowed MACs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, memory := range [][]string{{"--no-state"}, {"--state-dir", dir}} {
				r := runWithMemory(append(append(tt.args, allow...), memory...)...)
				r.expectLine(t, strings.Join(memory, " "), tt.code, tt.summary)
				if memory[0] == "--no-state" {
					t.Logf("%s", r.summary)
				}
			}
		})
	}
}

// TestMemoryConcurrentChecks: 200 checks of one target at once share its
// state file: the verdicts are those without state, the file stays whole,
// and a move between two bursts is recorded exactly once.
func TestMemoryConcurrentChecks(t *testing.T) {
	needLab(t)
	dir := t.TempDir()
	const n = 200
	burst := func(memory ...string) []result {
		var wg sync.WaitGroup
		runs := make([]result, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i] = runWithMemory(append([]string{"-H", burstIP, "--expect-file", seg.Allowlist, "-t", "3"}, memory...)...)
			}()
		}
		wg.Wait()
		return runs
	}
	tally := func(runs []result) map[string]int {
		m := map[string]int{}
		for _, r := range runs {
			// The verdict without numbers that vary between runs.
			m[fmt.Sprintf("exit %d: %s", r.code, regexp.MustCompile(`rta [0-9.]+ms|at \d\d:\d\d:\d\d \(\d+s ago\)`).ReplaceAllString(r.summary, "..."))]++
		}
		return m
	}
	load := func() state.Loaded {
		st, err := state.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		l, err := st.Load(state.Key{Target: netip.MustParseAddr(burstIP), Interface: "eth0"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	placeAt(t, burstIP, "a")
	without, with := tally(burst("--no-state")), tally(burst("--state-dir", dir))
	want := map[string]int{"exit 0: ARP OK - 198.51.100.42 is at 02:00:00:00:00:0a (node-a) on eth0: 3/3 replies, ...": n}
	t.Logf("200 at once without state: %v; with state: %v", without, with)
	if fmt.Sprint(without) != fmt.Sprint(want) || fmt.Sprint(with) != fmt.Sprint(want) {
		t.Errorf("verdicts without state %v, with state %v; want all %v", without, with, want)
	}
	if l := load(); !l.Found || l.Reset != "" || l.Record.Owner.String() != lab.NodeAMAC || l.Record.TotalChanges != 0 {
		t.Errorf("after the first burst the state file holds %+v", l)
	}

	// The owner moves; the next burst sees node-b. The first to record it
	// reports the move, the others find it recorded.
	placeAt(t, burstIP, "b")
	second := tally(burst("--state-dir", dir))
	t.Logf("200 at once after a move: %v", second)
	want = map[string]int{
		"exit 1: ARP WARNING - 198.51.100.42 moved from 02:00:00:00:00:0a (node-a) to 02:00:00:00:00:0b (node-b) since the last check ... on eth0: 3/3 replies, ...": 1,
		"exit 0: ARP OK - 198.51.100.42 is at 02:00:00:00:00:0b (node-b) on eth0: 3/3 replies, ...":                                                                  n - 1,
	}
	if fmt.Sprint(second) != fmt.Sprint(want) {
		t.Errorf("verdicts %v, want %v", second, want)
	}
	if l := load(); l.Reset != "" || l.Record.Owner.String() != lab.NodeBMAC || l.Record.TotalChanges != 1 || len(l.Record.Changes) != 1 {
		t.Errorf("after the move the state file holds %+v; want one change to node-b", l)
	}
}

// TestMemorySurvivesKill9: checks killed at random moments while the
// target moves between nodes leave a state file that the next check reads
// without a reset.
func TestMemorySurvivesKill9(t *testing.T) {
	needLab(t)
	dir := t.TempDir()
	args := []string{"-H", killedIP, "--expect-file", seg.Allowlist, "--state-dir", dir, "-p", "1"}
	placeAt(t, killedIP, "a")
	stop := make(chan struct{})
	var mover sync.WaitGroup
	mover.Add(1)
	go func() {
		// Moving the address makes most runs write rather than only
		// confirm, so that the kills land in writes.
		defer mover.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			role := []string{"a", "b"}[i%2]
			other := []string{"b", "a"}[i%2]
			exec.Command("ip", "-n", node(role), "addr", "add", killedIP+"/24", "dev", "eth0").Run()
			exec.Command("ip", "-n", node(other), "addr", "del", killedIP+"/24", "dev", "eth0").Run()
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	const rounds = 100
	killed := 0
	for i := range rounds {
		p := start(invocation{memory: true, args: args})
		if p.startErr != nil {
			t.Fatal(p.startErr)
		}
		// A -p 1 check writes its state 150-170 ms after it starts.
		time.Sleep(time.Duration(130+rng.IntN(60)) * time.Millisecond)
		if p.signal(syscall.SIGKILL) {
			killed++
		}
		if r := p.wait(); i == 0 && r.code == 0 {
			t.Logf("a check ended before its kill")
		}
	}
	close(stop)
	mover.Wait()
	placeAt(t, killedIP, "a")

	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := st.Load(state.Key{Target: netip.MustParseAddr(killedIP), Interface: "eth0"})
	if err != nil || l.Reset != "" {
		t.Fatalf("after %d kills: %+v, %v; want a whole state file", killed, l, err)
	}
	t.Logf("after %d SIGKILLs: the file holds %d changes, the last outcome %s", killed, l.Record.TotalChanges, l.Record.LastOutcome)
	r := runWithMemory(append(args, "-v")...)
	if r.code == 3 || strings.Contains(r.stdout, "memory reset") || r.perf["owner_changes"].value == "" {
		t.Errorf("the check after the kills: exit %d: %s", r.code, r.stdout)
	}
}

// TestUnsafeStateDirectories: the Layer 2 verdict stands, with a WARNING
// that says what is wrong with the directory and how to fix it.
func TestUnsafeStateDirectories(t *testing.T) {
	needLab(t)
	base := t.TempDir()
	real := filepath.Join(base, "real")
	link := filepath.Join(base, "link")
	foreign := filepath.Join(base, "foreign")
	open := filepath.Join(base, "open")
	for _, d := range []string{real, foreign, open} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(foreign, nobodyUID, nobodyUID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	fix := func(dir string) string {
		return `create it with install -d -o root -m 0700 ` + regexp.QuoteMeta(dir) + `, or give --state-dir such a directory \(--no-state turns memory off\)`
	}
	tests := []struct {
		name, dir, problem string
	}{
		{"symbolic link", link, regexp.QuoteMeta(link) + ` is a symbolic link, which the check never follows; ` + fix(link)},
		{"owned by another user", foreign, regexp.QuoteMeta(foreign) + ` is owned by nobody, not by root, who runs the check; another user could change its memory\. Remove it if nobody should have created it, or ` + fix(foreign)},
		{"writable by others", open, regexp.QuoteMeta(open) + ` may be written by its group or others \(mode 0777\); run chmod 0700 ` + regexp.QuoteMeta(open)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWithMemory("-H", lab.HealthyIP, "--expect-file", seg.Allowlist, "--state-dir", tt.dir)
			t.Logf("%s", r.summary)
			r.expectLine(t, "healthy target", 1, `ARP WARNING - 198\.51\.100\.10 has no memory between runs: state not saved: `+tt.problem+`; is at `+macA+` on eth0: `+counts,
				"owner_changes", "-", "owner_age", "-")
			r = runWithMemory("-H", lab.SilentIP, "--expect-file", seg.Allowlist, "--state-dir", tt.dir)
			r.expectLine(t, "silent target", 2, `ARP CRITICAL - 198\.51\.100\.11 did not answer; has no memory between runs: state not saved: `+tt.problem+` on eth0: 0/3 replies in `+elapsed)
		})
	}
	if entries, _ := os.ReadDir(real); len(entries) != 0 {
		t.Errorf("the check wrote %d files through the symbolic link", len(entries))
	}
}

// TestMemoryAsUnprivilegedUser: nobody, with only cap_net_raw on a copy
// of the binary, keeps memory in a directory of its own (given, or by the
// default rule) and is told when it cannot write there.
func TestMemoryAsUnprivilegedUser(t *testing.T) {
	needLab(t)
	base, err := os.MkdirTemp("", "check_arp-memory-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "check_arp")
	data, err := os.ReadFile(checkBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("setcap", "cap_net_raw+ep", bin).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v: %s", err, out)
	}
	own := filepath.Join(base, "own")
	xdg := filepath.Join(base, "xdg")
	readOnly := filepath.Join(base, "readonly")
	for d, mode := range map[string]os.FileMode{own: 0o700, xdg: 0o700, readOnly: 0o500} {
		if err := os.Mkdir(d, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, nobodyUID, nobodyUID); err != nil {
			t.Fatal(err)
		}
	}
	nobody := func(env []string, args ...string) result {
		return runInvocation(invocation{memory: true, as: unprivileged, bin: bin, env: env, args: args})
	}
	allow := []string{"--expect-file", seg.Allowlist}

	t.Run("--state-dir of its own", func(t *testing.T) {
		placeAt(t, unprivMoveIP, "a")
		args := append([]string{"-H", unprivMoveIP, "--state-dir", own}, allow...)
		nobody(nil, args...).expectLine(t, "run 1", 0, `ARP OK - 198\.51\.100\.44 is at `+macA+` on eth0: `+counts, "owner_changes", "0c")
		placeAt(t, unprivMoveIP, "b")
		r := nobody(nil, args...)
		t.Logf("as nobody, after a move: %s", r.summary)
		r.expectLine(t, "run 2", 1, `ARP WARNING - 198\.51\.100\.44 moved from `+macA+` to `+macB+` since the last check at `+clock+` `+ago+` on eth0: `+counts, "owner_changes", "1c")
		fi, err := os.Stat(filepath.Join(own, "arp_198.51.100.44_eth0.json"))
		if err != nil || fi.Sys().(*syscall.Stat_t).Uid != nobodyUID || fi.Mode().Perm() != 0o600 {
			t.Errorf("state file: %v, %v; want one owned by nobody, mode 0600", fi, err)
		}
	})
	t.Run("default directory from XDG_STATE_HOME", func(t *testing.T) {
		r := nobody([]string{"XDG_STATE_HOME=" + xdg}, append([]string{"-H", lab.HealthyIP}, allow...)...)
		r.expectLine(t, "run", 0, `ARP OK - 198\.51\.100\.10 is at `+macA+` on eth0: `+counts, "owner_changes", "0c")
		fi, err := os.Stat(filepath.Join(xdg, "check_arp"))
		if err != nil || fi.Sys().(*syscall.Stat_t).Uid != nobodyUID || fi.Mode().Perm() != 0o700 {
			t.Errorf("default state directory: %v, %v; want one created by nobody, mode 0700", fi, err)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		r := nobody(nil, append([]string{"-H", lab.HealthyIP, "--state-dir", readOnly}, allow...)...)
		t.Logf("as nobody, read-only --state-dir: %s", r.summary)
		r.expectLine(t, "run", 1, `ARP WARNING - 198\.51\.100\.10 has no memory between runs: state not saved: `+regexp.QuoteMeta(readOnly)+
			` is not writable by nobody \(permission denied\); create it with install -d -o nobody -m 0700 `+regexp.QuoteMeta(readOnly)+
			`, or give --state-dir such a directory \(--no-state turns memory off\); is at `+macA+` on eth0: `+counts, "owner_changes", "-")
	})
}
