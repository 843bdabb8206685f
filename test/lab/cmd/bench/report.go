package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/test/lab"
)

// The targets.
const (
	targetHealthyWall = 300 * time.Millisecond
	targetSilentOver  = 20 * time.Millisecond
	targetCPU         = 3 * time.Millisecond
	targetRSSKiB      = 8 * 1024
	targetBinary      = 6 << 20
	targetConcCPU     = 2.0
	defaultTimeout    = time.Second
	scheduleTimeout   = 3 * time.Second
	defaultInterval   = 100 * time.Millisecond
	defaultProbes     = 3
)

type report struct {
	opts       options
	started    time.Time
	machine    []string
	binarySize int64
	arpingSize int64
	cmds       []command
	targets    []target
	samples    map[string]map[string][]sample // target -> command key -> rounds
	concurrent []concurrentResult
	goBench    goBenchResult
	loadBefore string
	loadAfter  string
	floorNames []string
	floors     [][]sample
	floorRSS   [][]sample
	rss        map[string]map[string][]sample // peak RSS pass, through a shell
	closeTimes []float64
	profile    profileResult
	profileErr string
	pools      string // the pools' section
}

// systemLoad describes how busy the machine is: the load average and the
// kernel's CPU pressure (the share of time runnable tasks waited for a CPU).
func systemLoad() string {
	var parts []string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			parts = append(parts, "load average "+strings.Join(f[:3], " "))
		}
	}
	if b, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "some ") {
				parts = append(parts, "CPU pressure "+strings.TrimPrefix(l, "some "))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// ---- statistics ----

type stat struct{ med, lo, hi float64 }

func summarizeF(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return stat{med, s[0], s[n-1]}
}

func pick(ss []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

func wallMS(s sample) float64 { return float64(s.Wall) / 1e6 }
func cpuMS(s sample) float64  { return float64(s.CPU) / 1e6 }
func rssMiB(s sample) float64 { return float64(s.MaxRSS) / 1024 }

func (r *report) stat(t, key string, f func(sample) float64) stat {
	return summarizeF(pick(r.samples[t][key], f))
}

func (r *report) rssStat(t, key string) stat {
	return summarizeF(pick(r.rss[t][key], rssMiB))
}

// ratios pairs round i of a with round i of b.
func (r *report) ratios(t, a, b string, f func(sample) float64) stat {
	return pairRatios(r.samples[t][a], r.samples[t][b], f)
}

// differences pairs round i of a with round i of b: a's wall minus b's, ms.
func (r *report) differences(t, a, b string) stat {
	as, bs := r.samples[t][a], r.samples[t][b]
	var xs []float64
	for i := range min(len(as), len(bs)) {
		xs = append(xs, wallMS(as[i])-wallMS(bs[i]))
	}
	return summarizeF(xs)
}

func pairRatios(as, bs []sample, f func(sample) float64) stat {
	var xs []float64
	for i := range min(len(as), len(bs)) {
		if d := f(bs[i]); d > 0 {
			xs = append(xs, f(as[i])/d)
		}
	}
	return summarizeF(xs)
}

func (r *report) over(t, key string, timeout time.Duration) stat {
	return summarizeF(pick(r.samples[t][key], func(s sample) float64 { return float64(s.Wall-timeout) / 1e6 }))
}

// rtaPerf is the rta item of check_arp's performance data.
var rtaPerf = regexp.MustCompile(`(?:^| )rta=([0-9.]+)ms(?:[; ]|$)`)

// rta is the median round trip check_arp reported for the healthy target:
// its performance data follow the output's one '|', at the end of its
// text (of the first line without long output, of the last with it).
func (r *report) rta() float64 {
	var xs []float64
	for _, s := range r.samples["healthy"][keyDefaults] {
		_, perf, _ := strings.Cut(strings.TrimSpace(s.Out), "|")
		if m := rtaPerf.FindStringSubmatch(perf); m != nil {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil {
				xs = append(xs, v)
			}
		}
	}
	return summarizeF(xs).med
}

func (r *report) correct(t target, c command) (ok, n int, verdicts string) {
	counts := map[string]int{}
	var order []string
	for _, s := range r.samples[t.Name][c.Key] {
		n++
		if c.Correct(t, s) {
			ok++
		}
		v := c.Verdict(s)
		if counts[v] == 0 {
			order = append(order, v)
		}
		counts[v]++
	}
	parts := make([]string, len(order))
	for i, v := range order {
		parts[i] = fmt.Sprintf("%s ×%d", v, counts[v])
	}
	return ok, n, strings.Join(parts, ", ")
}

func (r *report) command(key string) command {
	for _, c := range r.cmds {
		if c.Key == key {
			return c
		}
	}
	return command{}
}

// concStats summarizes the concurrent batches of one command.
type concStats struct {
	batches         int
	n, correct      int
	cpuMed, cpuMean stat // per batch: the median and the mean CPU per check
	wall            stat // per batch: first start to last exit
	example         string
}

func (r *report) conc(key string) concStats {
	var cs concStats
	var meds, means, walls []float64
	for _, b := range r.concurrent {
		if b.Cmd.Key != key {
			continue
		}
		cs.batches++
		cs.n += b.N
		cs.correct += b.Correct
		cpus := pick(b.Samples, cpuMS)
		meds = append(meds, summarizeF(cpus).med)
		var sum float64
		for _, c := range cpus {
			sum += c
		}
		means = append(means, sum/float64(max(len(cpus), 1)))
		walls = append(walls, float64(b.Wall)/1e6)
		if cs.example == "" {
			cs.example = b.Example
		}
	}
	cs.cpuMed, cs.cpuMean, cs.wall = summarizeF(meds), summarizeF(means), summarizeF(walls)
	return cs
}

// ---- formatting ----

func fmtStat(s stat, prec int, unit string) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	return fmt.Sprintf("%s%s [%s–%s]", f(s.med), unit, f(s.lo), f(s.hi))
}

func fmtRatio(s stat) string {
	return fmt.Sprintf("%.3f× [%.3f–%.3f]", s.med, s.lo, s.hi)
}

// silentVerdict judges the silent target on every run, and says when only
// the medians are within it.
func silentVerdict(runs ...stat) string {
	limit := float64(targetSilentOver) / 1e6
	all, medians := true, true
	for _, s := range runs {
		all = all && s.hi <= limit
		medians = medians && s.med <= limit
	}
	switch {
	case all:
		return met(true)
	case medians:
		return "**met by the medians, not by every run**"
	}
	return met(false)
}

func met(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Benchmarks: check_arp against iputils arping\n\n")
	p("Generated by `make bench` (test/lab/cmd/bench) on %s. Every figure below comes from\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	p("one run of that command on the machine described here; rerun it to refresh this file.\n")
	p("Speed is compared with arping measured in the same run, never against fixed times.\n\n")

	p("## Machine\n\n")
	for _, m := range r.machine {
		p("- %s\n", m)
	}
	p("- system load when the A/B rounds started: %s\n", r.loadBefore)
	p("- system load when they ended: %s\n", r.loadAfter)
	p("\n## Reproduce\n\n```sh\nsudo make bench   # as root; installs iputils-arping and the lab tools with apt-get if missing\n```\n\n")
	p("which builds `bin/check_arp` as `make build` does (static, `-trimpath -ldflags '-s -w'`) and runs\n\n```sh\n%s\n```\n\n",
		"go run ./test/lab/cmd/bench "+strings.Join(r.argv(), " "))

	p("## Method\n\n")
	p("- A throwaway namespace lab: a bridge, the client namespace (eth0 %s/24, MAC %s) and\n", lab.ClientIP, lab.ClientMAC)
	p("  node-a, whose kernel answers for the **healthy** target %s (MAC %s). Nobody answers the\n", lab.HealthyIP, lab.NodeAMAC)
	p("  **silent** target %s. Nothing else runs on the segment.\n", lab.SilentIP)
	p("- %d rounds after one warm-up run of everything. In each round every command checks the healthy, then\n", r.opts.rounds)
	p("  the silent target; the order of the commands rotates by one every round (A/B alternation), so\n")
	p("  ratios are taken pair by pair within a round.\n")
	p("- Each command is forked directly into the client namespace (a thread that has joined it with setns),\n")
	p("  so the measured process is the command itself. Wall time runs from just before the fork to the\n")
	p("  reap; CPU is user+sys and peak RSS is ru_maxrss, both from wait4's rusage (microsecond resolution,\n")
	p("  not GNU time's 10 ms fields). wait4 counts every descendant a process waited for, so the classic\n")
	p("  script is measured as its whole pipeline (bash, the command substitution, arping and grep).\n")
	p("- Peak RSS comes from a separate pass of %d runs of each command under GNU time (`/usr/bin/time -f %%M`), which\n", r.opts.rssRuns)
	p("  reads the same ru_maxrss from wait4. Not from the runs above: a child forked from the (larger) benchmark process\n")
	p("  starts out with its memory, and the kernel carries that memory's high-water mark into the child's ru_maxrss at\n")
	p("  exec, so every command would show at least the benchmark's own peak. GNU time's own small RSS is the floor of the\n")
	p("  column: `time /bin/true` in \"What any process pays here\".\n")
	p("- The last row, check_arp started by `ip netns exec` as the end-to-end tests do, shows what ip adds:\n")
	p("  ip execs the check, but the rusage of the process also carries ip's own work before the exec\n")
	p("  (entering the namespace, a private mount namespace, remounting /sys) and its RSS high-water mark.\n")
	p("- The classic script is `verify_metallb_arp.sh` as the seed quotes it (without `sudo`): `arping -c 3\n")
	p("  -w 2 -I eth0 IP | grep -c \"Unicast reply\"`, OK only for 3 of 3, WARNING for 1-2, CRITICAL for 0.\n\n")

	for _, t := range r.targets {
		if t.Healthy {
			p("## Healthy target (%s, answered by node-a)\n\n", t.IP)
		} else {
			p("## Silent target (%s, nobody answers)\n\n", t.IP)
		}
		p("median [min–max] over %d rounds (peak RSS: over %d runs of the RSS pass).\n\n", r.opts.rounds, r.opts.rssRuns)
		p("| command | verdicts | correct | wall | CPU (user+sys) | peak RSS |\n|---|---|---|---|---|---|\n")
		for _, c := range r.cmds {
			ok, n, verdicts := r.correct(t, c)
			p("| %s | %s | %d/%d | %s | %s | %s |\n", c.Name, verdicts, ok, n,
				fmtStat(r.stat(t.Name, c.Key, wallMS), 1, " ms"),
				fmtStat(r.stat(t.Name, c.Key, cpuMS), 3, " ms"),
				fmtStat(r.rssStat(t.Name, c.Key), 2, " MiB"))
		}
		p("\n")
	}

	p("## check_arp / arping, pair by pair\n\n")
	p("Each ratio divides check_arp's figure by arping's (`arping -c 3 -w 3`) in the same round; median [min–max].\n")
	p("Below 1 means check_arp is faster, cheaper or smaller.\n\n")
	p("| target | check_arp run | wall | CPU | peak RSS |\n|---|---|---|---|---|\n")
	for _, t := range r.targets {
		for _, key := range []string{keyDefaults, keySchedule} {
			p("| %s | %s | %s | %s | %s |\n", t.Name, r.command(key).Name,
				fmtRatio(r.ratios(t.Name, key, keyArping, wallMS)),
				fmtRatio(r.ratios(t.Name, key, keyArping, cpuMS)),
				fmtRatio(pairRatios(r.rss[t.Name][key], r.rss[t.Name][keyArping], rssMiB)))
		}
	}
	p("\n")

	p("## %d checks of one target at once\n\n", r.opts.concurrent)
	p("%d checks of the healthy target started back to back (forked as fast as one thread can), %d batches.\n", r.opts.concurrent, r.opts.batches)
	p("Every ARP socket on the client receives every reply, so each check sees the replies to all the others' requests.\n\n")
	p("| command | correct verdicts | CPU per check, median of each batch | CPU per check, mean of each batch | batch wall (first fork to last exit) |\n|---|---|---|---|---|\n")
	for _, key := range []string{keyDefaults, keyArping} {
		cs := r.conc(key)
		if cs.batches == 0 {
			continue
		}
		p("| %s | %d/%d | %s | %s | %s |\n", r.command(key).Name, cs.correct, cs.n,
			fmtStat(cs.cpuMed, 3, " ms"), fmtStat(cs.cpuMean, 3, " ms"), fmtStat(cs.wall, 0, " ms"))
	}
	if cs := r.conc(keyArping); cs.example != "" {
		p("\nA wrong arping verdict under concurrency, for example: `%s` (arping counts every reply on the link).\n", cs.example)
	}
	if cs := r.conc(keyDefaults); cs.example != "" {
		p("\nA wrong check_arp verdict under concurrency: `%s`.\n", cs.example)
	}
	p("\n")

	p("## What any process pays here\n\n")
	p("Measured in the same run, forked into the client namespace the same way; median [min–max] over %d runs\n", len(r.floors[0]))
	p("(peak RSS over %d runs under GNU time, so the first row's RSS is mostly time's own: the floor of that column).\n\n", len(r.floorRSS[0]))
	p("| program | wall | CPU (user+sys) | peak RSS |\n|---|---|---|---|\n")
	for i, name := range r.floorNames {
		ss := r.floors[i]
		p("| %s | %s | %s | %s |\n", name, fmtStat(summarizeF(pick(ss, wallMS)), 2, " ms"),
			fmtStat(summarizeF(pick(ss, cpuMS)), 3, " ms"), fmtStat(summarizeF(pick(r.floorRSS[i], rssMiB)), 2, " MiB"))
	}
	gp := summarizeF(r.closeTimes)
	p("\nClosing a packet socket bound to ARP on eth0 (as check_arp and arping have open) in this running Go process took\n")
	p("%s (median [min–max], %d times): the kernel's packet_release waits for an RCU grace period\n", fmtStat(gp, 2, " ms"), len(r.closeTimes))
	p("(synchronize_net), and a process that exits with the socket open waits for it in its exit. Both check_arp and arping\n")
	p("pay it once per run, after their verdict is known and printed; it is wall time (the task sleeps), and part of every\n")
	p("wall time above.\n\n")

	p("## Binary\n\n")
	p("| binary | size |\n|---|---|\n")
	p("| check_arp (static, stripped: `make build`) | %d bytes (%.2f MiB) |\n", r.binarySize, float64(r.binarySize)/(1<<20))
	p("| %s (dynamically linked, for reference) | %d bytes |\n\n", r.opts.arping, r.arpingSize)

	if r.goBench.out != "" {
		p("## Go benchmarks\n\n")
		p("`%s test -run '^$' -bench . -benchmem %s`\n\n", r.opts.goTool, strings.Join(goBenchPkgs, " "))
		p("| benchmark | ns/op | B/op | allocs/op |\n|---|---|---|---|\n")
		for _, l := range r.goBench.lines {
			p("| %s | %s | %s | %s |\n", l.name, l.nsOp, l.bOp, l.allocsOp)
		}
		p("\n- `BenchmarkDecide`, `BenchmarkVerdictOutput`: the pure verdict core and the output on a healthy 3-probe\n")
		p("  observation (deciding; deciding plus summary, long output and performance data).\n")
		p("- `BenchmarkReceive*`: `arpprobe.Transport.Receive` over a socketpair standing in for the packet socket:\n")
		p("  deadline, read, decode and classification of each reply, including a non-ARP frame skipped in between\n")
		p("  (`Skip`) and a reader woken from another goroutine (`Wake`).\n\n")
	}

	r.profileSection(p)
	r.targetsSection(p)
	r.notes(p)
	b.WriteString(r.pools)
	return b.String()
}

func (r *report) profileSection(p func(string, ...any)) {
	if r.profile.samples == 0 {
		if r.profileErr != "" {
			p("## Where a check's CPU time goes\n\nNo profile in this run: %s.\n\n", r.profileErr)
		}
		return
	}
	cpu := r.stat("healthy", keyDefaults, cpuMS).med
	p("## Where a check's CPU time goes\n\n")
	p("`perf record -g` (20 kHz) over %d healthy checks of a build with symbols (the same code, not stripped),\n", r.profile.runs)
	p("%d samples of the check_arp process, user and kernel, each sorted by the first matching frame in its stack.\n", r.profile.samples)
	p("The ms column spreads the median CPU per check measured above (%.3f ms) by those shares. The Go profiler\n", cpu)
	p("(pprof) cannot show this: it samples at 100 Hz, a check runs for 5 ms of CPU, and most of it is spent\n")
	p("outside Go code (runtime start-up, threads, the kernel).\n\n")
	p("`%s`\n\n", r.profile.command)
	p("| part | share | ≈ ms per check | what |\n|---|---|---|---|\n")
	for _, row := range r.profile.rows {
		if row.share < 0.005 {
			continue
		}
		p("| %s | %.1f%% | %.3f | %s |\n", row.name, 100*row.share, row.share*cpu, row.what)
	}
	p("\n")
}

func (r *report) argv() []string {
	o := r.opts
	return []string{"-check", relPath(o.check), "-rounds", strconv.Itoa(o.rounds), "-concurrent", strconv.Itoa(o.concurrent),
		"-batches", strconv.Itoa(o.batches), "-rssruns", strconv.Itoa(o.rssRuns), "-profile", strconv.Itoa(o.profile), "-out", o.out}
}

func relPath(p string) string {
	wd, err := os.Getwd()
	if err == nil && strings.HasPrefix(p, wd+"/") {
		return strings.TrimPrefix(p, wd+"/")
	}
	return p
}

func (r *report) targetsSection(p func(string, ...any)) {
	p("## Targets\n\n")
	p("| target | measured | |\n|---|---|---|\n")

	healthy := r.stat("healthy", keyDefaults, wallMS)
	rta := r.rta()
	floor := float64((defaultProbes-1)*defaultInterval)/1e6 + rta
	p("| healthy target, defaults: verdict in under %d ms wall | median %.1f ms, max %.1f ms; the floor (probes-1) × interval + RTT is %.1f ms, so the defaults come within %.1f ms of it (median) | %s |\n",
		targetHealthyWall.Milliseconds(), healthy.med, healthy.hi, floor, healthy.med-floor, met(healthy.hi < float64(targetHealthyWall)/1e6))

	ratio := r.ratios("healthy", keySchedule, keyArping, wallMS)
	okS, nS, _ := r.correct(r.targets[0], r.command(keySchedule))
	okC, nC, verdC := r.correct(r.targets[0], r.command(keyClassic))
	p("| arping's schedule (3 probes, 1 s; `-p 3 -i 1 -t 3`): wall <= 1.0× arping's, a correct OK where the classic script says WARNING | wall ratio median %.4f×, max %.4f×; check_arp OK in %d/%d, classic script correct in %d/%d (%s) | %s |\n",
		ratio.med, ratio.hi, okS, nS, okC, nC, verdC, met(ratio.med <= 1.0 && okS == nS && okC < nC))

	overD := r.over("silent", keyDefaults, defaultTimeout)
	overS := r.over("silent", keySchedule, scheduleTimeout)
	overA := r.over("silent", keyArping, scheduleTimeout)
	p("| silent target: exits within %d ms after the configured timeout | defaults (-t 1s): +%.1f ms median, +%.1f ms max; `-t 3`: +%.1f ms median, +%.1f ms max (wall from fork to reap; arping `-w 3`: +%.1f ms median, +%.1f ms max) | %s |\n",
		targetSilentOver.Milliseconds(), overD.med, overD.hi, overS.med, overS.hi, overA.med, overA.hi,
		silentVerdict(overD, overS))

	cpuH := r.stat("healthy", keyDefaults, cpuMS)
	cpuSil := r.stat("silent", keyDefaults, cpuMS)
	cpuSched := r.stat("healthy", keySchedule, cpuMS)
	p("| CPU per check <= %d ms median | defaults: healthy %.3f ms, silent %.3f ms; arping's schedule: healthy %.3f ms (where it goes: see the profile and \"Reading the figures\") | %s |\n",
		targetCPU.Milliseconds(), cpuH.med, cpuSil.med, cpuSched.med, met(max(cpuH.med, cpuSil.med, cpuSched.med) <= float64(targetCPU)/1e6))

	var rssMax float64
	for _, t := range r.targets {
		for _, key := range []string{keyDefaults, keySchedule} {
			rssMax = max(rssMax, r.rssStat(t.Name, key).hi)
		}
	}
	p("| peak RSS <= %d MiB | max %.2f MiB over every check_arp run | %s |\n", targetRSSKiB/1024, rssMax, met(rssMax*1024 <= targetRSSKiB))
	p("| binary <= %d MiB stripped | %.2f MiB (%d bytes) | %s |\n", targetBinary>>20, float64(r.binarySize)/(1<<20), r.binarySize, met(r.binarySize <= targetBinary))

	cs := r.conc(keyDefaults)
	if cs.batches > 0 {
		factor := cs.cpuMed.hi / cpuH.med
		p("| %d concurrent checks of one target: all correct, CPU per check <= %.0f× a lone check | %d/%d correct; CPU per check (median of a batch) %.3f ms, worst batch %.3f ms = %.2f× the lone check's %.3f ms | %s |\n",
			r.opts.concurrent, targetConcCPU, cs.correct, cs.n, cs.cpuMed.med, cs.cpuMed.hi, factor, cpuH.med,
			met(cs.correct == cs.n && factor <= targetConcCPU))
	}
	if l, ok := r.goBench.find("BenchmarkReceive"); ok {
		p("| the read loop allocates nothing per reply | `%s`: %s allocs/op, %s B/op | %s |\n", l.name, l.allocsOp, l.bOp, met(l.allocsOp == "0"))
	}
	p("\n")
}

func (r *report) notes(p func(string, ...any)) {
	rta := r.rta()
	gp := summarizeF(r.closeTimes).med
	trueRun, hello := r.floors[0], r.floors[1]
	helloWall, helloCPU := summarizeF(pick(hello, wallMS)).med, summarizeF(pick(hello, cpuMS)).med
	trueWall, trueCPU := summarizeF(pick(trueRun, wallMS)).med, summarizeF(pick(trueRun, cpuMS)).med
	cpu := r.stat("healthy", keyDefaults, cpuMS).med
	arpingCPU := r.stat("healthy", keyArping, cpuMS).med
	var goShare float64
	for _, row := range r.profile.rows {
		switch row.name {
		case "runtime start", "sysmon", "scheduling", "threads", "package init", "runtime other", "exec", "exit", "signals":
			goShare += row.share
		}
	}

	p("## Reading the figures\n\n")
	p("**Wall time.** A verdict on a healthy target cannot come sooner than the last request's reply: (probes-1) × interval\n")
	p("+ one RTT = 2 × 100 ms + %.3f ms here. check_arp adds its start-up before the first request (a Go program needs\n", rta)
	p("%.2f ms from fork to exit here, a C program %.2f ms), a settle time after the last reply (twice the slowest reply,\n", helloWall, trueWall)
	p("at least 1 ms, for a second claimant answering the last request), and, like arping, the release of its packet\n")
	p("sockets, which waits for an RCU grace period (the kernel's packet_release calls synchronize_net()\n")
	p("unconditionally; 4 ms ticks at HZ=250). A close() of such a socket in a running process took %.2f ms median here.\n", gp)
	p("check_arp has two (one sends its tagged requests, one sees every request and reply for the target in wire order)\n")
	p("and closes both at once, so it waits for one grace period, not two. The grace period is the largest part of the\n")
	p("distance to the floor, for every ARP tool on Linux.\n\n")
	diff := r.differences("healthy", keySchedule, keyArping)
	p("**Same schedule as arping.** With `-p 3 -i 1 -t 3` both send at 0, 1 and 2 s and both pay the grace period in their\n")
	p("exit. check_arp took %.1f ms longer (median of the per-round differences, [%.1f–%.1f]). About 1 ms of that is its\n", diff.med, diff.lo, diff.hi)
	p("settle time (arping stops at the third reply and cannot see a second claimant), about %.1f ms Go's longer start-up\n", helloWall-trueWall)
	p("(Go hello world minus /bin/true, above), and up to a millisecond the exit of the Go runtime's threads; the rest is\n")
	p("the grace period, which ends on 4 ms scheduler ticks and varies by a tick or two from run to run.\n\n")
	p("**Silent target.** The deadline counts from check_arp's own start; probing stops 20 ms before it, which leaves the\n")
	p("time to close the sockets, so the whole run ends by -t. arping's `-w 3` overshoots its deadline by the grace period\n")
	p("(silent table, 3 s rows).\n\n")
	if r.profile.samples > 0 {
		p("**CPU.** A Go hello world costs %.3f ms of CPU here, `/bin/true` %.3f ms, arping %.3f ms; check_arp %.3f ms. In the\n", helloCPU, trueCPU, arpingCPU, cpu)
		p("profile above, what the Go runtime costs a process that lives 200 ms and wakes a few times (start-up, sysmon,\n")
		p("scheduling, threads, package init, signals, exec and exit) is %.0f%% of a check (≈ %.2f ms); the check's own work\n", 100*goShare, goShare*cpu)
		p("(flags, route lookup, socket, three requests, replies, verdict, output) is the rest. The 3 ms target is below\n")
		p("what a Go process of this lifetime costs here plus what the check must do in the kernel. What would reach it:\n")
		p("checking many addresses per\n")
		p("process (one start-up for a list of VIPs, or a resident agent that the scheduler asks), or a runtime-free\n")
		p("implementation (C or Rust). For scale: 300 VIPs checked every minute at this cost are %.1f CPU-seconds per minute,\n", 300*cpu/1000)
		p("%.2f%% of one core.\n\n", 300*cpu/1000/60*100)
	}
	p("## Why the defaults are safe\n\n")
	p("- Three broadcast requests 100 ms apart are 30 requests/s for 200 ms once a minute. Switch ARP policers and\n")
	p("  Dynamic ARP Inspection (commonly 15 packets/s per untrusted port, measured over 1 s) see 3 packets in that\n")
	p("  second; hundreds of VIPs checked every minute average a few requests per second on the segment.\n")
	p("- MetalLB's speaker answers each broadcast request from user space; 100 ms leaves it ample time, and a slower\n")
	p("  reply is still credited (to the next request, as arping counts it) and reported, not lost. Three requests\n")
	p("  still show loss, a second claimant, a failover and a flapping leader, which is what the check is for.\n")
	p("- The silent path ends at the deadline (-t 1s by default): a target that answered none of three requests\n")
	p("  within 1 s is down for any monitoring purpose; raise -t for links that are slow to answer.\n\n")
}

// headline is what the command prints when it is done.
func (r *report) headline() string {
	h := r.stat("healthy", keyDefaults, wallMS)
	c := r.stat("healthy", keyDefaults, cpuMS)
	ratio := r.ratios("healthy", keySchedule, keyArping, wallMS)
	return fmt.Sprintf("healthy, defaults: %.1f ms wall, %.3f ms CPU (median); arping's schedule: %.4f× arping's wall\n", h.med, c.med, ratio.med)
}

// ---- machine ----

func describeMachine(o options) []string {
	var out []string
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	out = append(out, fmt.Sprintf("CPU: %s, %d logical cores", cpu, runtime.NumCPU()))
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				f := strings.Fields(l)
				if len(f) >= 2 {
					if kb, err := strconv.Atoi(f[1]); err == nil {
						out = append(out, fmt.Sprintf("memory: %.1f GiB", float64(kb)/(1<<20)))
					}
				}
			}
		}
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		out = append(out, fmt.Sprintf("kernel: Linux %s %s", unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])))
	}
	if v, err := os.ReadFile("/etc/debian_version"); err == nil {
		out = append(out, "Debian "+strings.TrimSpace(string(v)))
	}
	out = append(out, "Go: "+runtime.Version()+" (the benchmark driver; check_arp is built with the same `go`)")
	if v, _ := exec.Command(o.check, "-V").CombinedOutput(); len(v) > 0 {
		out = append(out, "check_arp: `"+firstLine(string(v))+"`")
	}
	if v, _ := exec.Command(o.arping, "-V").CombinedOutput(); len(v) > 0 {
		out = append(out, "arping: `"+firstLine(string(v))+"` ("+o.arping+")")
	}
	if v, _ := exec.Command("dpkg-query", "-W", "-f", "${Version}", "iputils-arping").Output(); len(v) > 0 {
		out[len(out)-1] += ", Debian package iputils-arping " + string(v)
	}
	return out
}

