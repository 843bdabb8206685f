// Command bench measures check_arp against iputils arping and the classic
// arping script in a throwaway namespace lab, and writes BENCHMARKS.md.
//
// It builds a segment with a healthy target (a kernel host that answers)
// and a silent one (nobody answers), then runs every command against both,
// alternating the commands' order round by round, and reads each process's
// wall time, CPU time and peak RSS from wait4. It also runs many checks of
// one target at once, reports the binary's size and runs the Go benchmarks
// of the verdict core and the reply read loop. It needs root; nothing is
// sent outside the namespaces it creates, which it removes again, also on
// failure or interrupt. Run it with `make bench`.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/check-arp/check_arp/internal/verdict"
	"github.com/check-arp/check_arp/test/lab"
)

//go:embed classic.sh
var classicScript []byte

type options struct {
	check      string
	arping     string
	goTool     string
	rounds     int
	concurrent int
	batches    int
	out        string
	goBench    bool
	profile    int
	rssRuns    int
	poolOnly   bool
	poolRounds int
}

func main() {
	var o options
	flag.StringVar(&o.check, "check", "bin/check_arp", "check_arp binary to measure (build it stripped, as `make build` does)")
	flag.StringVar(&o.arping, "arping", "arping", "iputils arping to compare with")
	flag.StringVar(&o.goTool, "go", "go", "go command for the Go benchmarks")
	flag.IntVar(&o.rounds, "rounds", 9, "rounds of the A/B comparison (at least 7)")
	flag.IntVar(&o.concurrent, "concurrent", 200, "checks of one target started at once")
	flag.IntVar(&o.batches, "batches", 3, "repetitions of the concurrent run")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report to write (- for standard output)")
	flag.BoolVar(&o.goBench, "gobench", true, "run go test -bench for the verdict core and the read loop")
	flag.IntVar(&o.rssRuns, "rssruns", 5, "runs of each command under GNU time for the peak RSS")
	flag.IntVar(&o.profile, "profile", 0, "record this many healthy checks with perf and break their CPU time down (needs perf)")
	flag.BoolVar(&o.poolOnly, "pool-only", false, "measure only the pools (many addresses in one run) and print their section")
	flag.IntVar(&o.poolRounds, "pool-rounds", 5, "rounds of the pool measurements")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.rounds < 7 {
		return fmt.Errorf("-rounds %d: use at least 7", o.rounds)
	}
	if err := lab.Available(); err != nil {
		return err
	}
	var err error
	if o.check, err = filepath.Abs(o.check); err != nil {
		return err
	}
	if _, err := os.Stat(o.check); err != nil {
		return fmt.Errorf("check_arp binary: %w (run `make build` first)", err)
	}
	if o.poolOnly {
		// The pools are compared with check_arp itself, not arping.
	} else if o.arping, err = exec.LookPath(o.arping); err != nil {
		return fmt.Errorf("iputils arping not found: %w (apt-get install iputils-arping)", err)
	}
	if v, _ := exec.Command(o.arping, "-V").CombinedOutput(); !o.poolOnly && !strings.Contains(string(v), "iputils") {
		return fmt.Errorf("%s is not iputils arping (-V says %q)", o.arping, firstLine(string(v)))
	}
	timeTool := "/usr/bin/time"
	if v, _ := exec.Command(timeTool, "--version").CombinedOutput(); !strings.Contains(string(v), "GNU") {
		return fmt.Errorf("GNU time not found at %s; it measures the peak RSS (apt-get install time)", timeTool)
	}
	dir, err := os.MkdirTemp("", "check_arp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Every check the bench runs keeps its memory between runs, as the
	// plugin does by default, but in the bench's own directory: not in the
	// user's, where it would outlive the lab and steer later runs.
	if err := os.Setenv("XDG_STATE_HOME", dir); err != nil {
		return err
	}
	script := filepath.Join(dir, "verify_metallb_arp.sh")
	if err := os.WriteFile(script, classicScript, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rt := rssTool{path: timeTool, out: filepath.Join(dir, "rss")}
	if o.poolOnly {
		section, err := poolBench(ctx, o, rt, o.poolRounds)
		if err != nil {
			return err
		}
		fmt.Print(section)
		return nil
	}

	rep := &report{opts: o, started: time.Now()}
	rep.machine = describeMachine(o)
	if fi, err := os.Stat(o.check); err == nil {
		rep.binarySize = fi.Size()
	}
	if fi, err := os.Stat(o.arping); err == nil {
		rep.arpingSize = fi.Size()
	}

	logf("building the lab: a bridge, a client and one kernel host in network namespaces")
	l, err := lab.New()
	if err != nil {
		return err
	}
	defer func() {
		logf("removing the lab")
		if err := l.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: removing the lab:", err)
		}
	}()
	client, err := l.AddHost("client", lab.ClientMAC, lab.ClientIP+"/24")
	if err != nil {
		return err
	}
	if _, err := l.AddHost("a", lab.NodeAMAC, lab.HealthyIP+"/24"); err != nil {
		return err
	}
	inNS, err := newSpawner(filepath.Join("/run/netns", client))
	if err != nil {
		return err
	}
	defer inNS.close()
	viaIP := hostSpawner{ns: client}

	cmds := commands(o, script)
	targets := []target{
		{Name: "healthy", IP: lab.HealthyIP, Healthy: true},
		{Name: "silent", IP: lab.SilentIP},
	}

	// One warm-up run of everything: page cache, the target's neighbour
	// entry for the client, the lab's bridge learning our MAC.
	logf("warm-up")
	for _, t := range targets {
		for _, c := range cmds {
			if _, err := c.exec(ctx, inNS, viaIP, t.IP); err != nil {
				return err
			}
		}
	}

	// What any process pays here: a C program doing nothing, a Go hello
	// world, and the grace period a packet socket's close waits for.
	hello, err := buildHello(ctx, o.goTool, dir)
	if err != nil {
		return err
	}
	rep.floorNames = []string{"/bin/true (C, dynamically linked, does nothing)", "Go hello world (static, stripped, prints a line)"}
	floorArgv := [][]string{{"/bin/true"}, {hello}}
	rep.floors = make([][]sample, len(floorArgv))
	rep.floorRSS = make([][]sample, len(floorArgv))
	for range 3 * o.rounds {
		for i, argv := range floorArgv {
			s, err := inNS.run(ctx, argv)
			if err != nil {
				return err
			}
			rep.floors[i] = append(rep.floors[i], s)
		}
	}
	if rep.closeTimes, err = packetCloseTimes(inNS, "eth0", 2*o.rounds); err != nil {
		return fmt.Errorf("timing a packet socket's close: %w", err)
	}

	rep.loadBefore = systemLoad()
	rep.samples = map[string]map[string][]sample{}
	for _, t := range targets {
		rep.samples[t.Name] = map[string][]sample{}
	}
	for r := range o.rounds {
		for _, t := range targets {
			// Rotate the order every round, so that no command always
			// runs right after the same other one.
			for i := range cmds {
				c := cmds[(i+r)%len(cmds)]
				s, err := c.exec(ctx, inNS, viaIP, t.IP)
				if err != nil {
					return err
				}
				rep.samples[t.Name][c.Key] = append(rep.samples[t.Name][c.Key], s)
			}
		}
		logf("round %d of %d done", r+1, o.rounds)
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
	}
	rep.cmds, rep.targets = cmds, targets

	for b := range o.batches {
		logf("%d concurrent checks of %s, batch %d of %d", o.concurrent, lab.HealthyIP, b+1, o.batches)
		for _, c := range []command{cmds[0], cmds[2]} {
			res, err := concurrent(ctx, inNS, c, lab.HealthyIP, o.concurrent)
			if err != nil {
				return err
			}
			rep.concurrent = append(rep.concurrent, res)
		}
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
	}

	rep.loadAfter = systemLoad()

	// Peak RSS in a pass of its own, under GNU time (see rssTool).
	logf("peak RSS, %d runs of each command", o.rssRuns)
	rep.rss = map[string]map[string][]sample{}
	for _, t := range targets {
		rep.rss[t.Name] = map[string][]sample{}
	}
	for r := range o.rssRuns {
		for _, t := range targets {
			for i := range cmds {
				c := cmds[(i+r)%len(cmds)]
				kib, err := c.execRSS(ctx, inNS, viaIP, t.IP, rt)
				if err != nil {
					return err
				}
				rep.rss[t.Name][c.Key] = append(rep.rss[t.Name][c.Key], sample{MaxRSS: kib})
			}
		}
		for i, argv := range floorArgv {
			if _, err := inNS.run(ctx, rt.wrap(argv)); err != nil {
				return err
			}
			kib, err := rt.read()
			if err != nil {
				return err
			}
			rep.floorRSS[i] = append(rep.floorRSS[i], sample{MaxRSS: kib})
		}
	}

	if o.profile > 0 {
		logf("perf profile of %d healthy checks", o.profile)
		prof, err := profileCheck(ctx, o.goTool, client, lab.HealthyIP, o.profile)
		if err != nil {
			logf("no profile: %v", err)
			rep.profileErr = err.Error()
		}
		rep.profile = prof
	}

	if o.goBench {
		logf("go test -bench")
		if rep.goBench, err = goBenchmarks(ctx, o.goTool); err != nil {
			return err
		}
	}

	logf("pools")
	if rep.pools, err = poolBench(ctx, o, rt, o.poolRounds); err != nil {
		return err
	}

	text := rep.markdown()
	if o.out == "-" {
		fmt.Print(text)
		return nil
	}
	if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
		return err
	}
	logf("wrote %s", o.out)
	fmt.Print(rep.headline())
	return nil
}

