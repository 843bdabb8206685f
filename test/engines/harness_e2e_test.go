//go:build e2e

package engines

// The harness of the engine tests: a plugin directory with a capable
// check_arp, one namespace lab per test, daemons started inside its client
// namespace and stopped by PID, and an HTTP client that dials inside it.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/output"
	"github.com/check-arp/check_arp/test/lab"
)

var (
	// repoRoot is the repository's top directory.
	repoRoot string
	// baseDir holds everything the tests write; world-traversable, so
	// that the daemons' unprivileged users reach their directories.
	baseDir string
	// pluginDir holds check_arp with cap_net_raw+ep, as a package installs it.
	pluginDir string
	responder string
	// setupErr says why no engine test can run here.
	setupErr error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	if setupErr = lab.Available(); setupErr != nil {
		fmt.Fprintf(os.Stderr, "engine tests: %v\n", setupErr)
		return m.Run()
	}
	if _, err := user.Lookup("nagios"); err != nil {
		setupErr = errors.New("there is no user nagios (the Debian packages of the daemons create it)")
		fmt.Fprintf(os.Stderr, "engine tests: %v\n", setupErr)
		return m.Run()
	}
	if baseDir, err = os.MkdirTemp("", "check_arp-engines-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(baseDir)
	if err := os.Chmod(baseDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pluginDir = filepath.Join(baseDir, "plugins")
	responder = filepath.Join(baseDir, "arpresponder")
	if err := os.Mkdir(pluginDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	check := filepath.Join(pluginDir, "check_arp")
	for bin, pkg := range map[string]string{check: "./cmd/check_arp", responder: "./test/lab/cmd/arpresponder"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	if out, err := exec.Command("setcap", "cap_net_raw+ep", check).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "setcap on %s: %v: %s\n", check, err, out)
		return 1
	}
	before := systemState()
	stateBefore := lab.StateDirs()
	code := m.Run()
	if msg := lab.StateDirsCreated(stateBefore); msg != "" {
		fmt.Fprintln(os.Stderr, "engine tests:", msg)
		code = 1
	}
	// The private instances must leave the distribution's daemons alone,
	// and the tests must leave no daemon behind.
	if after := systemState(); after != before {
		fmt.Fprintf(os.Stderr, "engine tests changed the system's daemon directories or left daemons running:\nbefore:\n%s\nafter:\n%s", before, after)
		return 1
	}
	return code
}

// systemDirs are the distribution's directories of the three daemons.
var systemDirs = []string{
	"/etc/icinga2", "/var/lib/icinga2", "/var/cache/icinga2", "/var/log/icinga2",
	"/etc/nagios4", "/var/lib/nagios4", "/var/log/nagios4", "/etc/nagios", "/run/nagios",
}

// systemState lists every file below systemDirs with its size and mtime,
// and the running icinga2, nagios4 and nrpe processes.
func systemState() string {
	var b strings.Builder
	for _, dir := range systemDirs {
		_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err == nil {
				fmt.Fprintf(&b, "%s %d %s\n", path, info.Size(), info.ModTime().Format(time.RFC3339Nano))
			}
			return nil
		})
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		if c := strings.TrimSpace(string(comm)); c == "icinga2" || c == "nagios4" || c == "nrpe" {
			if pid, _ := strconv.Atoi(e.Name()); alive(pid) {
				fmt.Fprintf(&b, "process %s %s\n", e.Name(), c)
			}
		}
	}
	return b.String()
}

// require skips (locally) or fails (in CI) the test unless the lab can be
// built and every program is installed.
func require(t *testing.T, programs ...string) {
	t.Helper()
	if setupErr != nil {
		lab.Missing(t, setupErr)
	}
	for _, p := range programs {
		// An absolute path is a program outside PATH, such as check_nrpe.
		if _, err := exec.LookPath(p); err != nil {
			lab.Missing(t, fmt.Errorf("%s is not installed (Debian: apt-get install icinga2 nagios4 nagios-nrpe-server nagios-nrpe-plugin; .ci/run installs them)", p))
		}
	}
}