// ---- go test -bench ----

var goBenchPkgs = []string{"./internal/verdict/", "./internal/output/", "./internal/arpprobe/"}

type benchLine struct{ name, nsOp, bOp, allocsOp string }

type goBenchResult struct {
	out   string
	lines []benchLine
}

func (g goBenchResult) find(prefix string) (benchLine, bool) {
	for _, l := range g.lines {
		if strings.HasPrefix(l.name, prefix) {
			return l, true
		}
	}
	return benchLine{}, false
}

func goBenchmarks(ctx context.Context, goTool string) (goBenchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1"}, goBenchPkgs...)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return goBenchResult{}, fmt.Errorf("%s %s: %w\n%s", goTool, strings.Join(args, " "), err, out.String())
	}
	res := goBenchResult{out: out.String()}
	for _, l := range strings.Split(res.out, "\n") {
		f := strings.Fields(l)
		if len(f) < 8 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		bl := benchLine{name: f[0]}
		for i := 2; i+1 < len(f); i += 2 {
			switch f[i+1] {
			case "ns/op":
				bl.nsOp = f[i]
			case "B/op":
				bl.bOp = f[i]
			case "allocs/op":
				bl.allocsOp = f[i]
			}
		}
		res.lines = append(res.lines, bl)
	}
	return res, nil
}
