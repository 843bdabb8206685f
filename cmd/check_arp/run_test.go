package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// invocation is one run of a check_arp binary in the lab: every test runs
// the binary through start or runInvocation.
type invocation struct {
	args []string
	// as is a command prefix the binary runs under (setpriv, to run it as
	// an unprivileged user; strace, to stall it); bin the binary, checkBin
	// if empty.
	as  []string
	bin string
	// ns is the namespace it runs in, the lab's client if empty.
	ns string
	// env is added to the test's environment (XDG_STATE_HOME, for the
	// default state directory).
	env []string
	// memory lets the check keep memory between runs as args say (a
	// --state-dir of the test's, or the default directory under an env
	// XDG_STATE_HOME). Without it the runner passes --no-state, so that
	// no run writes into the home directory of the user running the
	// tests.
	memory bool
	// peakRSS measures the check's own peak resident set size (see
	// result.rssKiB), by running it under peakrss.
	peakRSS bool
}

// result is one run of the plugin, split the way a monitoring engine reads
// it, with what the test measured of the process.
type result struct {
	code    int // -1 if the process did not exit by itself (see err)
	err     error
	summary string
	long    string
	layout  string // what breaks the Nagios output layout, "" if nothing (see layoutProblem)
	perf    map[string]perfValue
	stdout  string
	stderr  string
	wall    time.Duration // from starting ip netns exec to the exit
	// rssKiB is the check's peak resident set size, measured when the
	// invocation asks for it (peakRSS), else 0. The rusage of the process
	// the test starts would not do: Go starts it with vfork, and the
	// kernel carries the test binary's own peak into the child's
	// ru_maxrss at exec (see test/lab/cmd/peakrss).
	rssKiB int64
}

func (r result) String() string {
	if r.err != nil {
		return fmt.Sprintf("exit %d (%v): %q", r.code, r.err, r.stdout)
	}
	return fmt.Sprintf("exit %d: %q", r.code, r.stdout)
}

type perfValue struct{ value, uom, warn, crit, min, max string }

// perfValueUnit splits a perfdata value from its unit of measurement.
var perfValueUnit = regexp.MustCompile(`^([-+0-9.eE]+|U)([a-zA-Z%]*)$`)

// parsePerf reads perfdata as the Monitoring Plugins guidelines write it:
// space-separated 'label'=value[UOM];warn;crit;min;max items, the label
// quoted only when it needs to be, trailing empty fields left out.
func parsePerf(text string, into map[string]perfValue) {
	for text = strings.TrimSpace(text); text != ""; text = strings.TrimSpace(text) {
		var label string
		if strings.HasPrefix(text, "'") {
			end := strings.Index(text[1:], "'=")
			if end < 0 {
				return
			}
			label, text = text[1:1+end], text[end+3:]
		} else {
			eq := strings.IndexByte(text, '=')
			if eq < 0 {
				return
			}
			label, text = text[:eq], text[eq+1:]
		}
		item, rest, _ := strings.Cut(text, " ")
		text = rest
		fields := append(strings.Split(item, ";"), "", "", "", "")
		m := perfValueUnit.FindStringSubmatch(fields[0])
		if m == nil {
			continue
		}
		into[label] = perfValue{m[1], m[2], fields[1], fields[2], fields[3], fields[4]}
	}
}

// process is a started invocation.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	start          time.Time
	cancel         context.CancelFunc
	startErr       error
	rssFile        string // where peakrss writes the peak RSS
}

// rssFiles numbers the files peakrss writes.
var rssFiles atomic.Int64

// runTimeout bounds every run: far above any -t the tests give, so only a
// hung check reaches it.
const runTimeout = 30 * time.Second