// newSegment builds the standard namespace lab for one test and removes
// it when the test ends, passed or failed.
func newSegment(t *testing.T) *lab.Segment {
	t.Helper()
	seg, err := lab.NewSegment(responder, privateDir(t, "lab"))
	if err != nil {
		t.Fatalf("building the lab: %v", err)
	}
	t.Cleanup(func() {
		if err := seg.Close(); err != nil {
			t.Errorf("removing the lab: %v", err)
		}
	})
	return seg
}

// privateDir makes a directory for one test, owned by nagios (the user all
// three daemons run their checks as), removed when the test ends.
func privateDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp(baseDir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chownNagios(t, dir)
	return dir
}

// chownNagios gives paths to the nagios user and group.
func chownNagios(t *testing.T, paths ...string) {
	t.Helper()
	u, err := user.Lookup("nagios")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range paths {
		if err := os.Lchown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
}

// writeFiles writes name -> content below dir, creating directories, all
// owned by nagios.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		for d := filepath.Dir(p); len(d) > len(dir); d = filepath.Dir(d) {
			if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		for q := p; len(q) > len(dir); q = filepath.Dir(q) {
			chownNagios(t, q)
		}
	}
}

// contrib returns a file of contrib/, as shipped.
func contrib(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "contrib", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A daemon is a process the test started, stopped by PID when it ends.
type daemon struct {
	name string
	cmd  *exec.Cmd
	log  string
	// memoryDir is where the checks it runs keep their memory: the
	// check_arp directory of the XDG_STATE_HOME it passes on.
	memoryDir string
	done      chan struct{}
}

// startDaemon runs argv inside the segment's client namespace; see
// startDaemonIn.
func startDaemon(t *testing.T, seg *lab.Segment, name string, argv ...string) *daemon {
	t.Helper()
	return startDaemonIn(t, seg.Client, name, argv...)
}

// startDaemonIn runs argv inside namespace ns in the foreground. Its output
// goes to a log file that failing tests print. The daemon, and every
// process it started, is stopped by PID when the test ends.
func startDaemonIn(t *testing.T, ns, name string, argv ...string) *daemon {
	t.Helper()
	logPath := filepath.Join(baseDir, fmt.Sprintf("%s-%s-%d.log", strings.ReplaceAll(t.Name(), "/", "_"), name, time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// ip netns exec replaces itself with argv: the PID is the daemon's.
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The engines pass their environment to the checks they run: the
	// checks' memory goes to the daemon's directory, as the default
	// directory rule reads it, not to the nagios user's home.
	stateHome := privateDir(t, strings.ReplaceAll(name, " ", "-")+"-state")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+stateHome)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	d := &daemon{name: name, cmd: cmd, log: logPath, memoryDir: filepath.Join(stateHome, "check_arp"), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("output of %s:\n%s", name, tail(string(b), 4000))
		}
		os.Remove(logPath)
	})
	t.Logf("started %s as PID %d in %s", name, cmd.Process.Pid, ns)
	return d
}

// expectMemoryKept asserts that the checks the daemon ran kept their
// memory between runs where the default directory rule puts it for them:
// in memoryDir.
func (d *daemon) expectMemoryKept(t *testing.T) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(d.memoryDir, "*.json"))
	if len(files) == 0 {
		t.Errorf("the checks %s ran kept no memory in %s: does it pass another environment to plugins now?", d.name, d.memoryDir)
	}
}

// running reports whether the daemon's first process is still alive.
func (d *daemon) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// stop ends the daemon: SIGTERM to its PID, then SIGKILL to it and to every
// descendant (collected before, since they may reparent) that outlives it.
func (d *daemon) stop(t *testing.T) {
	pid := d.cmd.Process.Pid
	family := append(descendants(pid), pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		t.Logf("%s (PID %d) ignored SIGTERM for 15s; killing it", d.name, pid)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range family {
		for alive(p) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(p) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	<-d.done
	for _, p := range family {
		for i := 0; alive(p) && i < 100; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(p) {
			t.Errorf("process %d of %s survived SIGKILL", p, d.name)
		}
	}
}

// descendants lists the PIDs below pid, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, _, ok := procStat(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// procStat reads a process's parent and state from /proc/PID/stat.
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name is in parentheses and may contain anything.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+4 >= len(b) {
		return 0, 0, false
	}
	fields := strings.Fields(string(b[i+2:]))
	if len(fields) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	return ppid, fields[0][0], err == nil
}

// alive reports whether pid is a live process (zombies are dead).
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != 'Z' && state != 'X'
}

