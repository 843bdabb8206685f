package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// hostile starts arpflood in the lab's responder namespace, aimed at the
// client, claiming target, and stops it when the test ends, so that none of
// its frames reach the next test.
func hostile(t *testing.T, target string, args ...string) {
	t.Helper()
	argv := append([]string{floodBin, "-claim", target, "-to-mac", lab.ClientMAC, "-to-ip", lab.ClientIP}, args...)
	p, err := seg.Spawn(seg.Sim, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
}

func TestFloodOfRepliesFromRandomMACs(t *testing.T) {
	needLab(t)
	// The flood outlasts the check by far: a check that waited for it to
	// end would miss its deadline by seconds.
	hostile(t, lab.HealthyIP, "-mode", "flood", "-rate", "40000", "-for", "20s")
	r := runInvocation(invocation{peakRSS: true, args: []string{"-H", lab.HealthyIP, "-t", "1", "-e", lab.NodeAMAC + "=node-a"}})
	t.Logf("under a 40,000 frames/s flood: %v wall, %d KiB peak RSS: %s", r.wall, r.rssKiB, r.summary)
	r.expectState(t, "ARP", "CRITICAL")
	r.expectSays(t, "is flooded")
	if macs, _ := strconv.Atoi(r.perf["macs"].value); macs < 100 {
		t.Errorf("perfdata macs = %q, want the flood's many MACs counted", r.perf["macs"].value)
	}
	if r.wall > time.Second+lateness {
		t.Errorf("the check took %v under flood with -t 1", r.wall)
	}
	if r.rssKiB > 32*1024 {
		t.Errorf("peak RSS %d KiB under flood; the recording limit should bound it", r.rssKiB)
	}
}

func TestMalformedAndMisleadingFramesAreIgnored(t *testing.T) {
	needLab(t)
	hostile(t, lab.HealthyIP, "-mode", "junk", "-every", "5ms", "-for", "20s")
	r := runCheck("-H", lab.HealthyIP, "-e", lab.NodeAMAC+"=node-a")
	r.expectState(t, "ARP", "OK")
	r.expectSays(t, "is at "+nodeA)
	r.expectPerf(t, healthy.with(perf{"spoofed": "0"}))
}

func TestSpoofedRepliesAreReported(t *testing.T) {
	needLab(t)
	// The responder host claims node-a's MAC in ARP, from its own MAC.
	hostile(t, lab.HealthyIP, "-mode", "spoof", "-as", lab.NodeAMAC, "-every", "10ms", "-for", "20s")
	r := runCheck("-H", lab.HealthyIP, "-e", lab.NodeAMAC+"=node-a")
	r.expectState(t, "ARP", "WARNING")
	r.expectSays(t, "spoofing", lab.SimMAC, "is at "+nodeA)
	r.expectPerf(t, healthy.with(perf{"spoofed": ">=1"}))
}

// TestCommandLineFuzz runs the real binary with thousands of random and
// mutated argument vectors inside the lab (so that whatever it probes stays
// there). Whatever the input: an exit code 0-3, nothing on stderr, and on
// stdout a plugin's output starting with its state, laid out as
// layoutProblem says (help and version aside), never a panic.
func TestCommandLineFuzz(t *testing.T) {
	needLab(t)
	runs := 1500
	if testing.Short() {
		runs = 200
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("CHECK_ARP_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (set CHECK_ARP_FUZZ_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	vectors := make([][]string, runs)
	for i := range vectors {
		vectors[i] = randomArgs(rng)
	}
	plugin := regexp.MustCompile(`^((ARP|NDP|ARP/NDP) (OK|WARNING|CRITICAL|UNKNOWN)|UNKNOWN) - [^|\n]+(\|[^\n]*)?$`)
	version := regexp.MustCompile(`^check_arp \S+\n$`)
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

				r := runCheck(args...)
				first, _, _ := strings.Cut(r.stdout, "\n")
				// Help or version, however asked for (-h, -vV, --help=1):
				// exit 3 with the version line, alone or heading the usage.
				shown := version.MatchString(r.stdout) || isHelp(r.stdout)
				var problem string
				switch {
				case r.code < 0 || r.code > 3:
					problem = r.String()
				case r.stderr != "":
					problem = "stderr: " + r.stderr
				case strings.Contains(r.stdout, "goroutine ") || strings.Contains(r.stdout, "panic"):
					problem = "panic: " + r.stdout
				case shown && r.code == 3:
				case !plugin.MatchString(first):
					problem = fmt.Sprintf("not a plugin line: %q", r.stdout)
				case r.layout != "":
					problem = fmt.Sprintf("%s: %q", r.layout, r.stdout)
				}
				mu.Lock()
				if r.code >= 0 && r.code <= 3 {
					codes[r.code]++
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
		"-S":            {"0.0.0.0", lab.ClientIP, lab.ForeignSourceIP, "::1", "x"},
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
		// A timeout's value is not mutated: "0.1" can become "081", a
		// valid 81 s that a silent target really waits out. Its pool
		// above holds the bad timeouts.
		if i > 0 && args[i-1] == "-t" {
			continue
		}
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

// isHelp tells whether out is check_arp's help: the version line, then the
// synopsis.
func isHelp(out string) bool {
	return strings.HasPrefix(out, "check_arp ") && strings.Contains(out, "\n\nUsage: check_arp -H ADDRESS")
}
