package main

// End-to-end tests: the real binary against the namespace lab's kernel
// hosts and scripted responders. They need root (CI runs as root) and skip
// with the reason otherwise.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

var (
	seg      *lab.Segment
	checkBin string
	floodBin string
	labErr   error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if labErr = lab.Available(); labErr != nil {
		fmt.Fprintf(os.Stderr, "check_arp end-to-end tests SKIPPED: %v\n", labErr)
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "check_arp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// World-readable, so that the unprivileged tests can run the binary.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	checkBin = filepath.Join(dir, "check_arp")
	responder := filepath.Join(dir, "arpresponder")
	floodBin = filepath.Join(dir, "arpflood")
	for bin, pkg := range map[string]string{checkBin: ".", responder: "../../test/lab/cmd/arpresponder", floodBin: "../../test/lab/cmd/arpflood"} {
		// Static, as released: only then can the check drop its
		// capabilities on every thread.
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	seg, labErr = lab.NewSegment(responder, dir)
	if labErr != nil {
		fmt.Fprintln(os.Stderr, "building the lab:", labErr)
		return 1
	}
	defer seg.Close()
	return m.Run()
}

func needLab(t *testing.T) {
	t.Helper()
	if seg == nil {
		t.Skipf("skipping the end-to-end lab test: %v", labErr)
	}
}

// result is one run of the plugin, split the way a monitoring engine reads it.
type result struct {
	code    int
	summary string
	long    string
	perf    map[string]perfValue
	stdout  string
}

type perfValue struct{ value, uom, warn, crit, min, max string }

var perfItem = regexp.MustCompile(`'?([^'=\s]+)'?=([^;\s]+?)(ms|s|%|B)?(?:;([^;\s]*))?(?:;([^;\s]*))?(?:;([^;\s]*))?(?:;([^;\s]*))?(?:\s|$)`)

// checkIn runs check_arp with args in the lab's client namespace. Before a
// check of a scripted responder's target it waits until the responder has
// started its MAC sequence over.
func checkIn(t *testing.T, prefix []string, args ...string) result {
	t.Helper()
	for _, a := range args {
		switch a {
		case lab.FailoverIP, lab.FlappingIP, lab.SlowIP, lab.AnnouncedIP,
			lab.FailoverIP6, lab.FlappingIP6, lab.SlowIP6, lab.AnnouncedIP6:
			time.Sleep(lab.ResponderReset + 50*time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	argv := append(append([]string{"netns", "exec", seg.Client}, prefix...), append([]string{checkBin}, args...)...)
	cmd := exec.CommandContext(ctx, "ip", argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running check_arp %v: %v", args, err)
	}
	return parseOutput(t, code, stdout.String())
}

func runCheck(t *testing.T, args ...string) result {
	t.Helper()
	return checkIn(t, nil, args...)
}

func parseOutput(t *testing.T, code int, out string) result {
	t.Helper()
	r := result{code: code, stdout: out, perf: map[string]perfValue{}}
	first, rest, _ := strings.Cut(out, "\n")
	r.summary = strings.TrimSpace(first)
	perfText := ""
	if s, p, ok := strings.Cut(r.summary, " | "); ok {
		r.summary, perfText = s, p
	}
	if i := strings.LastIndex(rest, "|"); i >= 0 {
		r.long, perfText = strings.TrimSpace(rest[:i]), rest[i+1:]
	} else {
		r.long = strings.TrimSpace(rest)
	}
	for _, m := range perfItem.FindAllStringSubmatch(perfText, -1) {
		r.perf[m[1]] = perfValue{m[2], m[3], m[4], m[5], m[6], m[7]}
	}
	return r
}

// counts asserts integer perfdata values; "-" asserts that the label is
// absent.
func (r result) counts(t *testing.T, want map[string]string) {
	t.Helper()
	for label, v := range want {
		got, ok := r.perf[label]
		if v == "-" {
			if ok {
				t.Errorf("perfdata has %s=%s, want none", label, got.value)
			}
			continue
		}
		if !ok {
			t.Errorf("perfdata has no %q in %q", label, r.stdout)
			continue
		}
		if got.value != v {
			t.Errorf("perfdata %s = %s, want %s", label, got.value, v)
		}
	}
}

// ms returns a millisecond perfdata value.
func (r result) ms(t *testing.T, label string) float64 {
	t.Helper()
	p := r.perf[label]
	if p.uom != "ms" {
		t.Fatalf("perfdata %s = %+v, want a value in ms", label, p)
	}
	v, err := strconv.ParseFloat(p.value, 64)
	if err != nil {
		t.Fatalf("perfdata %s: %v", label, err)
	}
	return v
}

const rtaPattern = `rta \d+(\.\d+)?ms`

// scenario is one run of the check against the lab and what it must print.
type scenario struct {
	name    string
	args    []string
	code    int
	summary string // a regexp for the whole summary line
	counts  map[string]string
}

func TestScenarios(t *testing.T) {
	needLab(t)
	allow := []string{"--expect-file", seg.Allowlist}
	a, b, c := lab.NodeAMAC+" (node-a)", lab.NodeBMAC+" (node-b)", lab.NodeCMAC+" (node-c)"
	tests := []scenario{
		{
			name:    "healthy",
			args:    append([]string{"-H", lab.HealthyIP}, allow...),
			summary: `^ARP OK - 198\.51\.100\.10 is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "3", "received": "3", "pl": "0", "macs": "1", "unexpected_macs": "0", "multi_mac_probes": "0", "mac_changes": "0", "gratuitous": "0"},
		},
		{
			name:    "healthy without allowlist",
			args:    []string{"-H", lab.HealthyIP, "-p", "5", "-i", "20ms"},
			summary: `^ARP OK - 198\.51\.100\.10 is at 02:00:00:00:00:0a on eth0: 5/5 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "5", "received": "5", "pl": "0", "macs": "1"},
		},
		{
			name:    "labels given with -e, any notation",
			args:    []string{"-H", lab.HealthyIP, "-e", "0200.0000.000A=node-a", "-e", "02-00-00-00-00-0B=node-b"},
			summary: `^ARP OK - 198\.51\.100\.10 is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
		},
		{
			name:    "silent",
			args:    append([]string{"-H", lab.SilentIP, "-t", "0.5"}, allow...),
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.11 did not answer on eth0: 0/3 replies in \d+(\.\d+)?ms$`,
			counts:  map[string]string{"sent": "3", "received": "0", "pl": "100", "rta": "-", "rtmin": "-", "rtmax": "-", "macs": "0"},
		},
		{
			name:    "wrong MAC",
			args:    append([]string{"-H", lab.ConflictIP}, allow...),
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.12 is claimed by 02:00:00:00:00:99 \(not in the allowlist\), expected ` + regexp.QuoteMeta(a+", "+b+" and "+c) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "1", "unexpected_macs": "1"},
		},
		{
			name:    "two claimants",
			args:    append([]string{"-H", lab.SplitIP}, allow...),
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.13 is answered by 2 MACs at once in 3 of 3 probes \(split brain\): (` + regexp.QuoteMeta(a+" and "+b) + `|` + regexp.QuoteMeta(b+" and "+a) + `) on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "2", "multi_mac_probes": "3", "unexpected_macs": "0", "mac_changes": "0"},
		},
		{
			name:    "two claimants without allowlist",
			args:    []string{"-H", lab.SplitIP},
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.13 is answered by 2 MACs at once in 3 of 3 probes \(split brain\): `,
			counts:  map[string]string{"macs": "2", "multi_mac_probes": "3"},
		},
		{
			name:    "lossy without thresholds",
			args:    append([]string{"-H", lab.LossyIP}, allow...),
			code:    1,
			summary: `^ARP WARNING - 198\.51\.100\.14 lost 1 of 3 probes \(33\.3%\); is at ` + regexp.QuoteMeta(c) + ` on eth0: 2/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "3", "received": "2", "pl": "33.333"},
		},
		{
			name:    "lossy under a loss threshold",
			args:    append([]string{"-H", lab.LossyIP, "-w", "1000,50%", "-c", "2000,80%"}, allow...),
			summary: `^ARP OK - 198\.51\.100\.14 is at ` + regexp.QuoteMeta(c) + ` on eth0: 2/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "2", "pl": "33.333"},
		},
		{
			name:    "lossy over a critical loss threshold",
			args:    append([]string{"-H", lab.LossyIP, "-w", "10%", "-c", "30%"}, allow...),
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.14 lost 1 of 3 probes \(33\.3%\); is at `,
			counts:  map[string]string{"received": "2", "pl": "33.333"},
		},
		{
			name:    "one failover",
			args:    append([]string{"-H", lab.FailoverIP}, allow...),
			code:    1,
			summary: `^ARP WARNING - 198\.51\.100\.20 moved from ` + regexp.QuoteMeta(a) + ` to ` + regexp.QuoteMeta(b) + ` during the check \(failover\) on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "2", "mac_changes": "1", "multi_mac_probes": "0"},
		},
		{
			name:    "flapping",
			args:    append([]string{"-H", lab.FlappingIP}, allow...),
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.21 is flapping between ` + regexp.QuoteMeta(a+" and "+b) + `: its MAC changed 2 times in 3 probes on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "2", "mac_changes": "2"},
		},
		{
			name:    "slow replies under the thresholds",
			args:    append([]string{"-H", lab.SlowIP, "-w", "200,20%", "-c", "500,60%"}, allow...),
			summary: `^ARP OK - 198\.51\.100\.22 is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, rta \d+(\.\d+)?ms$`,
		},
		{
			name:    "slow replies over the warning rta",
			args:    append([]string{"-H", lab.SlowIP, "-w", "20,20%", "-c", "500,60%"}, allow...),
			code:    1,
			summary: `^ARP WARNING - 198\.51\.100\.22 answers slowly: rta \d+(\.\d+)?ms is above warning 20ms; is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, rta \d+(\.\d+)?ms$`,
		},
		{
			name:    "slow replies over the critical rta",
			args:    append([]string{"-H", lab.SlowIP, "-w", "10,20%", "-c", "30,60%"}, allow...),
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.22 answers slowly: rta \d+(\.\d+)?ms is above critical 30ms; is at `,
		},
		{
			name:    "gratuitous ARP from another allowed node",
			args:    append([]string{"-H", lab.AnnouncedIP}, allow...),
			code:    1,
			summary: `^ARP WARNING - 198\.51\.100\.23 was announced by gratuitous ARP from ` + regexp.QuoteMeta(b) + ` while ` + regexp.QuoteMeta(a) + ` answered; is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "1", "gratuitous": "1"},
		},
		{
			name:    "gratuitous ARP from a MAC outside the allowlist",
			args:    []string{"-H", lab.AnnouncedIP, "-e", lab.NodeAMAC + "=node-a"},
			code:    2,
			summary: `^ARP CRITICAL - 198\.51\.100\.23 is announced by gratuitous ARP from 02:00:00:00:00:0b \(not in the allowlist\), expected ` + regexp.QuoteMeta(a) + ` on eth0`,
			counts:  map[string]string{"gratuitous": "1", "unexpected_macs": "1"},
		},
		{
			name:    "RFC 5227 probe from an interface without IPv4",
			args:    []string{"-H", lab.HealthyIP, "-I", "bare0", "-S", "0.0.0.0", "-e", lab.NodeAMAC + "=node-a"},
			summary: `^ARP OK - 198\.51\.100\.10 is at ` + regexp.QuoteMeta(a) + ` on bare0: 3/3 replies, ` + rtaPattern + `$`,
		},
	}
	runScenarios(t, tests)
}

