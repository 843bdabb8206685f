package main

import (
	"strconv"
	"sync"
	"testing"

	"github.com/check-arp/check_arp/test/lab"
)

// Checks of one target running at once all receive every reply (every
// ARP or ICMPv6 raw socket on the host does); each must count only the
// replies to its own requests.
//
// The checks get a timeout far above what they need: a healthy check ends
// as soon as its last request is answered, and the deadline is not what
// these tests are about, so a check that the loaded machine schedules late
// still reaches the same verdict.

// concurrentChecks runs n checks with args at once and returns them.
func concurrentChecks(n int, args ...string) []result {
	return concurrentRuns(n, invocation{args: args})
}

// concurrentRuns runs inv n times at once and returns the runs.
func concurrentRuns(n int, inv invocation) []result {
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runInvocation(inv)
		}()
	}
	wg.Wait()
	return results
}

// healthyOne reports why r is not a healthy check with one reply to each
// of its 3 requests from one MAC, or "".
func healthyOne(r result) string {
	switch {
	case r.code != 0:
		return "not OK"
	case r.perf["sent"].value != "3" || r.perf["received"].value != "3" || r.perf["pl"].value != "0":
		return "not 3 of 3 answered"
	case r.perf["macs"].value != "1" || r.perf["mac_changes"].value != "0" || r.perf["multi_mac_probes"].value != "0":
		return "a false second MAC"
	}
	return ""
}

func TestConcurrentChecksOfOneTarget(t *testing.T) {
	needLab(t)
	for _, f := range families {
		t.Run(f.proto, func(t *testing.T) {
			const n = 50
			bad := 0
			for i, r := range concurrentChecks(n, "-H", f.healthy, "-t", "10", "-e", lab.NodeAMAC+"=node-a") {
				if why := healthyOne(r); why != "" {
					if bad++; bad <= 3 {
						t.Errorf("check %d of %d: %s: %s", i+1, n, why, r)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d concurrent checks were not OK with 3 of 3 answered", bad, n)
			}
		})
	}
}

func TestLoad200ConcurrentChecks(t *testing.T) {
	needLab(t)
	const n = 200
	allow := []string{"-e", lab.NodeCMAC + "=node-c," + lab.NodeAMAC + "=node-a"}
	t.Run("healthy target", func(t *testing.T) {
		bad := 0
		for i, r := range concurrentChecks(n, append([]string{"-H", lab.HealthyIP, "-t", "10"}, allow...)...) {
			if why := healthyOne(r); why != "" {
				if bad++; bad <= 3 {
					t.Errorf("check %d: %s: %s", i+1, why, r)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%d of %d concurrent checks of a healthy target were not OK with 3 of 3 answered", bad, n)
		}
	})
	t.Run("target dropping half the requests", func(t *testing.T) {
		// Half the checks wait for their deadline (their last request
		// went unanswered); 5s leaves every check time to send its 3.
		sent, received := 0, 0
		for i, r := range concurrentChecks(n, append([]string{"-H", lab.CoinFlipIP, "-t", "5", "-w", "100%", "-c", "100%"}, allow...)...) {
			// No false conflict, split brain or flap: one MAC, no changes.
			if r.code < 0 || r.perf["unexpected_macs"].value != "0" || r.perf["multi_mac_probes"].value != "0" || r.perf["mac_changes"].value != "0" {
				t.Errorf("check %d: false conflict or flap: %s", i+1, r)
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
