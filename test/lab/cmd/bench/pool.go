package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/test/lab"
)

// The pool lab: one kernel host answers 100 IPv4 addresses and 1000 IPv6
// addresses (IPv4's documentation ranges hold too few for 1000).
const (
	poolMAC     = "02:00:00:00:00:0d"
	pool100     = "198.51.100.100-198.51.100.199"
	pool1000    = "2001:db8::1000-2001:db8::13e7"
	pool1000Len = 1000
)

// poolBench measures checks of many addresses in one run against a
// single-address check and against one run per address, in a lab of its
// own, and returns the report's section.
func poolBench(ctx context.Context, o options, rt rssTool, rounds int) (string, error) {
	logf("pool lab: a client and one kernel host with %s and %s", pool100, pool1000)
	l, err := lab.New()
	if err != nil {
		return "", err
	}
	defer l.Close()
	client, err := l.AddHost("client", lab.ClientMAC, lab.ClientIP+"/24", lab.ClientIP6+"/64")
	if err != nil {
		return "", err
	}
	host, err := l.AddHost("pool", poolMAC, "198.51.100.100/24", "2001:db8::1000/64")
	if err != nil {
		return "", err
	}
	var batch strings.Builder
	for i := 101; i < 200; i++ {
		fmt.Fprintf(&batch, "addr add 198.51.100.%d/24 dev eth0\n", i)
	}
	for i := 1; i < pool1000Len; i++ {
		fmt.Fprintf(&batch, "addr add 2001:db8::%x/64 dev eth0\n", 0x1000+i)
	}
	dir, err := os.MkdirTemp("", "check_arp-poolbench-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "addrs")
	if err := os.WriteFile(file, []byte(batch.String()), 0o644); err != nil {
		return "", err
	}
	if err := l.Exec(host, "ip", "-batch", file); err != nil {
		return "", err
	}
	inNS, err := newSpawner(filepath.Join("/run/netns", client))
	if err != nil {
		return "", err
	}
	defer inNS.close()

	// The responder is this machine's kernel, and a veth delivers a frame
	// on the sender's CPU: without steering, the bridge's and the host's
	// work (for IPv6, walking the host's 1000 solicited-node groups per
	// solicitation) runs inside check_arp's sendto and is counted as
	// check_arp's CPU. On a real segment it runs in switches and other
	// machines. So the measured commands run on CPU 0 and the receive
	// processing (RPS) of the bridge's ports and the host on the others;
	// one run per round goes without steering, for comparison.
	steered := runtime.NumCPU() >= 2
	steer := func(on bool) error {
		if !steered {
			return nil
		}
		cpus, mask := "0-"+fmt.Sprint(runtime.NumCPU()-1), "0"
		if on {
			cpus, mask = "0", fmt.Sprintf("%x", (uint64(1)<<min(runtime.NumCPU(), 64))-2)
		}
		// The client's frames go through the lab's bridge before they
		// reach the host: steer the bridge's ports (where they arrive
		// first) and the host's interface.
		if err := l.Exec(l.Name+"-sw", "sh", "-c", "for q in /sys/class/net/p*/queues/rx-*/rps_cpus; do echo "+mask+" > $q; done"); err != nil {
			return fmt.Errorf("steering the lab bridge's receive processing: %w", err)
		}
		if err := l.Exec(host, "sh", "-c", "echo "+mask+" > /sys/class/net/eth0/queues/rx-0/rps_cpus"); err != nil {
			return fmt.Errorf("steering the pool host's receive processing: %w", err)
		}
		return inNS.pin(cpus)
	}
	if err := steer(true); err != nil {
		return "", err
	}

	check := func(args ...string) []string { return append([]string{o.check}, args...) }
	var (
		single    = check("-H", "198.51.100.100")
		singleNU  = check("-H", "198.51.100.100", "--no-unicast")
		p100      = check("-H", pool100)
		p100NU    = check("-H", pool100, "--no-unicast")
		p1000     = check("-H", pool1000, "-t", "5")
		p1000NU   = check("-H", pool1000, "--no-unicast", "-t", "4")
		p1000Free = p1000 // the same run without steering
	)
	ok := func(s sample, prefix string) error {
		if s.Code != 0 || !strings.HasPrefix(s.Out, prefix) {
			return fmt.Errorf("unexpected result (exit %d): %.300s", s.Code, s.Out)
		}
		return nil
	}
	// Warm-up: neighbour entries, page cache.
	for _, argv := range [][]string{single, p100, p1000} {
		if _, err := inNS.run(ctx, argv); err != nil {
			return "", err
		}
	}
	// The rounds before (200 checks at once) leave the machine busy for
	// a while: wait, up to a minute, until no task waited for a CPU in the
	// last ten seconds more than 2% of the time.
	settle(ctx, 2, time.Minute)
	loadBefore := systemLoad()
	type series struct {
		argv   []string
		prefix string
		free   bool // without steering
		runs   []sample
	}
	all := []*series{
		{argv: single, prefix: "ARP OK - 198.51.100.100 is at"},
		{argv: singleNU, prefix: "ARP OK - 198.51.100.100 is at"},
		{argv: p100, prefix: "ARP OK - 100 of 100 addresses OK"},
		{argv: p100NU, prefix: "ARP OK - 100 of 100 addresses OK"},
		{argv: p1000, prefix: "NDP OK - 1000 of 1000 addresses OK"},
		{argv: p1000NU, prefix: "NDP OK - 1000 of 1000 addresses OK"},
		{argv: p1000Free, prefix: "NDP OK - 1000 of 1000 addresses OK", free: true},
	}
	var rss100, rss1000, rssSingle []int64
	for r := range rounds {
		for _, sr := range all {
			if sr.free {
				if err := steer(false); err != nil {
					return "", err
				}
			}
			s, err := inNS.run(ctx, sr.argv)
			if err == nil {
				err = ok(s, sr.prefix)
			}
			if sr.free {
				if err := steer(true); err != nil {
					return "", err
				}
			}
			if err != nil {
				return "", fmt.Errorf("%s: %w", strings.Join(sr.argv[1:], " "), err)
			}
			sr.runs = append(sr.runs, s)
		}
		for argv, dst := range map[*[]string]*[]int64{&single: &rssSingle, &p100: &rss100, &p1000: &rss1000} {
			if _, err := inNS.run(ctx, rt.wrap(*argv)); err != nil {
				return "", err
			}
			kib, err := rt.read()
			if err != nil {
				return "", err
			}
			*dst = append(*dst, kib)
		}
		logf("pool round %d of %d done", r+1, rounds)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	// 100 separate runs, one per address, once.
	logf("100 separate single-address runs")
	var sepCPU, sepWall time.Duration
	for i := 100; i < 200; i++ {
		s, err := inNS.run(ctx, check("-H", fmt.Sprintf("198.51.100.%d", i)))
		if err != nil {
			return "", err
		}
		if err := ok(s, "ARP OK"); err != nil {
			return "", err
		}
		sepCPU += s.CPU
		sepWall += s.Wall
	}
	loadAfter := systemLoad()

	wall := func(sr *series) time.Duration {
		return medianDur(sr.runs, func(s sample) time.Duration { return s.Wall })
	}
	cpu := func(sr *series) time.Duration {
		return medianDur(sr.runs, func(s sample) time.Duration { return s.CPU })
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	mib := func(v []int64) string { return fmt.Sprintf("%.1f MiB", float64(medianInt(v))/1024) }
	sSingle, sSingleNU, s100, s100NU, s1000, s1000NU, s1000Free := all[0], all[1], all[2], all[3], all[4], all[5], all[6]
	floor100 := poolFloor(100, 4)
	floor1000, floor1000NU := poolFloor(pool1000Len, 4), poolFloor(pool1000Len, 3)

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Pools: many addresses in one run\n\n")
	p("A lab of its own: one kernel host answers %s (IPv4) and %s (IPv6, since IPv4's\n", pool100, pool1000)
	p("documentation ranges hold too few addresses). Defaults (3 requests 100 ms apart, the unicast request, `--rate %d`)\n", pace.DefaultRate)
	p("unless `--no-unicast` is named; %d rounds, medians; peak RSS under GNU time. The 100 separate runs check each\n", rounds)
	p("address of the 100 once, one after another, at defaults.\n\n")
	if steered {
		p("The host's kernel answers on the same machine, and a veth hands a frame to the receiver on the sender's CPU,\n")
		p("so without care the host's work answering each request (for IPv6, walking its 1000 solicited-node groups)\n")
		p("runs inside check_arp's sendto and counts as check_arp's CPU time. On a real segment the responders are\n")
		p("other machines. Every command in this section therefore runs pinned to CPU 0 while the receive processing\n")
		p("of the lab bridge's ports and of the host is steered (RPS) to the other CPUs; the last CPU row shows the same\n")
		p("1000-address run without that.\n\n")
	}
	p("The wall targets compare like with like: the unicast request (sent once an address answered all of its\n")
	p("requests, through the same `--rate`) adds one request per address, so \"1.5x a single-address check\" is\n")
	p("measured with `--no-unicast` on both sides, and with it the floor is what the schedule and `--rate` imply:\n")
	p("the broadcast schedule's span, or every request (4 per address) one slot apart, whichever is longer.\n\n")
	p("System load when the pool runs started: %s; when they ended: %s.\n\n", loadBefore, loadAfter)
	p("| measurement | value | target |\n|---|---|---|\n")
	p("| single address: wall | %s (`--no-unicast`: %s) | |\n", ms(wall(sSingle)), ms(wall(sSingleNU)))
	p("| single address: CPU | %s (`--no-unicast`: %s) | |\n", ms(cpu(sSingle)), ms(cpu(sSingleNU)))
	p("| single address: peak RSS | %s | |\n", mib(rssSingle))
	p("| 100 addresses, one run, `--no-unicast`: wall | %s (%.2fx the single address with `--no-unicast`) | <= 1.5x |\n", ms(wall(s100NU)), ratio(wall(s100NU), wall(sSingleNU)))
	p("| 100 addresses, one run: wall | %s (%.2fx the floor of %s: 400 requests at --rate %d) | the floor |\n", ms(wall(s100)), ratio(wall(s100), floor100), ms(floor100), pace.DefaultRate)
	p("| 100 addresses, one run: CPU | %s (%.3fx the 100 separate runs' %s; `--no-unicast`: %s) | <= 0.1x |\n", ms(cpu(s100)), ratio(cpu(s100), sepCPU), ms(sepCPU), ms(cpu(s100NU)))
	p("| 100 addresses, one run: peak RSS | %s | <= 16 MiB |\n", mib(rss100))
	p("| 100 separate runs: wall, one after another | %s | |\n", ms(sepWall))
	p("| 1000 addresses, one run, `--no-unicast`: wall | %s (%.3fx the floor of %s: 3000 requests at --rate %d) | within 10%% |\n", ms(wall(s1000NU)), ratio(wall(s1000NU), floor1000NU), ms(floor1000NU), pace.DefaultRate)
	p("| 1000 addresses, one run: wall | %s (%.3fx the floor of %s: 4000 requests at --rate %d) | within 10%% |\n", ms(wall(s1000)), ratio(wall(s1000), floor1000), ms(floor1000), pace.DefaultRate)
	p("| 1000 addresses, one run, `--no-unicast`: CPU | %s | < 100 ms |\n", ms(cpu(s1000NU)))
	p("| 1000 addresses, one run: CPU | %s | < 100 ms |\n", ms(cpu(s1000)))
	if steered {
		p("| 1000 addresses, one run: CPU, the host's answering counted in (no steering) | %s | |\n", ms(cpu(s1000Free)))
	}
	p("| 1000 addresses, one run: peak RSS | %s | < 32 MiB |\n\n", mib(rss1000))
	return b.String(), nil
}

// poolFloor is the shortest time n addresses with perAddress requests each
// (3 broadcast ones, 100 ms apart, and the unicast request when perAddress
// is 4) take to send at the default rate: the broadcast schedule's span or
// every request one slot apart, whichever is longer, plus the last reply's
// round trip, which is small enough here to leave out.
func poolFloor(n, perAddress int) time.Duration {
	plan := pace.NewPlan(n, 100*time.Millisecond, pace.DefaultRate)
	return max(plan.Span(n, 3), time.Duration(n*perAddress-1)*plan.Slot)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func medianDur(ss []sample, f func(sample) time.Duration) time.Duration {
	v := make([]time.Duration, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

func medianInt(v []int64) int64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// settle waits until the kernel's CPU pressure over the last ten seconds
// (the share of time runnable tasks waited for a CPU) is at most pct, or
// until limit has passed.
func settle(ctx context.Context, pct float64, limit time.Duration) {
	end := time.Now().Add(limit)
	for time.Now().Before(end) && ctx.Err() == nil {
		b, err := os.ReadFile("/proc/pressure/cpu")
		if err != nil {
			return
		}
		var avg10 float64
		if _, err := fmt.Sscanf(string(b), "some avg10=%f", &avg10); err != nil || avg10 <= pct {
			return
		}
		logf("waiting for the machine to settle (CPU pressure %.1f%%)", avg10)
		time.Sleep(2 * time.Second)
	}
}