// runScenarios runs each scenario in turn and checks the exit code, the
// summary, the perfdata counts and the form of the loss perfdata.
func runScenarios(t *testing.T, tests []scenario) {
	t.Helper()
	// Sequential: every ARP (ICMPv6) socket on the client sees every reply,
	// so checks of one target running at once would share replies (see the
	// concurrency test), and the lossy host and scripted responders keep
	// per-request state.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCheck(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; output:\n%s", r.code, tt.code, r.stdout)
			}
			if !regexp.MustCompile(tt.summary).MatchString(r.summary) {
				t.Errorf("summary\n  %s\ndoes not match\n  %s", r.summary, tt.summary)
			}
			r.counts(t, tt.counts)
			if p := r.perf["pl"]; p.uom != "%" || p.min != "0" || p.max != "100" {
				t.Errorf("pl perfdata %+v, want %%;...;0;100", p)
			}
		})
	}
}

// TestScenariosIPv6 runs the IPv4 scenarios over NDP: the same hosts answer
// the IPv6 targets the same way, and the check must reach the same
// verdicts with the same perfdata.
func TestScenariosIPv6(t *testing.T) {
	needLab(t)
	allow := []string{"--expect-file", seg.Allowlist}
	a, b, c := lab.NodeAMAC+" (node-a)", lab.NodeBMAC+" (node-b)", lab.NodeCMAC+" (node-c)"
	runScenarios(t, []scenario{
		{
			name:    "healthy",
			args:    append([]string{"-H", lab.HealthyIP6}, allow...),
			summary: `^NDP OK - 2001:db8::10 is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "3", "received": "3", "pl": "0", "macs": "1", "unexpected_macs": "0", "multi_mac_probes": "0", "mac_changes": "0", "gratuitous": "0"},
		},
		{
			name:    "healthy without allowlist",
			args:    []string{"-H", lab.HealthyIP6, "-p", "5", "-i", "20ms"},
			summary: `^NDP OK - 2001:db8::10 is at 02:00:00:00:00:0a on eth0: 5/5 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "5", "received": "5", "pl": "0", "macs": "1"},
		},
		{
			name:    "link-local target with a zone",
			args:    append([]string{"-H", lab.NodeALinkLocal + "%eth0"}, allow...),
			summary: `^NDP OK - fe80::ff:fe00:a is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "3", "received": "3", "macs": "1"},
		},
		{
			name:    "link-local target with -I",
			args:    []string{"-H", lab.NodeALinkLocal, "-I", "eth0", "-e", lab.NodeAMAC + "=node-a"},
			summary: `^NDP OK - fe80::ff:fe00:a is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
		},
		{
			name:    "global target from the link-local source",
			args:    []string{"-H", lab.HealthyIP6, "-S", "fe80::ff:fe00:1", "-e", lab.NodeAMAC + "=node-a"},
			summary: `^NDP OK - 2001:db8::10 is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
		},
		{
			name:    "silent",
			args:    append([]string{"-H", lab.SilentIP6, "-t", "0.5"}, allow...),
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::11 did not answer on eth0: 0/3 replies in \d+(\.\d+)?ms$`,
			counts:  map[string]string{"sent": "3", "received": "0", "pl": "100", "rta": "-", "rtmin": "-", "rtmax": "-", "macs": "0"},
		},
		{
			name:    "wrong MAC",
			args:    append([]string{"-H", lab.ConflictIP6}, allow...),
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::12 is claimed by 02:00:00:00:00:99 \(not in the allowlist\), expected ` + regexp.QuoteMeta(a+", "+b+" and "+c) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "1", "unexpected_macs": "1"},
		},
		{
			name:    "two claimants",
			args:    append([]string{"-H", lab.SplitIP6}, allow...),
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::13 is answered by 2 MACs at once in 3 of 3 probes \(split brain\): (` + regexp.QuoteMeta(a+" and "+b) + `|` + regexp.QuoteMeta(b+" and "+a) + `) on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "2", "multi_mac_probes": "3", "unexpected_macs": "0", "mac_changes": "0"},
		},
		{
			name:    "two claimants without allowlist",
			args:    []string{"-H", lab.SplitIP6},
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::13 is answered by 2 MACs at once in 3 of 3 probes \(split brain\): `,
			counts:  map[string]string{"macs": "2", "multi_mac_probes": "3"},
		},
		{
			name:    "lossy without thresholds",
			args:    append([]string{"-H", lab.LossyIP6}, allow...),
			code:    1,
			summary: `^NDP WARNING - 2001:db8::14 lost 1 of 3 probes \(33\.3%\); is at ` + regexp.QuoteMeta(c) + ` on eth0: 2/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"sent": "3", "received": "2", "pl": "33.333"},
		},
		{
			name:    "lossy under a loss threshold",
			args:    append([]string{"-H", lab.LossyIP6, "-w", "1000,50%", "-c", "2000,80%"}, allow...),
			summary: `^NDP OK - 2001:db8::14 is at ` + regexp.QuoteMeta(c) + ` on eth0: 2/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "2", "pl": "33.333"},
		},
		{
			name:    "lossy over a critical loss threshold",
			args:    append([]string{"-H", lab.LossyIP6, "-w", "10%", "-c", "30%"}, allow...),
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::14 lost 1 of 3 probes \(33\.3%\); is at `,
			counts:  map[string]string{"received": "2", "pl": "33.333"},
		},
		{
			name:    "one failover",
			args:    append([]string{"-H", lab.FailoverIP6}, allow...),
			code:    1,
			summary: `^NDP WARNING - 2001:db8::20 moved from ` + regexp.QuoteMeta(a) + ` to ` + regexp.QuoteMeta(b) + ` during the check \(failover\) on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "2", "mac_changes": "1", "multi_mac_probes": "0"},
		},
		{
			name:    "flapping",
			args:    append([]string{"-H", lab.FlappingIP6}, allow...),
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::21 is flapping between ` + regexp.QuoteMeta(a+" and "+b) + `: its MAC changed 2 times in 3 probes on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "2", "mac_changes": "2"},
		},
		{
			name:    "slow replies under the thresholds",
			args:    append([]string{"-H", lab.SlowIP6, "-w", "200,20%", "-c", "500,60%"}, allow...),
			summary: `^NDP OK - 2001:db8::22 is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, rta \d+(\.\d+)?ms$`,
		},
		{
			name:    "slow replies over the warning rta",
			args:    append([]string{"-H", lab.SlowIP6, "-w", "20,20%", "-c", "500,60%"}, allow...),
			code:    1,
			summary: `^NDP WARNING - 2001:db8::22 answers slowly: rta \d+(\.\d+)?ms is above warning 20ms; is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, rta \d+(\.\d+)?ms$`,
		},
		{
			name:    "slow replies over the critical rta",
			args:    append([]string{"-H", lab.SlowIP6, "-w", "10,20%", "-c", "30,60%"}, allow...),
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::22 answers slowly: rta \d+(\.\d+)?ms is above critical 30ms; is at `,
		},
		{
			name:    "unsolicited advertisement from another allowed node",
			args:    append([]string{"-H", lab.AnnouncedIP6}, allow...),
			code:    1,
			summary: `^NDP WARNING - 2001:db8::23 was announced by unsolicited neighbor advertisement from ` + regexp.QuoteMeta(b) + ` while ` + regexp.QuoteMeta(a) + ` answered; is at ` + regexp.QuoteMeta(a) + ` on eth0: 3/3 replies, ` + rtaPattern + `$`,
			counts:  map[string]string{"received": "3", "macs": "1", "gratuitous": "1"},
		},
		{
			name:    "unsolicited advertisement from a MAC outside the allowlist",
			args:    []string{"-H", lab.AnnouncedIP6, "-e", lab.NodeAMAC + "=node-a"},
			code:    2,
			summary: `^NDP CRITICAL - 2001:db8::23 is announced by unsolicited neighbor advertisement from 02:00:00:00:00:0b \(not in the allowlist\), expected ` + regexp.QuoteMeta(a) + ` on eth0`,
			counts:  map[string]string{"gratuitous": "1", "unexpected_macs": "1"},
		},
	})
}

func TestVerboseIPv6(t *testing.T) {
	needLab(t)
	r := runCheck(t, "-H", lab.AnnouncedIP6, "-vv", "--expect-file", seg.Allowlist)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^02:00:00:00:00:0a \(node-a\) answered probes 1-3 with 3 replies, rtt `),
		regexp.MustCompile(`(?m)^02:00:00:00:00:0b \(node-b\) sent 1 unsolicited advertisement for 2001:db8::23, first at \+[\d.]+ms$`),
		regexp.MustCompile(`(?m)^probe 1 at \+[\d.]+ms: 02:00:00:00:00:0a \(node-a\) in [\d.]+ms`),
		regexp.MustCompile(`(?m)^probes sent from 2001:db8::1 \(02:00:00:00:00:01\) on eth0; the run took `),
	} {
		if !want.MatchString(r.long) {
			t.Errorf("long output lacks %v:\n%s", want, r.long)
		}
	}
}

