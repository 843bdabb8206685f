package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// lateness is how far past -t a check run from a test may end. The check
// itself ends by -t (make bench measures by how much, on a quiet machine);
// the wall time a test sees adds starting the process through ip netns
// exec, and on a loaded machine waiting for a CPU. Measured on the 2-core
// lab VM with two CPU burners and other builds beside it: up to 150ms
// (flood) and 90ms (silent target). A check that ignored -t, or waited for
// a flood to end, would be late by seconds.
const lateness = 600 * time.Millisecond

func TestSilentTargetHoldsTheDeadline(t *testing.T) {
	needLab(t)
	for _, timeout := range []time.Duration{300 * time.Millisecond, time.Second} {
		r := runCheck("-H", lab.SilentIP, "-t", timeout.String())
		t.Logf("-t %v: %v wall", timeout, r.wall)
		r.expectState(t, "ARP", "CRITICAL")
		// Probing stops 20ms early, to leave time to close the sockets;
		// being late only adds.
		if r.wall < timeout-50*time.Millisecond || r.wall > timeout+lateness {
			t.Errorf("-t %v: the check took %v", timeout, r.wall)
		}
	}
}

// inProbe waits until the process pid is check_arp with a socket open
// (its signal handler is installed before it looks up the route), or until
// the process has ended; it reports which.
func inProbe(pid int, exited <-chan struct{}) bool {
	for {
		select {
		case <-exited:
			return false
		case <-time.After(5 * time.Millisecond):
		}
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); !strings.HasSuffix(exe, "/check_arp") {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); strings.HasPrefix(l, "socket:") {
				return true
			}
		}
	}
}

// startProbing starts inv and returns once the check is probing (see
// inProbe); exited closes when it ends, and done then has its result. A
// check that ends before it probes fails the test.
func startProbing(t *testing.T, inv invocation) (p *process, exited <-chan struct{}, done <-chan result) {
	t.Helper()
	p = start(inv)
	if p.startErr != nil {
		t.Fatal(p.startErr)
	}
	ex := make(chan struct{})
	d := make(chan result, 1)
	go func() { r := p.wait(); close(ex); d <- r }()
	if !inProbe(p.pid(), ex) {
		t.Fatalf("the check ended before it probed: %s", <-d)
	}
	return p, ex, d
}

func TestSignalEndsCheckAsUnknown(t *testing.T) {
	needLab(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
		t.Run(name, func(t *testing.T) {
			// Unsignalled, this check would send for 9s.
			// Signalled only once it is probing: a signal during the Go
			// runtime's start would end it as Go's default handler does.
			p, _, done := startProbing(t, invocation{args: []string{"-H", lab.SilentIP, "-p", "10", "-i", "1s", "-t", "15"}})
			sent := time.Now()
			if !p.signal(sig) {
				t.Fatalf("the check ended before its %s", name)
			}
			r := <-done
			took := time.Since(sent)
			t.Logf("ended %v after the signal", took)
			r.expectState(t, "ARP", "UNKNOWN")
			r.expectSays(t, "interrupted by "+name)
			if took > 5*time.Second {
				t.Errorf("the check took %v to end after %s", took, name)
			}
		})
	}
}

// A check that ends within a second by itself keeps the signals' default
// action: catching them would cost it an eighth of its CPU time (see
// interrupt.Brief), and nobody waits for a verdict from a command they
// interrupted in its first second.
func TestSignalEndsBriefCheckAtOnce(t *testing.T) {
	needLab(t)
	p, _, done := startProbing(t, invocation{args: []string{"-H", lab.SilentIP}}) // -t 1s
	if !p.signal(syscall.SIGTERM) {
		t.Fatal("the check ended before its SIGTERM")
	}
	r := <-done
	if r.code != -1 || r.stdout != "" {
		t.Fatalf("a -t 1s check printed %q and exited %d after SIGTERM; want it ended by the signal, silently", r.stdout, r.code)
	}
}
