package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

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

func setcap(t *testing.T, bin string) {
	t.Helper()
	if out, err := exec.Command("setcap", "cap_net_raw+ep", bin).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v: %s", err, out)
	}
}

func TestUnprivilegedUser(t *testing.T) {
	needLab(t)
	bin := copyOfCheck(t)
	for _, f := range families {
		t.Run(f.proto+" without CAP_NET_RAW", func(t *testing.T) {
			r := runInvocation(invocation{as: unprivileged, bin: bin, args: []string{"-H", f.healthy}})
			r.expectState(t, f.proto, "UNKNOWN")
			r.expectSays(t, "CAP_NET_RAW", "'setcap cap_net_raw+ep "+bin+"'")
		})
	}
	t.Run("with cap_net_raw+ep", func(t *testing.T) {
		setcap(t, bin)
		for _, f := range families {
			r := runInvocation(invocation{as: unprivileged, bin: bin, args: []string{"-H", f.healthy}})
			r.expectState(t, f.proto, "OK")
			r.expectPerf(t, healthy)
		}
	})
}

// capabilitySets returns the CapEff and CapPrm lines of every thread of
// pid, or nil once it has ended.
func capabilitySets(pid int) []string {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var sets []string
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that ended
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "CapEff:") || strings.HasPrefix(line, "CapPrm:") {
				sets = append(sets, filepath.Base(filepath.Dir(f))+" "+line)
			}
		}
	}
	return sets
}

// TestCapabilitiesDroppedDuringTheReadLoop samples every thread's
// capabilities while the check waits for a silent target: once the check
// holds its sockets, every sample must show none, up to its end.
func TestCapabilitiesDroppedDuringTheReadLoop(t *testing.T) {
	needLab(t)
	capBin := copyOfCheck(t)
	setcap(t, capBin)
	for _, tc := range []struct {
		name string
		inv  invocation
	}{
		{"as root", invocation{}},
		{"as nobody with cap_net_raw+ep", invocation{as: unprivileged, bin: capBin}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A silent target keeps the check in its read loop for 1.5s.
			tc.inv.args = []string{"-H", lab.SilentIP, "-p", "1", "-t", "1.5"}
			p, exited, done := startProbing(t, tc.inv)
			// Sample until the check ends; the last sample is from its
			// read loop's end, whatever the load.
			var last []string
			dropped, samples := 0, 0
		sampling:
			for {
				select {
				case <-exited:
					break sampling
				default:
				}
				sets := capabilitySets(p.pid())
				if len(sets) == 0 {
					continue
				}
				samples++
				held := heldCapabilities(sets)
				if len(held) == 0 {
					dropped++
				} else if dropped > 0 {
					t.Errorf("capabilities back after they were dropped: %v", held)
				}
				last = sets
				select {
				case <-exited:
					break sampling
				case <-time.After(10 * time.Millisecond):
				}
			}
			r := <-done
			t.Logf("%d samples, %d without capabilities", samples, dropped)
			if dropped == 0 {
				t.Errorf("no sample without capabilities; the last: %v", last)
			}
			if held := heldCapabilities(last); len(held) > 0 {
				t.Errorf("threads still hold capabilities at the end of the read loop: %v", held)
			}
			// It completed the check after dropping them.
			r.expectState(t, "ARP", "CRITICAL")
			r.expectSays(t, "did not answer")
		})
	}
}

// heldCapabilities returns the capability lines that are not empty.
func heldCapabilities(sets []string) []string {
	var held []string
	for _, s := range sets {
		if !strings.HasSuffix(s, "0000000000000000") {
			held = append(held, s)
		}
	}
	return held
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