// waitFor polls cond every 250ms until it returns nil or timeout passes,
// and fails the test with cond's last error, or if d died meanwhile.
func waitFor(t *testing.T, d *daemon, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = cond(); err == nil {
			return
		}
		if d != nil && !d.running() {
			t.Fatalf("%s exited while waiting for %s: %v", d.name, what, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s: %v", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// run runs argv and returns its output and exit code; it fails the test
// when argv could not run at all.
func run(t *testing.T, timeout time.Duration, argv ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee) && ctx.Err() == nil:
		return out.String(), ee.ExitCode()
	default:
		t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out.String())
		return "", -1
	}
}

// mustRun runs argv and fails the test unless it exits 0.
func mustRun(t *testing.T, argv ...string) string {
	t.Helper()
	// Long enough for the first `make package`, which compiles nfpm.
	out, code := run(t, 5*time.Minute, argv...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(argv, " "), code, out)
	}
	return out
}

// dialIn returns a DialContext that opens its sockets in network
// namespace ns, so that the test reaches a daemon on the namespace's
// loopback. A socket keeps the namespace it was created in.
func dialIn(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			conn net.Conn
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			restored := false
			defer func() {
				// A thread left in the other namespace is not reused:
				// it ends with this goroutine.
				if restored {
					runtime.UnlockOSThread()
				}
			}()
			self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
			if err != nil {
				ch <- result{nil, err}
				return
			}
			defer self.Close()
			target, err := os.Open(filepath.Join("/run/netns", ns))
			if err != nil {
				ch <- result{nil, err}
				return
			}
			defer target.Close()
			if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
				restored = true
				ch <- result{nil, fmt.Errorf("entering %s: %w", ns, err)}
				return
			}
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
			restored = unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil
			ch <- result{conn, err}
		}()
		r := <-ch
		return r.conn, r.err
	}
}

// perfItem is one performance data item as a plugin prints it.
type perfItem struct{ label, value, uom, warn, crit, min, max string }

// parsePerfdata splits performance data text into items by label.
func parsePerfdata(t *testing.T, text string) map[string]perfItem {
	t.Helper()
	items := map[string]perfItem{}
	for _, f := range strings.Fields(text) {
		label, rest, ok := strings.Cut(f, "=")
		if !ok {
			t.Errorf("performance data item %q has no '='", f)
			continue
		}
		label = strings.Trim(label, "'")
		parts := strings.Split(rest, ";")
		for len(parts) < 5 {
			parts = append(parts, "")
		}
		v := parts[0]
		i := strings.IndexFunc(v, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == 'U') })
		uom := ""
		if i >= 0 {
			v, uom = v[:i], v[i:]
		}
		items[label] = perfItem{label, v, uom, parts[1], parts[2], parts[3], parts[4]}
	}
	return items
}

// allLabels are the performance data labels of every verdict, from the
// table the plugin prints them by.
var allLabels = func() []string {
	var labels []string
	for _, m := range output.PerfTable {
		labels = append(labels, m.Label)
	}
	return labels
}()

// noRoundTrip are the round trips, which a check without any reply leaves
// out: there was no round trip to measure.
var noRoundTrip = []string{"rta", "rtmin", "rtmax"}

// noReply are the labels a check without any reply leaves out: the round
// trips, the unicast request (sent only to an owner) and the owner's age.
var noReply = append(slices.Clone(noRoundTrip), "unicast", "owner_age")

// expectedLabels are the performance data labels of a check with counts:
// all, but those of a reply when none came, and the owner's age when no
// single MAC owns the address (a split brain: several MACs answer one
// request).
func expectedLabels(counts map[string]string) []string {
	return slices.DeleteFunc(slices.Clone(allLabels), func(l string) bool {
		return counts["received"] == "0" && slices.Contains(noReply, l) || counts["multi_mac_probes"] != "0" && l == "owner_age"
	})
}

