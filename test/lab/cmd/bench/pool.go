package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

	single := []string{o.check, "-H", "198.51.100.100"}
	p100 := []string{o.check, "-H", pool100}
	// -t leaves room for every address's unicast request, which leave
	// after the 3000 broadcast ones, in the slots those leave free.
	p1000 := []string{o.check, "-H", pool1000, "-t", "5"}
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
	var singles, pools, bigs []sample
	var rss100, rss1000, rssSingle []int64
	for r := range rounds {
		s, err := inNS.run(ctx, single)
		if err == nil {
			err = ok(s, "ARP OK - 198.51.100.100 is at")
		}
		if err != nil {
			return "", err
		}
		singles = append(singles, s)
		s, err = inNS.run(ctx, p100)
		if err == nil {
			err = ok(s, "ARP OK - 100 of 100 addresses OK")
		}
		if err != nil {
			return "", err
		}
		pools = append(pools, s)
		s, err = inNS.run(ctx, p1000)
		if err == nil {
			err = ok(s, "NDP OK - 1000 of 1000 addresses OK")
		}
		if err != nil {
			return "", err
		}
		bigs = append(bigs, s)
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
		s, err := inNS.run(ctx, []string{o.check, "-H", fmt.Sprintf("198.51.100.%d", i)})
		if err != nil {
			return "", err
		}
		if err := ok(s, "ARP OK"); err != nil {
			return "", err
		}
		sepCPU += s.CPU
		sepWall += s.Wall
	}

	wall := func(ss []sample) time.Duration { return medianDur(ss, func(s sample) time.Duration { return s.Wall }) }
	cpu := func(ss []sample) time.Duration { return medianDur(ss, func(s sample) time.Duration { return s.CPU }) }
	// The floor of a pool: its broadcast requests' span, then one slot
	// per address for the unicast requests, which wait for the slots the
	// broadcast ones leave free (none while a pool of more than 100
	// fills every slot).
	floorOf := func(n int) time.Duration {
		plan := pace.NewPlan(n, 100*time.Millisecond, pace.DefaultRate)
		return plan.Span(n, 3) + time.Duration(n)*plan.Slot
	}
	floor, floor100 := floorOf(pool1000Len), floorOf(100)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	mib := func(v []int64) string { return fmt.Sprintf("%.1f MiB", float64(medianInt(v))/1024) }

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Pools: many addresses in one run\n\n")
	p("A lab of its own: one kernel host answers %s (IPv4) and %s (IPv6, since IPv4's\n", pool100, pool1000)
	p("documentation ranges hold too few addresses). Defaults (3 requests 100 ms apart, `--rate %d`), %d rounds,\n", pace.DefaultRate, rounds)
	p("medians; peak RSS under GNU time. The 100 separate runs check each address of the 100 once, one after another.\n\n")
	p("| measurement | value | target |\n|---|---|---|\n")
	p("| single address: wall | %s | |\n", ms(wall(singles)))
	p("| single address: CPU | %s | |\n", ms(cpu(singles)))
	p("| single address: peak RSS | %s | |\n", mib(rssSingle))
	p("| 100 addresses, one run: wall | %s (%.2fx the single address; %.3fx the floor of %s: 100 addresses x (3 requests + the unicast one) at --rate %d) | <= 1.5x |\n", ms(wall(pools)), ratio(wall(pools), wall(singles)), ratio(wall(pools), floor100), ms(floor100), pace.DefaultRate)
	p("| 100 addresses, one run: CPU | %s (%.3fx the 100 separate runs' %s) | <= 0.1x |\n", ms(cpu(pools)), ratio(cpu(pools), sepCPU), ms(sepCPU))
	p("| 100 addresses, one run: peak RSS | %s | <= 16 MiB |\n", mib(rss100))
	p("| 100 separate runs: wall, one after another | %s | |\n", ms(sepWall))
	p("| 1000 addresses, one run: wall | %s (%.3fx the floor of %s: 1000 addresses x (3 requests + the unicast one) at --rate %d) | within 10%% |\n", ms(wall(bigs)), ratio(wall(bigs), floor), ms(floor), pace.DefaultRate)
	p("| 1000 addresses, one run: CPU | %s | < 100 ms |\n", ms(cpu(bigs)))
	p("| 1000 addresses, one run: peak RSS | %s | < 32 MiB |\n\n", mib(rss1000))
	return b.String(), nil
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