func TestSlowRepliesPerfdata(t *testing.T) {
	needLab(t)
	for _, target := range []string{lab.SlowIP, lab.SlowIP6} {
		r := runCheck(t, "-H", target, "-w", "20,20%", "-c", "500,60%")
		if rta := r.ms(t, "rta"); rta < 40 || rta > 500 {
			t.Errorf("%s: rta %vms, want the responder's 40ms delay (plus scheduling)", target, rta)
		}
		if lo, hi := r.ms(t, "rtmin"), r.ms(t, "rtmax"); lo < 40 || hi < lo {
			t.Errorf("%s: rtmin %v rtmax %v", target, lo, hi)
		}
		if p := r.perf["rta"]; p.warn != "20" || p.crit != "500" || p.min != "0" {
			t.Errorf("%s: rta thresholds in perfdata: %+v, want ;20;500;0;", target, p)
		}
		if p := r.perf["pl"]; p.warn != "20" || p.crit != "60" {
			t.Errorf("%s: pl thresholds in perfdata: %+v, want ;20;60;0;100", target, p)
		}
	}
}

func TestVerboseTimeline(t *testing.T) {
	needLab(t)
	r := runCheck(t, "-H", lab.FlappingIP, "-v", "--expect-file", seg.Allowlist)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^02:00:00:00:00:0a \(node-a\) answered probes 1,3 with 2 replies, rtt `),
		regexp.MustCompile(`(?m)^02:00:00:00:00:0b \(node-b\) answered probe 2 with 1 reply, rtt `),
		regexp.MustCompile(`(?m)^probe 1 at \+[\d.]+ms: 02:00:00:00:00:0a \(node-a\) in [\d.]+ms`),
		regexp.MustCompile(`(?m)^probe 2 at \+[\d.]+ms: 02:00:00:00:00:0b \(node-b\) in [\d.]+ms`),
		regexp.MustCompile(`(?m)^probe 3 at \+[\d.]+ms: 02:00:00:00:00:0a \(node-a\) in [\d.]+ms`),
	} {
		if !want.MatchString(r.long) {
			t.Errorf("long output lacks %v:\n%s", want, r.long)
		}
	}
	silent := runCheck(t, "-H", lab.SilentIP, "-p", "2", "-t", "0.3", "-v")
	if !strings.Contains(silent.long, "probe 2 at +") || !strings.Contains(silent.long, ": no reply") {
		t.Errorf("silent timeline:\n%s", silent.long)
	}
}

func TestBadInput(t *testing.T) {
	needLab(t)
	tests := []struct {
		name, want string
		args       []string
	}{
		{"no target", "UNKNOWN - no target: name the IPv4 or IPv6 address to check with -H", nil},
		{"unknown interface", "ARP UNKNOWN - interface eth9 does not exist on this host", []string{"-H", lab.HealthyIP, "-I", "eth9"}},
		{"interface down", "ARP UNKNOWN - interface down0 is down; bring it up (ip link set down0 up)", []string{"-H", lab.HealthyIP, "-I", "down0"}},
		{"no carrier", "ARP UNKNOWN - interface nocarrier0 is up but has no carrier", []string{"-H", lab.HealthyIP, "-I", "nocarrier0"}},
		{"no IPv4 on the interface", "ARP UNKNOWN - bare0 has no IPv4 address to send from; give it one, or send RFC 5227 probes with -S 0.0.0.0", []string{"-H", lab.HealthyIP, "-I", "bare0"}},
		{"loopback interface", "ARP UNKNOWN - lo is not an Ethernet interface", []string{"-H", lab.HealthyIP, "-I", "lo"}},
		{"target behind a router", "ARP UNKNOWN - 203.0.113.5 is not on a directly connected network: the route goes via gateway 198.51.100.254 on eth0", []string{"-H", lab.OffLinkIP}},
		{"no route", "ARP UNKNOWN - this host has no route to 192.0.2.1", []string{"-H", "192.0.2.1"}},
		{"own address", "ARP UNKNOWN - 198.51.100.1 is an address of this host", []string{"-H", lab.ClientIP}},
		{"foreign source", "ARP UNKNOWN - -S 198.51.100.7 is not an address of eth0 (it has 198.51.100.1)", []string{"-H", lab.HealthyIP, "-S", "198.51.100.7"}},
		{"IPv6 target on an interface without IPv6", "NDP UNKNOWN - IPv6 is disabled on bare0 (net.ipv6.conf.bare0.disable_ipv6=1), so NDP cannot run on it; enable it with 'sysctl -w net.ipv6.conf.bare0.disable_ipv6=0' or name the interface of the target's segment with -I", []string{"-H", lab.HealthyIP6, "-I", "bare0"}},
		{"IPv6 multicast target", "UNKNOWN - -H ff02::1 is a multicast address, which cannot own a MAC address; give the unicast IPv6 address to check", []string{"-H", "ff02::1"}},
		{"IPv6 unspecified target", "UNKNOWN - -H :: is the unspecified address, which cannot own a MAC address; give the unicast IPv6 address to check", []string{"-H", "::"}},
		{"IPv6 loopback target", "UNKNOWN - -H ::1 is a loopback address", []string{"-H", "::1"}},
		{"IPv6 link-local target without interface", "UNKNOWN - -H fe80::ff:fe00:a is a link-local address, which every link has; name its interface with -I or as a zone (-H fe80::ff:fe00:a%eth0)", []string{"-H", lab.NodeALinkLocal}},
		{"IPv6 target behind a router", "NDP UNKNOWN - 2001:db8:1::5 is not on a directly connected network: the route goes via gateway 2001:db8::fe on eth0, and neighbor discovery does not cross routers", []string{"-H", lab.OffLinkIP6}},
		{"IPv6 no route", "NDP UNKNOWN - this host has no route to 2001:db8:2::1", []string{"-H", "2001:db8:2::1"}},
		{"IPv6 own address", "NDP UNKNOWN - 2001:db8::1 is an address of this host, which does not answer its own neighbor solicitations", []string{"-H", lab.ClientIP6}},
		{"IPv6 foreign source", "NDP UNKNOWN - -S 2001:db8::7 is not an address of eth0 (it has 2001:db8::1, fe80::ff:fe00:1)", []string{"-H", lab.HealthyIP6, "-S", "2001:db8::7"}},
		{"IPv6 source of the other family", "UNKNOWN - -S \"198.51.100.1\" is not an IPv6 address", []string{"-H", lab.HealthyIP6, "-S", lab.ClientIP}},
		{"IPv6 loopback interface", "NDP UNKNOWN - lo is not an Ethernet interface, so NDP cannot run on it", []string{"-H", lab.HealthyIP6, "-I", "lo"}},
		{"IPv6 interface down", "NDP UNKNOWN - interface down0 is down", []string{"-H", lab.HealthyIP6, "-I", "down0"}},
		{"IPv6 zone names an unknown interface", "NDP UNKNOWN - interface eth9 does not exist on this host", []string{"-H", "fe80::1%eth9"}},
		{"timeout shorter than the schedule", "UNKNOWN - -t 200ms is too short for 3 requests 100ms apart", []string{"-H", lab.HealthyIP, "-t", "0.2"}},
		{"bad MAC", "UNKNOWN - -e \"02:00:00:00:00\": not a MAC address", []string{"-H", lab.HealthyIP, "-e", "02:00:00:00:00"}},
		{"bad threshold", "UNKNOWN - -w: rta part of \"abc,10%\"", []string{"-H", lab.HealthyIP, "-w", "abc,10%"}},
		{"missing allowlist file", "UNKNOWN - --expect-file /nonexistent/nodes cannot be read (no such file or directory)", []string{"-H", lab.HealthyIP, "--expect-file", "/nonexistent/nodes"}},
		{"unknown flag", "UNKNOWN - unknown flag --frobnicate", []string{"-H", lab.HealthyIP, "--frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCheck(t, tt.args...)
			if r.code != 3 {
				t.Errorf("exit code %d, want 3; output: %q", r.code, r.stdout)
			}
			if !strings.HasPrefix(r.summary, tt.want) {
				t.Errorf("output\n  %q\nwant it to start with\n  %q", r.stdout, tt.want)
			}
			if strings.Count(r.stdout, "\n") != 1 {
				t.Errorf("want exactly one line, got %q", r.stdout)
			}
		})
	}
}

func TestHelpAndVersionExitUnknown(t *testing.T) {
	needLab(t)
	for _, arg := range []string{"-h", "--help", "-V", "--version"} {
		r := runCheck(t, arg)
		if r.code != 3 {
			t.Errorf("%s: exit %d, want 3 as the Monitoring Plugins do", arg, r.code)
		}
	}
	if r := runCheck(t, "-V"); !strings.HasPrefix(r.stdout, "check_arp ") {
		t.Errorf("-V printed %q", r.stdout)
	}
}

// unprivileged runs the binary as nobody with no inherited capabilities.
var unprivileged = []string{"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all", "--"}

// copyOfCheck copies the binary where the unprivileged user can run it,
// so that a test can give the copy file capabilities of its own.
func copyOfCheck(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "check_arp")
	data, err := os.ReadFile(checkBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestUnprivilegedUser(t *testing.T) {
	needLab(t)
	bin := copyOfCheck(t)
	run := func(t *testing.T, target string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		argv := append(append([]string{"netns", "exec", seg.Client}, unprivileged...), bin, "-H", target)
		out, err := exec.CommandContext(ctx, "ip", argv...).Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return parseOutput(t, code, string(out))
	}

	t.Run("without CAP_NET_RAW", func(t *testing.T) {
		r := run(t, lab.HealthyIP)
		want := "ARP UNKNOWN - no permission to open a raw ARP socket on eth0: the check needs CAP_NET_RAW; run it as root or grant the capability once with 'setcap cap_net_raw+ep " + bin + "'"
		if r.code != 3 || r.summary != want {
			t.Errorf("exit %d, output %q; want exit 3 and %q", r.code, r.stdout, want)
		}
	})
	t.Run("IPv6 without CAP_NET_RAW", func(t *testing.T) {
		r := run(t, lab.HealthyIP6)
		want := "NDP UNKNOWN - no permission to open a raw ICMPv6 socket on eth0: the check needs CAP_NET_RAW; run it as root or grant the capability once with 'setcap cap_net_raw+ep " + bin + "'"
		if r.code != 3 || r.summary != want {
			t.Errorf("exit %d, output %q; want exit 3 and %q", r.code, r.stdout, want)
		}
	})
	t.Run("with cap_net_raw+ep", func(t *testing.T) {
		if out, err := exec.Command("setcap", "cap_net_raw+ep", bin).CombinedOutput(); err != nil {
			t.Fatalf("setcap: %v: %s", err, out)
		}
		r := run(t, lab.HealthyIP)
		if r.code != 0 || !strings.HasPrefix(r.summary, "ARP OK - 198.51.100.10 is at 02:00:00:00:00:0a on eth0: 3/3 replies") {
			t.Errorf("exit %d, output %q; want OK", r.code, r.stdout)
		}
		r = run(t, lab.HealthyIP6)
		if r.code != 0 || !strings.HasPrefix(r.summary, "NDP OK - 2001:db8::10 is at 02:00:00:00:00:0a on eth0: 3/3 replies") {
			t.Errorf("IPv6: exit %d, output %q; want OK", r.code, r.stdout)
		}
	})
}

func TestConcurrentChecksOfOneTarget(t *testing.T) {
	needLab(t)
	for _, target := range []string{lab.HealthyIP, lab.HealthyIP6} {
		t.Run(target, func(t *testing.T) {
			const n = 50
			bad := 0
			for i, r := range concurrentChecks(t, n, "-H", target, "-e", lab.NodeAMAC+"=node-a") {
				if r.code != 0 || r.perf["pl"].value != "0" || r.perf["received"].value != "3" || r.perf["macs"].value != "1" {
					bad++
					if bad <= 3 {
						t.Errorf("check %d of %d: exit %d: %s", i+1, n, r.code, r.stdout)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d concurrent checks were not OK with 0%% loss", bad, n)
			}
		})
	}
}

func TestSignalEndsCheckAsUnknown(t *testing.T) {
	needLab(t)
	for _, sig := range []struct {
		signal syscall.Signal
		name   string
	}{{syscall.SIGTERM, "SIGTERM"}, {syscall.SIGINT, "SIGINT"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := seg.Command(ctx, seg.Client, checkBin, "-H", lab.SilentIP, "-p", "10", "-i", "1s", "-t", "15")
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		// ip netns exec replaces itself with the check, so the signal
		// reaches it.
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		sent := time.Now()
		if err := cmd.Process.Signal(sig.signal); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		took := time.Since(sent)
		cancel()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 3 {
			t.Fatalf("after %s: %v, output %q; want exit 3", sig.name, err, stdout.String())
		}
		want := "ARP UNKNOWN - check interrupted by " + sig.name + " before a verdict"
		if !strings.HasPrefix(stdout.String(), want) {
			t.Errorf("output %q, want it to start with %q", stdout.String(), want)
		}
		t.Logf("%s: ended %v after the signal", sig.name, took)
		if took > time.Second {
			t.Errorf("%s: the check took %v to end", sig.name, took)
		}
	}
}

// concurrentChecks runs n checks of target at once and returns them.
func concurrentChecks(t *testing.T, n int, args ...string) []result {
	t.Helper()
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runCheck(t, args...)
		}()
	}
	wg.Wait()
	return results
}

func TestLoad200ConcurrentChecks(t *testing.T) {
	needLab(t)
	const n = 200
	allow := []string{"-e", lab.NodeCMAC + "=node-c," + lab.NodeAMAC + "=node-a"}
	t.Run("healthy target", func(t *testing.T) {
		bad := 0
		for i, r := range concurrentChecks(t, n, append([]string{"-H", lab.HealthyIP, "-t", "3"}, allow...)...) {
			if r.code != 0 || r.perf["pl"].value != "0" || r.perf["macs"].value != "1" || r.perf["mac_changes"].value != "0" || r.perf["multi_mac_probes"].value != "0" {
				if bad++; bad <= 3 {
					t.Errorf("check %d: exit %d: %s", i+1, r.code, r.stdout)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%d of %d concurrent checks of a healthy target were not OK with 0%% loss", bad, n)
		}
	})
	t.Run("target dropping half the requests", func(t *testing.T) {
		sent, received := 0, 0
		for i, r := range concurrentChecks(t, n, append([]string{"-H", lab.CoinFlipIP, "-t", "3", "-w", "100%", "-c", "100%"}, allow...)...) {
			// No false conflict, split brain or flap: one MAC, no changes.
			if r.perf["unexpected_macs"].value != "0" || r.perf["multi_mac_probes"].value != "0" || r.perf["mac_changes"].value != "0" {
				t.Errorf("check %d: false conflict or flap: %s", i+1, r.stdout)
			}
			s, _ := strconv.Atoi(r.perf["sent"].value)
			g, _ := strconv.Atoi(r.perf["received"].value)
			sent += s
			received += g
		}
		// 600 requests each answered with probability 1/2: the answered
		// count is binomial with mean 300 and deviation 12.2. Four
		// deviations either way is a false alarm once in 15,000 runs.
		loss := 100 * float64(sent-received) / float64(sent)
		t.Logf("%d checks, %d requests, %d answered: %.1f%% loss", n, sent, received, loss)
		if sent != 3*n || received < 300-49 || received > 300+49 {
			t.Errorf("%d of %d requests answered (%.1f%% loss); want 50%% within four standard deviations (251-349)", received, sent, loss)
		}
	})
}

// capabilitySets returns the CapEff and CapPrm lines of every thread of pid.
func capabilitySets(t *testing.T, pid int) []string {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no threads of %d: %v", pid, err)
	}
	var sets []string
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "CapEff:") || strings.HasPrefix(line, "CapPrm:") {
				sets = append(sets, filepath.Base(filepath.Dir(f))+" "+line)
			}
		}
	}
	return sets
}

func TestCapabilitiesDroppedDuringTheReadLoop(t *testing.T) {
	needLab(t)
	capBin := copyOfCheck(t)
	if out, err := exec.Command("setcap", "cap_net_raw+ep", capBin).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v: %s", err, out)
	}
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"as root", []string{checkBin}},
		{"as nobody with cap_net_raw+ep", append(append([]string(nil), unprivileged...), capBin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// A silent target keeps the check in its read loop for 1.5s.
			cmd := seg.Command(ctx, seg.Client, append(tc.argv, "-H", lab.SilentIP, "-p", "1", "-t", "1.5")...)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// setpriv and ip netns exec replace themselves, so the pid ends
			// up being the check's; wait until it is.
			var sets []string
			for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid)); strings.HasSuffix(exe, "/check_arp") {
					time.Sleep(300 * time.Millisecond) // into the read loop
					sets = capabilitySets(t, cmd.Process.Pid)
					break
				}
			}
			_ = cmd.Wait()
			if len(sets) == 0 {
				t.Fatal("never saw the check running")
			}
			for _, s := range sets {
				if !strings.HasSuffix(s, "0000000000000000") {
					t.Errorf("thread still holds capabilities: %s", s)
				}
			}
			if !strings.HasPrefix(stdout.String(), "ARP CRITICAL - 198.51.100.11 did not answer") {
				t.Errorf("the check did not complete after dropping its capabilities: %q", stdout.String())
			}
		})
	}
}

func TestNoShellOuts(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "os/exec" {
			t.Fatal("check_arp links os/exec: the plugin must not run other programs")
		}
	}
}

// hostile starts arpflood in the lab's responder namespace, aimed at the
// client, claiming target.
func hostile(t *testing.T, target string, args ...string) {
	t.Helper()
	argv := append([]string{floodBin, "-claim", target, "-to-mac", lab.ClientMAC, "-to-ip", lab.ClientIP}, args...)
	if err := seg.Start(seg.Sim, argv...); err != nil {
		t.Fatal(err)
	}
}

// timedCheck runs the check and returns its result, wall time and peak RSS.
func timedCheck(t *testing.T, args ...string) (result, time.Duration, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := seg.Command(ctx, seg.Client, append([]string{checkBin}, args...)...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB
	}
	return parseOutput(t, code, stdout.String()), wall, rss
}

// deadlineSlack is how far past -t a check may end: the issue allows 100ms,
// and the wall time measured here includes starting the process.
const deadlineSlack = 100 * time.Millisecond

func TestFloodOfRepliesFromRandomMACs(t *testing.T) {
	needLab(t)
	hostile(t, lab.HealthyIP, "-mode", "flood", "-rate", "40000", "-for", "2s")
	r, wall, rss := timedCheck(t, "-H", lab.HealthyIP, "-t", "1", "-e", lab.NodeAMAC+"=node-a")
	t.Logf("under a 40,000 frames/s flood: %v wall, %d KiB peak RSS: %s", wall, rss, r.summary)
	if r.code != 2 {
		t.Errorf("exit %d, want 2 (CRITICAL): %s", r.code, r.stdout)
	}
	if !regexp.MustCompile(`is flooded: \d+ frames about it arrived, from at least \d+ MACs \(02:[0-9a-f:]+, 02:[0-9a-f:]+, 02:[0-9a-f:]+ and \d+ more\); the check records \d+`).MatchString(r.summary) {
		t.Errorf("summary does not name the flood with its count and some MACs: %s", r.summary)
	}
	if wall > time.Second+deadlineSlack {
		t.Errorf("the check took %v under flood with -t 1", wall)
	}
	if rss > 32*1024 {
		t.Errorf("peak RSS %d KiB under flood; the recording limit should bound it", rss)
	}
	time.Sleep(1200 * time.Millisecond) // let the flood end before the next test
}

func TestMalformedAndMisleadingFramesAreIgnored(t *testing.T) {
	needLab(t)
	hostile(t, lab.HealthyIP, "-mode", "junk", "-every", "5ms", "-for", "1s")
	r := runCheck(t, "-H", lab.HealthyIP, "-e", lab.NodeAMAC+"=node-a")
	if r.code != 0 || !strings.HasPrefix(r.summary, "ARP OK - 198.51.100.10 is at 02:00:00:00:00:0a (node-a) on eth0: 3/3 replies") {
		t.Errorf("exit %d: %s", r.code, r.stdout)
	}
	r.counts(t, map[string]string{"received": "3", "macs": "1", "unexpected_macs": "0", "spoofed": "0"})
	time.Sleep(time.Second)
}

func TestSpoofedRepliesAreReported(t *testing.T) {
	needLab(t)
	// The responder host claims node-a's MAC in ARP, from its own MAC.
	hostile(t, lab.HealthyIP, "-mode", "spoof", "-as", lab.NodeAMAC, "-every", "10ms", "-for", "1s")
	r := runCheck(t, "-H", lab.HealthyIP, "-e", lab.NodeAMAC+"=node-a")
	want := regexp.MustCompile(`^ARP WARNING - 198\.51\.100\.10 got \d+ frames? claiming 02:00:00:00:00:0a sent from 02:00:00:00:00:5e \(a sign of spoofing\); is at 02:00:00:00:00:0a \(node-a\) on eth0: 3/3 replies`)
	if r.code != 1 || !want.MatchString(r.summary) {
		t.Errorf("exit %d: %s", r.code, r.stdout)
	}
	if n, _ := strconv.Atoi(r.perf["spoofed"].value); n < 1 {
		t.Errorf("spoofed perfdata %q", r.perf["spoofed"].value)
	}
	time.Sleep(time.Second)
}

func TestSilentTargetHoldsTheDeadline(t *testing.T) {
	needLab(t)
	for _, timeout := range []string{"0.3", "1"} {
		r, wall, _ := timedCheck(t, "-H", lab.SilentIP, "-t", timeout)
		d, _ := time.ParseDuration(timeout + "s")
		t.Logf("-t %s: %v wall", timeout, wall)
		if r.code != 2 {
			t.Errorf("-t %s: exit %d: %s", timeout, r.code, r.stdout)
		}
		// Probing stops 20ms early, to leave time to close the sockets.
		if wall < d-50*time.Millisecond || wall > d+deadlineSlack {
			t.Errorf("-t %s: the check took %v", timeout, wall)
		}
	}
}

// TestCommandLineFuzz runs the real binary with thousands of random and
// mutated argument vectors inside the lab (so that whatever it probes stays
// there). Whatever the input: an exit code 0-3, nothing on stderr, and on
// stdout one plugin line (help and version aside), never a panic.
func TestCommandLineFuzz(t *testing.T) {
	needLab(t)
	runs := 1500
	if testing.Short() {
		runs = 200
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d (set CHECK_ARP_FUZZ_SEED to repeat)", seed)
	if s := os.Getenv("CHECK_ARP_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	vectors := make([][]string, runs)
	for i := range vectors {
		vectors[i] = randomArgs(rng)
	}
	plugin := regexp.MustCompile(`^((ARP|NDP) (OK|WARNING|CRITICAL|UNKNOWN)|UNKNOWN) - [^|\n]+( \|[^\n]*)?$`)
	var (
		mu    sync.Mutex
		fails int
		next  int
		wg    sync.WaitGroup
		codes [4]int
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(vectors) || fails > 5 {
					mu.Unlock()
					return
				}
				args := vectors[next]
				next++
				mu.Unlock()

				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				cmd := seg.Command(ctx, seg.Client, append([]string{checkBin}, args...)...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				cancel()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					code = -1
				}
				first, _, _ := strings.Cut(stdout.String(), "\n")
				// Help or version, however asked for (-h, -vV, --help=1):
				// exit 3 with the usage text or the version line.
				out := stdout.String()
				// --help starts with the version line, then the usage.
				shown := regexp.MustCompile(`^check_arp \S+\n(\nUsage: check_arp |$)`).MatchString(out)
				var problem string
				switch {
				case code < 0 || code > 3:
					problem = fmt.Sprintf("exit %d (%v)", code, err)
				case stderr.Len() > 0:
					problem = "stderr: " + stderr.String()
				case strings.Contains(stdout.String(), "goroutine ") || strings.Contains(stdout.String(), "panic"):
					problem = "panic: " + stdout.String()
				case shown && code == 3:
				case !plugin.MatchString(strings.TrimRight(first, " ")):
					problem = fmt.Sprintf("not a plugin line: %q", stdout.String())
				}
				mu.Lock()
				if code >= 0 && code <= 3 {
					codes[code]++
				}
				if problem != "" {
					fails++
					t.Errorf("check_arp %q: %s", args, problem)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d runs: %d OK, %d WARNING, %d CRITICAL, %d UNKNOWN", runs, codes[0], codes[1], codes[2], codes[3])
}

// randomArgs builds an argument vector from check_arp's flags, with values
// from pools of good, bad and random strings, sometimes mutated.
func randomArgs(rng *rand.Rand) []string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	values := map[string][]string{
		"-H":            {lab.HealthyIP, lab.SilentIP, lab.SplitIP, lab.ConflictIP, lab.OffLinkIP, lab.ClientIP, lab.HealthyIP6, lab.SplitIP6, lab.NodeALinkLocal + "%eth0", lab.NodeALinkLocal, "ff02::1", "::", "224.0.0.1", "0.0.0.0", "host.example", "", "198.51.100.300"},
		"-I":            {"eth0", "bare0", "down0", "nocarrier0", "lo", "eth9", "", "eth0\n"},
		"-S":            {"0.0.0.0", lab.ClientIP, "198.51.100.7", "::1", "x"},
		"-p":            {"1", "2", "3", "0", "-1", "101", "abc", "1e3"},
		"-i":            {"10ms", "20ms", "0.01", "5ms", "-1s", "1h", "abc"},
		"-t":            {"0.1", "0.3", "0.5", "300ms", "0", "-1", "1e9", "NaN", "2h"},
		"-e":            {lab.NodeAMAC, lab.NodeAMAC + "=node-a", "0200.0000.000b=node-b", "zz:zz", "02:00:00:00:00:0a=a|b", "02:00:00:00:00:0a=node a", ","},
		"--expect-file": {seg.Allowlist, "/nonexistent", "/proc/self/status", "/dev/null", ""},
		"-w":            {"1,20%", "200,40%", "40%", "~:1", "@0:1", "abc", ",", "1,2,3", ""},
		"-c":            {"2,50%", "500,80%", "80%", "10:", "x%", ""},
		"-v":            nil,
		"-vv":           nil,
		"-h":            nil,
		"-V":            nil,
		"--count":       {"2", "x"},
		"--bogus":       nil,
	}
	flags := make([]string, 0, len(values))
	for f := range values {
		flags = append(flags, f)
	}
	slices.Sort(flags)
	// Valid runs stay short: few probes, a short interval and timeout,
	// which the flags below may override only with values as short.
	args := []string{"-p", pick("1", "2"), "-i", "10ms", "-t", pick("0.1", "0.2")}
	if rng.IntN(10) > 0 {
		args = append(args, "-H", pick(values["-H"]...))
	}
	for range rng.IntN(5) {
		f := flags[rng.IntN(len(flags))]
		if (f == "-h" || f == "-V") && rng.IntN(4) > 0 {
			continue
		}
		args = append(args, f)
		if vs := values[f]; vs != nil {
			args = append(args, pick(vs...))
		}
	}
	for i := range args {
		if rng.IntN(12) == 0 {
			b := []byte(args[i])
			switch rng.IntN(3) {
			case 0:
				b = append(b, byte(1+rng.IntN(255))) // argv cannot hold NUL
			case 1:
				if len(b) > 0 {
					b[rng.IntN(len(b))] = byte(1 + rng.IntN(255))
				}
			case 2:
				b = b[:rng.IntN(len(b)+1)]
			}
			args[i] = string(b)
		}
	}
	return args
}
