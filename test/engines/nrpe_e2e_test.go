//go:build e2e

package engines

import (
	"fmt"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

const (
	checkNRPE = "/usr/lib/nagios/plugins/check_nrpe"
	// debianPluginDir is where contrib/nrpe/check_arp.cfg expects the plugin.
	debianPluginDir = "/usr/lib/nagios/plugins"
)

// TestNRPE serves contrib/nrpe/check_arp.cfg unchanged from an NRPE daemon
// (running the checks as nagios) on the lab client's loopback, and queries
// it with check_nrpe, with NRPE's current packets and with the old v2
// packets that carry only 1 KB of output.
func TestNRPE(t *testing.T) {
	require(t, "nrpe", checkNRPE, "ip", "mount")
	t.Parallel()
	seg := newSegment(t)
	dir := privateDir(t, "nrpe")
	snippet := filepath.Join(dir, "check_arp.cfg")
	cfg := strings.Join([]string{
		"log_file=" + filepath.Join(dir, "nrpe.log"),
		"debug=1",
		"pid_file=" + filepath.Join(dir, "nrpe.pid"),
		"server_address=127.0.0.1",
		"server_port=5666",
		"nrpe_user=nagios",
		"nrpe_group=nagios",
		"allowed_hosts=127.0.0.1",
		"dont_blame_nrpe=0",
		"allow_bash_command_substitution=0",
		"command_timeout=30",
		"connection_timeout=60",
		"disable_syslog=1",
		"include=" + snippet,
		"include=" + filepath.Join(dir, "scenarios.cfg"),
	}, "\n") + "\n"
	// Test-only commands for the states the snippet's VIPs never reach,
	// as the snippet writes its own.
	var scenarios strings.Builder
	for _, tt := range scenarioTargets {
		fmt.Fprintf(&scenarios, "command[%s]=%s/check_arp -H %s -e %s -w 200,40%% -c 500,80%%\n", nrpeCommand(tt), debianPluginDir, tt.address, allowlistArg)
	}
	writeFiles(t, dir, map[string]string{
		"nrpe.cfg": cfg,
		// The snippet, byte for byte: its commands name the Debian plugin
		// path, which the daemon's own mount namespace (ip netns exec
		// gives it one) maps to the test's plugin directory.
		"check_arp.cfg": contrib(t, "nrpe/check_arp.cfg"),
		"scenarios.cfg": scenarios.String(),
	})

	// NRPE clears the environment of the commands it runs, so the
	// checks' memory goes to nagios' home from the user database: in the
	// daemon's own mount namespace a directory of the test's stands in
	// for that home.
	nagios, err := user.Lookup("nagios")
	if err != nil {
		t.Fatal(err)
	}
	home := privateDir(t, "home")
	d := startDaemon(t, seg, "nrpe", "sh", "-c", `mount --bind "$1" "$2" && mount --bind "$4" "$5" && exec nrpe -c "$3" -f`,
		"sh", pluginDir, debianPluginDir, filepath.Join(dir, "nrpe.cfg"), home, nagios.HomeDir)
	d.memoryDir = filepath.Join(home, ".local", "state", "check_arp")
	nrpe := func(args ...string) (string, int) {
		return run(t, 60*time.Second, append([]string{"ip", "netns", "exec", seg.Client, checkNRPE, "-H", "127.0.0.1", "-t", "30"}, args...)...)
	}
	waitFor(t, d, 30*time.Second, "NRPE answering", func() error {
		if out, code := nrpe(); code != 0 || !strings.HasPrefix(out, "NRPE v4") {
			return fmt.Errorf("check_nrpe: exit %d: %s", code, out)
		}
		return nil
	})

	for _, tt := range slices.Concat(targets, scenarioTargets) {
		command := nrpeCommand(tt)
		for _, packets := range []string{"", "-2"} {
			args := []string{"-c", command}
			if packets != "" {
				args = append(args, packets)
			}
			if tt.address == lab.FailoverIP {
				// The scripted failover starts over only after a pause.
				time.Sleep(lab.ResponderReset + 50*time.Millisecond)
			}
			out, code := nrpe(args...)
			t.Logf("check_nrpe %s: exit %d, %d bytes:\n%s", strings.Join(args, " "), code, len(out), out)
			if code != tt.state {
				t.Errorf("check_nrpe %s: exit %d, want %d", strings.Join(args, " "), code, tt.state)
			}
			// check_nrpe prints the plugin's output and a newline.
			text, ok := strings.CutSuffix(out, "\n")
			if !ok || strings.HasSuffix(text, "\n") {
				t.Errorf("check_nrpe %s: output %q does not end in exactly one newline", strings.Join(args, " "), out)
			}
			// Performance data end the text: after a '|' on the first
			// line without long output, on the last line with it.
			body, perf, hasPerf := strings.Cut(text, "|")
			summary, long, _ := strings.Cut(body, "\n")
			checkText(t, "NRPE ("+command+packets+")", tt, summary, long)
			if tt.counts == nil {
				if hasPerf {
					t.Errorf("check_nrpe %s: performance data %q, want none", strings.Join(args, " "), perf)
				}
				continue
			}
			// The performance data follow the text's last line, whole:
			// they end with the plugin's last metric.
			if !hasPerf || strings.Contains(perf, "\n") {
				t.Errorf("check_nrpe %s: no performance data, or text after them: %q", strings.Join(args, " "), text)
			}
			if !lastMetric.MatchString(perf) {
				t.Errorf("check_nrpe %s: performance data cut or altered at the end: %q", strings.Join(args, " "), tail(perf, 80))
			}
			if len(out) >= 1024 {
				t.Errorf("check_nrpe %s: %d bytes of output, which NRPE v2 would cut at 1 KB", strings.Join(args, " "), len(out))
			}
			checkPerfdata(t, "NRPE ("+command+packets+")", perf, tt.counts)
		}
	}
	d.expectMemoryKept(t)
}

// nrpeCommand names a target's NRPE command, as contrib/nrpe/check_arp.cfg
// does: check_arp_vip_ingress, check_arp_vip_ingress_ipv6.
func nrpeCommand(tt target) string {
	command := "check_arp_" + strings.ReplaceAll(tt.host, "-", "_")
	if tt.ipv6 {
		command += "_ipv6"
	}
	return command
}

// lastMetric matches the end of whole performance data: the run's time,
// the plugin's last metric.
var lastMetric = regexp.MustCompile(`(^| )time=[0-9.]+s;;;0$`)