// target is one address of the lab.
type target struct {
	Name    string
	IP      string
	Healthy bool
}

// command is one way of checking a target.
type command struct {
	Key   string
	Name  string
	Argv  func(ip string) []string
	ViaIP bool // run through `ip netns exec` (informational row)
	// Correct tells whether a run reached the right verdict.
	Correct func(t target, s sample) bool
	// Verdict names what a run said.
	Verdict func(s sample) string
}

func (c command) exec(ctx context.Context, inNS *spawner, viaIP hostSpawner, ip string) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if c.ViaIP {
		return viaIP.run(ctx, c.Argv(ip), nil)
	}
	return inNS.run(ctx, c.Argv(ip))
}

// execRSS runs the command under GNU time and returns its peak RSS in KiB.
func (c command) execRSS(ctx context.Context, inNS *spawner, viaIP hostSpawner, ip string, rt rssTool) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	if c.ViaIP {
		_, err = viaIP.run(ctx, c.Argv(ip), rt.wrap)
	} else {
		_, err = inNS.run(ctx, rt.wrap(c.Argv(ip)))
	}
	if err != nil {
		return 0, err
	}
	return rt.read()
}

// rssTool runs a command under GNU time for its peak RSS. ru_maxrss is
// useless for a child of this process: a child forked from here starts
// out with this process's memory (vfork shares it, fork copies its
// counters), and the kernel carries that memory's high-water mark into
// the child's ru_maxrss at its exec, so every command would show at least
// this benchmark's own peak. GNU time forks the command from its own small
// process and reports the command's ru_maxrss, which then carries only
// time's small RSS: the floor, measured as `time /bin/true`.
type rssTool struct {
	path string
	out  string // file for time's output
}