// start starts inv. It never stops the test, so that it may be called from
// any goroutine; a failure to start shows in wait's result.
func start(inv invocation) *process {
	bin := inv.bin
	if bin == "" {
		bin = checkBin
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	args := inv.args
	if inv.memory && !ownMemory(inv) {
		cancel()
		return &process{cmd: &exec.Cmd{}, cancel: func() {}, startErr: fmt.Errorf("a run with memory must say where: --state-dir, --no-state or an XDG_STATE_HOME (%q)", args)}
	}
	if !inv.memory {
		// First, so that no argument of the test's can take it for its
		// value.
		args = append([]string{"--no-state"}, args...)
	}
	argv := append(append(slices.Clone(inv.as), bin), args...)
	var rssFile string
	if inv.peakRSS {
		rssFile = filepath.Join(labDir, fmt.Sprintf("rss-%d", rssFiles.Add(1)))
		argv = append([]string{peakRSSBin, rssFile, "--"}, argv...)
	}
	ns := inv.ns
	if ns == "" {
		ns = seg.Client
	}
	p := &process{cmd: seg.Command(ctx, ns, argv...), cancel: cancel, rssFile: rssFile}
	if inv.env != nil {
		p.cmd.Env = append(os.Environ(), inv.env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.start = time.Now()
	p.startErr = p.cmd.Start()
	return p
}

// ownMemory reports whether a run with memory keeps it where the test
// says, not in the home directory of the user running the tests.
func ownMemory(inv invocation) bool {
	for _, a := range inv.args {
		if a == "--no-state" || a == "--state-dir" || strings.HasPrefix(a, "--state-dir=") {
			return true
		}
	}
	return slices.ContainsFunc(inv.env, func(e string) bool { return strings.HasPrefix(e, "XDG_STATE_HOME=/") })
}

// pid is the process's id: ip netns exec and setpriv replace themselves,
// so it ends up being the check's.
func (p *process) pid() int { return p.cmd.Process.Pid }

// signal sends sig to the check; it reports whether the check was still
// there to receive it.
func (p *process) signal(sig os.Signal) bool {
	return p.startErr == nil && p.cmd.Process.Signal(sig) == nil
}

func (p *process) wait() result {
	defer p.cancel()
	err := p.startErr
	if err == nil {
		err = p.cmd.Wait()
	}
	r := parseOutput(p.stdout.String())
	r.wall = time.Since(p.start)
	r.stderr = p.stderr.String()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() >= 0 {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.code, r.err = -1, err
	}
	if p.rssFile != "" {
		b, err := os.ReadFile(p.rssFile)
		if err == nil {
			r.rssKiB, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		}
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("reading the peak RSS: %w", err)
		}
		os.Remove(p.rssFile)
	}
	return r
}

// run runs inv to its end.
func runInvocation(inv invocation) result { return start(inv).wait() }

// runCheck runs check_arp with args in the lab's client namespace.
func runCheck(args ...string) result { return runInvocation(invocation{args: args}) }

// parseOutput splits the plugin's output as Sensu's nagios_perfdata
// extractor does, the strictest reader: everything after the first '|' is
// performance data. Before it, the first line is the summary and the rest
// the long output. layout says what breaks the layout every reader gets.
func parseOutput(out string) result {
	r := result{stdout: out, perf: map[string]perfValue{}, layout: layoutProblem(out)}
	text, perfText, _ := strings.Cut(strings.TrimSuffix(out, "\n"), "|")
	r.summary, r.long, _ = strings.Cut(text, "\n")
	parsePerf(perfText, r.perf)
	return r
}

// layoutProblem says how out breaks the layout the Monitoring Plugins
// guidelines give, which every engine and collector reads the same way:
// "SUMMARY|PERF" without long output, "SUMMARY\nLONG...\nLAST LONG|PERF"
// with it, performance data optional; one newline at the end, no empty
// line, no trailing whitespace, no spaces around the one '|'. "" if none.
func layoutProblem(out string) string {
	if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
		return "the output does not end in exactly one newline"
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if l == "" || strings.TrimRight(l, " \t\r") != l {
			return fmt.Sprintf("line %d is empty or ends in whitespace", i+1)
		}
	}
	switch n := strings.Count(out, "|"); {
	case n > 1:
		return fmt.Sprintf("%d '|' in the output: performance data once, after the last line of text", n)
	case n == 1 && !strings.Contains(lines[len(lines)-1], "|"):
		return "performance data before the last line of text, where readers take the following lines for performance data"
	case strings.Contains(out, " |") || strings.Contains(out, "| "):
		return "spaces around the '|'"
	}
	return ""
}

// states are the plugin states by exit code.
var states = []string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// expectState asserts the exit code and the state the summary starts with
// ("ARP OK - ", "NDP UNKNOWN - ", or "UNKNOWN - " when proto is ""), and
// that the output is laid out as layoutProblem says.
func (r result) expectState(t *testing.T, proto, state string) {
	t.Helper()
	code := slices.Index(states, state)
	if r.code != code {
		t.Errorf("exit %d, want %d (%s); %s", r.code, code, state, r)
	}
	prefix := state + " - "
	if proto != "" {
		prefix = proto + " " + prefix
	}
	if !strings.HasPrefix(r.summary, prefix) {
		t.Errorf("summary %q does not start with %q", r.summary, prefix)
	}
	if r.layout != "" {
		t.Errorf("%s: %s", r.layout, r)
	}
}

// expectSays asserts that the summary names the finding with each keyword.
func (r result) expectSays(t *testing.T, keywords ...string) {
	t.Helper()
	for _, k := range keywords {
		if !strings.Contains(r.summary, k) {
			t.Errorf("summary does not say %q: %q", k, r.summary)
		}
	}
}

// perf is expected perfdata values by label: "3" is that exact value, "-"
// absent (a value nothing measured is left out), ">=40" a number of at
// least 40.
type perf map[string]string

// healthy is the perfdata of a check with the defaults (3 requests) that
// every request got one reply from the one allowed MAC.
var healthy = perf{
	"sent": "3", "received": "3", "pl": "0", "rta": ">=0", "rtmin": ">=0", "rtmax": ">=0",
	"macs": "1", "unexpected_macs": "0", "multi_mac_probes": "0", "mac_changes": "0", "gratuitous": "0",
}

// with returns the baseline with the overrides applied.
func (base perf) with(overrides perf) perf {
	p := perf{}
	for k, v := range base {
		p[k] = v
	}
	for k, v := range overrides {
		p[k] = v
	}
	return p
}

// expectPerf asserts the perfdata values, and the units and bounds of the
// loss and round-trip metrics.
func (r result) expectPerf(t *testing.T, want perf) {
	t.Helper()
	for label, w := range want {
		got, ok := r.perf[label]
		switch {
		case w == "-":
			if ok {
				t.Errorf("perfdata has %s=%s, want it left out: %q", label, got.value, r.stdout)
			}
		case !ok:
			t.Errorf("perfdata has no %q: %q", label, r.stdout)
		case strings.HasPrefix(w, ">="):
			lo, _ := strconv.ParseFloat(w[2:], 64)
			if v, err := strconv.ParseFloat(got.value, 64); err != nil || v < lo {
				t.Errorf("perfdata %s = %s, want a number >= %v", label, got.value, lo)
			}
		case got.value != w:
			t.Errorf("perfdata %s = %s, want %s", label, got.value, w)
		}
	}
	if p, ok := r.perf["pl"]; ok && (p.uom != "%" || p.min != "0" || p.max != "100") {
		t.Errorf("pl perfdata %+v, want %%;...;0;100", p)
	}
	for _, label := range []string{"rta", "rtmin", "rtmax"} {
		if p, ok := r.perf[label]; ok && (p.uom != "ms" || p.min != "0") {
			t.Errorf("%s perfdata %+v, want a value in ms with minimum 0", label, p)
		}
	}
}

// expectLine asserts a run's exit code, its whole summary (a regular
// expression) and perfdata values with their unit ("3c", "0s"; "-" when
// the value must be left out). step names the run in a failure.
func (r result) expectLine(t *testing.T, step string, code int, summary string, perf ...string) {
	t.Helper()
	if r.code != code || !regexp.MustCompile(`^(?:`+summary+`)$`).MatchString(r.summary) {
		t.Errorf("%s: exit %d, summary\n%s\nwant exit %d and\n%s\n(%s)", step, r.code, r.summary, code, summary, r)
	}
	for i := 0; i+1 < len(perf); i += 2 {
		label, want := perf[i], perf[i+1]
		got, ok := r.perf[label]
		switch {
		case want == "-" && ok:
			t.Errorf("%s: perfdata %s=%s%s, want it left out", step, label, got.value, got.uom)
		case want != "-" && got.value+got.uom != want:
			t.Errorf("%s: perfdata %s=%q, want %q", step, label, got.value+got.uom, want)
		}
	}
}

// expectLimits asserts the warning and critical thresholds in perfdata:
// label to "warn;crit".
func (r result) expectLimits(t *testing.T, want map[string]string) {
	t.Helper()
	for label, w := range want {
		if p := r.perf[label]; p.warn+";"+p.crit != w {
			t.Errorf("%s thresholds in perfdata: %+v, want %s", label, p, w)
		}
	}
}