// checkPerfdata asserts the plugin's performance data as an engine kept
// it: every label once, bare (never quoted), units, the thresholds of the
// examples (-w 200,40% -c 500,80%) and the exact counts. Without any reply
// (received 0) the round-trip labels are absent; with no counts at all
// (UNKNOWN) there is no performance data.
func checkPerfdata(t *testing.T, engine, text string, counts map[string]string) {
	t.Helper()
	if counts == nil {
		if strings.TrimSpace(text) != "" {
			t.Errorf("%s recorded performance data %q, want none", engine, text)
		}
		return
	}
	if strings.ContainsAny(text, `'"`) {
		t.Errorf("%s recorded quoted labels: %q", engine, text)
	}
	labels := expectedLabels(counts)
	replied := counts["received"] != "0"
	items := parsePerfdata(t, text)
	if len(items) != len(labels) || strings.Count(text, "=") != len(labels) {
		t.Errorf("%s recorded %d performance data items, want %d: %q", engine, len(items), len(labels), text)
	}
	for _, l := range labels {
		if _, ok := items[l]; !ok {
			t.Errorf("%s recorded no %q in %q", engine, l, text)
		}
	}
	want := map[string]perfItem{
		"pl": {uom: "%", warn: "40", crit: "80", min: "0", max: "100"},
	}
	if replied {
		want["rta"] = perfItem{uom: "ms", warn: "200", crit: "500", min: "0"}
	}
	for l, w := range want {
		g := items[l]
		if g.uom != w.uom || g.warn != w.warn || g.crit != w.crit || g.min != w.min || g.max != w.max {
			t.Errorf("%s recorded %s as %+v, want unit %q, thresholds %s/%s, range %s..%s", engine, l, g, w.uom, w.warn, w.crit, w.min, w.max)
		}
	}
	for _, l := range noRoundTrip {
		if !replied {
			continue
		}
		if v, err := strconv.ParseFloat(items[l].value, 64); err != nil || v <= 0 || v > 500 || items[l].uom != "ms" {
			t.Errorf("%s recorded %s = %q%s, want a positive round trip in ms", engine, l, items[l].value, items[l].uom)
		}
	}
	for l, v := range counts {
		if items[l].value != v {
			t.Errorf("%s recorded %s = %q, want %s", engine, l, items[l].value, v)
		}
	}
}

// target is one address of the examples' dual-stack VIPs, as the lab
// answers it: vip-ingress by node-a (OK), vip-api by a rogue MAC outside
// the allowlist (CRITICAL).
type target struct {
	host    string // the example's host name
	ipv6    bool   // the host's IPv6 address, checked over NDP
	address string
	state   int
	summary string // the start of the plugin's output
	counts  map[string]string
}

const (
	allowedMACs = "02:00:00:00:00:0a (node-a), 02:00:00:00:00:0b (node-b) and 02:00:00:00:00:0c (node-c)"
)

var (
	healthyCounts  = map[string]string{"sent": "3", "received": "3", "pl": "0", "macs": "1", "unexpected_macs": "0", "multi_mac_probes": "0", "mac_changes": "0", "gratuitous": "0", "spoofed": "0"}
	conflictCounts = map[string]string{"sent": "3", "received": "3", "pl": "0", "macs": "1", "unexpected_macs": "1", "multi_mac_probes": "0", "mac_changes": "0", "gratuitous": "0", "spoofed": "0"}

	targets = []target{
		{"vip-ingress", false, lab.HealthyIP, 0, healthySummary("ARP", lab.HealthyIP), healthyCounts},
		{"vip-api", false, lab.ConflictIP, 2, conflictSummary("ARP", lab.ConflictIP), conflictCounts},
		{"vip-ingress", true, lab.HealthyIP6, 0, healthySummary("NDP", lab.HealthyIP6), healthyCounts},
		{"vip-api", true, lab.ConflictIP6, 2, conflictSummary("NDP", lab.ConflictIP6), conflictCounts},
	}
)