func (r rssTool) wrap(argv []string) []string {
	return append([]string{r.path, "-f", "%M", "-o", r.out}, argv...)
}

// read returns the peak RSS in KiB that the last wrapped run wrote.
func (r rssTool) read() (int64, error) {
	b, err := os.ReadFile(r.out)
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// A command that exits non-zero makes time add a line before %M.
	return strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
}

// Keys of the commands, in report order.
const (
	keyDefaults = "check_arp"
	keySchedule = "check_arp-sched"
	keyArping   = "arping"
	keyClassic  = "classic"
	keyViaIP    = "check_arp-ipnetns"
)

func commands(o options, script string) []command {
	state := func(s sample) string { return verdict.State(s.Code).String() }
	exit := func(s sample) string { return fmt.Sprintf("exit %d", s.Code) }
	checkCorrect := func(t target, s sample) bool {
		if t.Healthy {
			return s.Code == 0 && strings.HasPrefix(s.Out, "ARP OK - "+t.IP+" is at "+lab.NodeAMAC+" on eth0: 3/3 replies")
		}
		return s.Code == 2 && strings.HasPrefix(s.Out, "ARP CRITICAL - "+t.IP+" did not answer on eth0: 0/3 replies")
	}
	return []command{
		{
			Key: keyDefaults, Name: "check_arp (defaults: -p 3 -i 100ms -t 1s)",
			Argv:    func(ip string) []string { return []string{o.check, "-H", ip} },
			Correct: checkCorrect, Verdict: state,
		},
		{
			Key: keySchedule, Name: "check_arp -p 3 -i 1 -t 3 (arping's schedule)",
			Argv:    func(ip string) []string { return []string{o.check, "-H", ip, "-p", "3", "-i", "1", "-t", "3"} },
			Correct: checkCorrect, Verdict: state,
		},
		{
			Key: keyArping, Name: "arping -c 3 -w 3 -I eth0",
			Argv: func(ip string) []string { return []string{o.arping, "-c", "3", "-w", "3", "-I", "eth0", ip} },
			Correct: func(t target, s sample) bool {
				if t.Healthy {
					return s.Code == 0 && strings.Contains(s.Out, "Received 3 response(s)")
				}
				return s.Code != 0 && strings.Contains(s.Out, "Received 0 response(s)")
			},
			Verdict: exit,
		},
		{
			Key: keyClassic, Name: "classic script (arping -c 3 -w 2, 3 of 3 `Unicast reply`)",
			Argv: func(ip string) []string { return []string{"/bin/bash", script, ip, "eth0"} },
			Correct: func(t target, s sample) bool {
				if t.Healthy {
					return s.Code == 0
				}
				return s.Code == 2
			},
			Verdict: state,
		},
		{
			Key: keyViaIP, Name: "check_arp (defaults), started by `ip netns exec`", ViaIP: true,
			Argv:    func(ip string) []string { return []string{o.check, "-H", ip} },
			Correct: checkCorrect, Verdict: state,
		},
	}
}

