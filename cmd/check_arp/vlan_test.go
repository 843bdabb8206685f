package main

import (
	"bufio"
	"context"
	"strconv"
	"testing"

	"github.com/check-arp/check_arp/test/lab"
)

// announceInVLAN has the lab's responder host announce target for node-b
// every 5ms, tagged with VLAN vlan (-1: untagged; 0: a priority tag only),
// from before the calling test's check starts until the test ends.
func announceInVLAN(t *testing.T, target string, vlan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := seg.Command(ctx, seg.Sim, floodBin, "-mode", "vlan", "-vlan", strconv.Itoa(vlan), "-claim", target, "-as", lab.NodeBMAC,
		"-to-mac", lab.ClientMAC, "-to-ip", lab.ClientIP, "-every", "5ms", "-for", "30s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("arpflood did not get ready: %q", sc.Text())
	}
}

// TestOtherVLANsDoNotCount: on a trunk's parent interface the kernel
// delivers frames of every VLAN, their tag moved into packet metadata. An
// announcement of the target's address inside VLAN 100 concerns another
// network and must not count on the untagged one; untagged and
// priority-tagged (VLAN 0) announcements do, which shows that the frames
// reach the check and that it is the tag that keeps them out.
func TestOtherVLANsDoNotCount(t *testing.T) {
	needLab(t)
	for _, target := range []string{lab.HealthyIP, lab.HealthyIP6} {
		for _, tt := range []struct {
			vlan  int
			count bool
		}{
			{100, false},
			{-1, true},
			{0, true},
		} {
			t.Run(target+" vlan "+strconv.Itoa(tt.vlan), func(t *testing.T) {
				announceInVLAN(t, target, tt.vlan)
				r := runCheck("-H", target, "-e", lab.NodeAMAC+"=node-a")
				t.Log(r.summary)
				if !tt.count {
					if r.code != 0 {
						t.Errorf("exit %d, want 0 (OK): another VLAN's announcements counted:\n%s", r.code, r.stdout)
					}
					r.expectPerf(t, healthy)
					return
				}
				if n, _ := strconv.Atoi(r.perf["gratuitous"].value); r.code != 2 || n < 1 {
					t.Errorf("exit %d, gratuitous %q; want CRITICAL with node-b's announcements counted:\n%s", r.code, r.perf["gratuitous"].value, r.stdout)
				}
			})
		}
	}
}