// scenarioTargets are the states the examples' VIPs never reach: a
// WARNING with long output (the lab's scripted failover), a CRITICAL
// without any reply, and an UNKNOWN (a target behind a router). The engine
// tests check them with test-only services that use contrib's command
// definitions, with the examples' allowlist and thresholds.
var scenarioTargets = []target{
	{"vip-failover", false, lab.FailoverIP, 1, "ARP WARNING - " + lab.FailoverIP + " moved from 02:00:00:00:00:0a (node-a) to 02:00:00:00:00:0b (node-b) during the check (failover) on eth0: 3/3 replies, rta ",
		map[string]string{"sent": "3", "received": "3", "pl": "0", "macs": "2", "unexpected_macs": "0", "multi_mac_probes": "0", "mac_changes": "1", "gratuitous": "0", "spoofed": "0"}},
	{"vip-silent", false, lab.SilentIP, 2, "ARP CRITICAL - " + lab.SilentIP + " did not answer on eth0: 0/3 replies in ",
		map[string]string{"sent": "3", "received": "0", "pl": "100", "macs": "0", "unexpected_macs": "0", "multi_mac_probes": "0", "mac_changes": "0", "gratuitous": "0", "spoofed": "0"}},
	{"vip-routed", false, lab.OffLinkIP, 3, "ARP UNKNOWN - " + lab.OffLinkIP + " is not on a directly connected network: the route goes via gateway " + lab.GatewayIP + " on eth0, and ARP does not cross routers; run check_arp on a host in the target's L2 segment, or name the interface with -I", nil},
}

// allowlistArg is the examples' allowlist, as the -e argument of contrib's
// Nagios and NRPE commands.
const allowlistArg = "02:00:00:00:00:0a=node-a,02:00:00:00:00:0b=node-b,02:00:00:00:00:0c=node-c"

// expectLong is the long output of each target address, as a pattern of
// its whole text; an address not listed has none.
var expectLong = map[string]*regexp.Regexp{
	lab.ConflictIP:  conflictLong,
	lab.ConflictIP6: conflictLong,
	lab.FailoverIP: regexp.MustCompile(`^02:00:00:00:00:0a \(node-a\) answered probe 1 with 1 reply, rtt [0-9.]+ms\n` +
		`02:00:00:00:00:0b \(node-b\) answered probes 2-3 with 2 replies, rtt [0-9.]+(-[0-9.]+)?ms\n` +
		`allowed: ` + regexp.QuoteMeta(allowedMACs) + `$`),
	lab.SilentIP: regexp.MustCompile(`^allowed: ` + regexp.QuoteMeta(allowedMACs) + `$`),
}

var conflictLong = regexp.MustCompile(`^02:00:00:00:00:99 \(not allowed\) answered probes 1-3 with 3 replies, rtt [0-9.]+(-[0-9.]+)?ms\nallowed: ` + regexp.QuoteMeta(allowedMACs) + `$`)

// checkText asserts the text an engine kept of a target's check: the
// summary line, the long output (each line as the plugin printed it), and
// no line that ends in whitespace.
func checkText(t *testing.T, engine string, tt target, summary, long string) {
	t.Helper()
	if !strings.HasPrefix(summary, tt.summary) {
		t.Errorf("%s: summary %q, want it to start with %q", engine, summary, tt.summary)
	}
	for i, l := range append([]string{summary}, strings.Split(long, "\n")...) {
		if strings.TrimRight(l, " \t") != l {
			t.Errorf("%s: line %d ends in whitespace: %q", engine, i+1, l)
		}
	}
	if want := expectLong[tt.address]; want == nil && long != "" {
		t.Errorf("%s: long output %q, want none", engine, long)
	} else if want != nil && !want.MatchString(long) {
		t.Errorf("%s: long output %q, want it to match %s", engine, long, want)
	}
}

func healthySummary(proto, addr string) string {
	return proto + " OK - " + addr + " is at 02:00:00:00:00:0a (node-a) on eth0: 3/3 replies, rta "
}

func conflictSummary(proto, addr string) string {
	return proto + " CRITICAL - " + addr + " is claimed by 02:00:00:00:00:99 (not in the allowlist), expected " + allowedMACs + " on eth0: 3/3 replies, rta "
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// lines reads s line by line.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