// hostSpawner runs commands through `ip netns exec NS`, as the end-to-end
// tests and an operator do. ip execs the command, so wait4 reports the
// command, plus ip's own work before the exec.
type hostSpawner struct{ ns string }

func (h hostSpawner) run(ctx context.Context, argv []string, wrap func([]string) []string) (sample, error) {
	argv = append([]string{"ip", "netns", "exec", h.ns}, argv...)
	if wrap != nil {
		argv = wrap(argv)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	r := &running{cmd: cmd, out: &out, start: time.Now()}
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	return r.wait()
}

// concurrentResult is one batch of checks of one target started at once.
type concurrentResult struct {
	Cmd     command
	N       int
	Correct int
	Wall    time.Duration // first start to last exit
	Samples []sample
	Example string // output of a wrong verdict, if any
}

func concurrent(ctx context.Context, inNS *spawner, c command, ip string, n int) (concurrentResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res := concurrentResult{Cmd: c, N: n}
	start := time.Now()
	procs := make([]*running, 0, n)
	for range n {
		r, err := inNS.launch(ctx, c.Argv(ip))
		if err != nil {
			for _, p := range procs {
				_, _ = p.wait()
			}
			return res, err
		}
		procs = append(procs, r)
	}
	t := target{Name: "healthy", IP: ip, Healthy: true}
	var firstErr error
	for _, p := range procs {
		s, err := p.wait()
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		res.Samples = append(res.Samples, s)
		if c.Correct(t, s) {
			res.Correct++
		} else if res.Example == "" {
			res.Example = firstLine(s.Out)
		}
	}
	res.Wall = time.Since(start)
	return res, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
