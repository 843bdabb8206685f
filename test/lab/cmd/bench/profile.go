package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// profileCategories sort perf samples of check_arp by what the process was
// doing: the first category with a frame in the sample's stack wins, so the
// order goes from the specific to the general.
var profileCategories = []struct {
	name, what string
	frames     []string
}{
	{"exit", "process exit, including the packet socket's release", []string{"do_exit", "do_group_exit"}},
	{"exec", "execve and the ELF loader", []string{"bprm_execve", "load_elf_binary", "begin_new_exec"}},
	{"sysmon", "the Go runtime's monitor thread polling (usleep)", []string{"runtime.sysmon"}},
	{"runtime start", "Go runtime initialisation (CPU features, heap, GOMAXPROCS)", []string{"runtime.schedinit", "runtime.rt0_go"}},
	{"package init", "package initialisers (regexp compiles, tables)", []string{"runtime.doInit1", "runtime.doInit"}},
	{"command line", "cli.Parse", []string{"internal/cli.Parse"}},
	{"route lookup", "netpath.Resolve: netlink route, link and address dumps", []string{"internal/netpath.Resolve"}},
	{"socket open", "arpprobe.Open: packet socket, filter, bind", []string{"internal/arpprobe.Open"}},
	{"send", "Transport.Send, with the kernel's delivery of the request to the target", []string{"arpprobe.(*Transport).Send"}},
	{"receive", "Transport.Receive", []string{"arpprobe.(*Transport).Receive"}},
	{"probe loop", "the rest of probe.Run", []string{"internal/probe.Run"}},
	{"verdict", "verdict.Decide", []string{"internal/verdict."}},
	{"output", "output: formatting and writing the result", []string{"internal/output."}},
	{"observe other", "the rest of observe.Run (closing the socket, contexts)", []string{"internal/observe."}},
	{"signals", "signal handler set-up", []string{"os/signal.", "internal/interrupt.", "runtime.initsig"}},
	{"threads", "starting OS threads", []string{"runtime.newm", "runtime.newosproc"}},
	{"scheduling", "the Go scheduler parking and waking threads", []string{"runtime.findRunnable", "runtime.schedule", "runtime.wakep", "runtime.startm", "runtime.stopm", "runtime.netpoll"}},
	{"GC", "garbage collector background work", []string{"runtime.bgsweep", "runtime.bgscavenge", "runtime.gcBgMarkWorker"}},
	{"runtime other", "other runtime work", []string{"runtime.main", "runtime.mstart"}},
}

type profileRow struct {
	name, what string
	share      float64
}

type profileResult struct {
	runs, samples int
	rows          []profileRow
	command       string
}

// profileCheck records `perf record -g` over runs of an unsymbolised
// build of check_arp against ip in namespace ns and sorts the samples.
func profileCheck(ctx context.Context, goTool, ns, ip string, runs int) (profileResult, error) {
	res := profileResult{runs: runs}
	perf, err := exec.LookPath("perf")
	if err != nil {
		return res, fmt.Errorf("perf not found (apt-get install linux-perf): %w", err)
	}
	dir, err := os.MkdirTemp("", "check_arp-profile-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "check_arp")
	build := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-o", bin, "./cmd/check_arp")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return res, fmt.Errorf("building check_arp with symbols: %w: %s", err, out)
	}
	data := filepath.Join(dir, "perf.data")
	loop := fmt.Sprintf("for i in $(seq %d); do %s -H %s >/dev/null; done", runs, bin, ip)
	args := []string{"record", "-q", "-F", "20000", "-g", "-o", data, "--", "ip", "netns", "exec", ns, "sh", "-c", loop}
	res.command = "perf " + strings.Join(args[:7], " ") + " -- ip netns exec CLIENT sh -c 'for i in $(seq " + strconv.Itoa(runs) + "); do check_arp -H " + ip + "; done'"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, perf, args...).CombinedOutput(); err != nil {
		return res, fmt.Errorf("perf record: %w: %s", err, out)
	}
	script, err := exec.CommandContext(ctx, perf, "script", "-i", data, "-F", "comm,ip,sym").Output()
	if err != nil {
		return res, fmt.Errorf("perf script: %w", err)
	}
	counts := map[string]int{}
	var stack []string
	keep := false
	flush := func() {
		if keep && len(stack) > 0 {
			res.samples++
			counts[categorize(stack)]++
		}
		stack, keep = stack[:0], false
	}
	sc := bufio.NewScanner(bytes.NewReader(script))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] != ' ' && line[0] != '\t':
			keep = strings.HasPrefix(line, "check_arp")
		default:
			if f := strings.Fields(line); len(f) >= 2 {
				stack = append(stack, f[1])
			}
		}
	}
	flush()
	if res.samples == 0 {
		return res, fmt.Errorf("perf recorded no samples of check_arp")
	}
	for _, c := range profileCategories {
		res.rows = append(res.rows, profileRow{c.name, c.what, float64(counts[c.name]) / float64(res.samples)})
	}
	res.rows = append(res.rows, profileRow{"other", "anything else (page faults, memory copies, ...)", float64(counts["other"]) / float64(res.samples)})
	sort.SliceStable(res.rows, func(i, j int) bool { return res.rows[i].share > res.rows[j].share })
	return res, nil
}

func categorize(stack []string) string {
	for _, c := range profileCategories {
		for _, frame := range stack {
			for _, f := range c.frames {
				if strings.Contains(frame, f) {
					return c.name
				}
			}
		}
	}
	return "other"
}
