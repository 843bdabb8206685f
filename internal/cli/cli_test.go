package cli

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/output"
	"github.com/check-arp/check_arp/internal/threshold"
)

const target = "198.51.100.10"

func mustMAC(t testing.TB, s string) mac.Addr {
	t.Helper()
	a, err := mac.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// writeFile writes content to a new file in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// usageError asserts err is a one-line *UsageError and returns its text.
func usageError(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if errors.Is(err, ErrShown) {
		t.Fatalf("error is ErrShown, want a usage error")
	}
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("error %q is a %T, want *UsageError", err, err)
	}
	msg := ue.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error message contains a line break: %q", msg)
	}
	if msg == "" {
		t.Errorf("empty error message")
	}
	return msg
}

func TestParseDefaults(t *testing.T) {
	var buf bytes.Buffer
	cfg, err := Parse([]string{"-H", target}, &buf, "test")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Target != netip.MustParseAddr(target) {
		t.Errorf("Target = %v", cfg.Target)
	}
	if cfg.Interface != "" {
		t.Errorf("Interface = %q, want empty (route lookup)", cfg.Interface)
	}
	if cfg.Source.IsValid() {
		t.Errorf("Source = %v, want the zero Addr (pick one)", cfg.Source)
	}
	if cfg.Count != 3 || cfg.Interval != 100*time.Millisecond {
		t.Errorf("Count, Interval = %d, %v, want 3 probes 100ms apart", cfg.Count, cfg.Interval)
	}
	if cfg.Timeout != time.Second {
		t.Errorf("Timeout = %v, want 1s", cfg.Timeout)
	}
	if cfg.Verbosity != 0 {
		t.Errorf("Verbosity = %d, want 0", cfg.Verbosity)
	}
	if cfg.Policy.Allowed.Len() != 0 {
		t.Errorf("Allowed has %d entries, want none", cfg.Policy.Allowed.Len())
	}
	if cfg.Policy.Warn != (threshold.Pair{}) || cfg.Policy.Crit != (threshold.Pair{}) {
		t.Errorf("thresholds = %+v / %+v, want none", cfg.Policy.Warn, cfg.Policy.Crit)
	}
	if buf.Len() != 0 {
		t.Errorf("Parse wrote %q", buf.String())
	}
}

func TestParseValid(t *testing.T) {
	a, b, c := mustMAC(t, "02:00:00:00:00:10"), mustMAC(t, "02:00:00:00:00:11"), mustMAC(t, "02:00:00:00:00:12")
	allowFile := writeFile(t, "allow.txt", "# allowed nodes\n"+
		"02:00:00:00:00:10 node-a\n"+
		"\n"+
		"02-00-00-00-00-11=node-b   # comment\n"+
		"   0200.0000.0012\n")

	type labelled map[mac.Addr]string
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, cfg Config)
	}{
		{"--hostname, the guidelines' long form of -H", []string{"--hostname", target}, func(t *testing.T, cfg Config) {
			if cfg.Target != netip.MustParseAddr(target) {
				t.Errorf("Target = %v", cfg.Target)
			}
		}},
		{"--output and --write", []string{"-H", target, "--output", "openmetrics", "--write", "/tmp/x.prom"}, func(t *testing.T, cfg Config) {
			if cfg.Output != output.FormatOpenMetrics || cfg.Write != "/tmp/x.prom" {
				t.Errorf("Output %q, Write %q", cfg.Output, cfg.Write)
			}
		}},
		{"--output defaults to nagios", []string{"-H", target}, func(t *testing.T, cfg Config) {
			if cfg.Output != output.FormatNagios || cfg.Write != "" {
				t.Errorf("Output %q, Write %q", cfg.Output, cfg.Write)
			}
		}},
		{"long host flag", []string{"--host=" + target}, func(t *testing.T, cfg Config) {
			if cfg.Target.String() != target {
				t.Errorf("Target = %v", cfg.Target)
			}
		}},
		{"IPv4-mapped IPv6 host is unmapped", []string{"-H", "::ffff:" + target}, func(t *testing.T, cfg Config) {
			if cfg.Target != netip.MustParseAddr(target) || !cfg.Target.Is4() {
				t.Errorf("Target = %v, want %s as IPv4", cfg.Target, target)
			}
		}},
		{"interface", []string{"-H", target, "-I", "eth0"}, func(t *testing.T, cfg Config) {
			if cfg.Interface != "eth0" {
				t.Errorf("Interface = %q", cfg.Interface)
			}
		}},
		{"-p 1", []string{"-H", target, "-p", "1"}, schedule(1, 100*time.Millisecond)},
		{"-p 100 with -t 10", []string{"-H", target, "-p", "100", "-t", "10"}, schedule(100, 100*time.Millisecond)},
		{"-p 100 at the minimum interval", []string{"-H", target, "-p", "100", "-i", "10ms"}, schedule(100, 10*time.Millisecond)},
		{"--count alias", []string{"-H", target, "--count", "5"}, schedule(5, 100*time.Millisecond)},
		{"--count= alias", []string{"-H", target, "--count=7"}, schedule(7, 100*time.Millisecond)},
		{"--packets", []string{"-H", target, "--packets", "2"}, schedule(2, 100*time.Millisecond)},
		{"-i in seconds", []string{"-H", target, "-i", "0.25"}, schedule(3, 250*time.Millisecond)},
		{"-i with unit", []string{"-H", target, "-i", "200ms"}, schedule(3, 200*time.Millisecond)},
		{"-i exactly the minimum", []string{"-H", target, "-i", "10ms"}, schedule(3, 10*time.Millisecond)},
		{"-i longer than -t with one probe", []string{"-H", target, "-p", "1", "-i", "1h"}, schedule(1, time.Hour)},
		{"-t just above the schedule", []string{"-H", target, "-p", "3", "-i", "1s", "-t", "2.001"}, timeout(2001 * time.Millisecond)},
		{"-t 10", []string{"-H", target, "-t", "10"}, timeout(10 * time.Second)},
		{"-t 2.5", []string{"-H", target, "-t", "2.5"}, timeout(2500 * time.Millisecond)},
		{"-t 1500ms", []string{"-H", target, "-t", "1500ms"}, timeout(1500 * time.Millisecond)},
		{"--timeout=1m", []string{"-H", target, "--timeout=1m"}, timeout(time.Minute)},
		{"-e one MAC", []string{"-H", target, "-e", "02:00:00:00:00:10"}, allowed(labelled{a: ""})},
		{"-e repeated", []string{"-H", target, "-e", "02:00:00:00:00:10", "-e", "02:00:00:00:00:11"}, allowed(labelled{a: "", b: ""})},
		{"-e comma-separated", []string{"-H", target, "-e", "02:00:00:00:00:10,02:00:00:00:00:11"}, allowed(labelled{a: "", b: ""})},
		{"-e with labels", []string{"-H", target, "-e", "02:00:00:00:00:10=node-a,02:00:00:00:00:11=node-b", "-e", "0200.0000.0012=node-c"},
			allowed(labelled{a: "node-a", b: "node-b", c: "node-c"})},
		{"-e the same MAC twice, one label", []string{"-H", target, "-e", "02:00:00:00:00:10", "-e", "02-00-00-00-00-10=node-a"}, allowed(labelled{a: "node-a"})},
		{"-e the same MAC twice, the same label", []string{"-H", target, "-e", "02:00:00:00:00:10=node-a", "-e", "020000000010=node-a"}, allowed(labelled{a: "node-a"})},
		{"--expect-file", []string{"-H", target, "--expect-file", allowFile}, allowed(labelled{a: "node-a", b: "node-b", c: ""})},
		{"--expect-file with -e", []string{"-H", target, "-e", "02:00:00:00:00:10", "--expect-file=" + allowFile}, allowed(labelled{a: "node-a", b: "node-b", c: ""})},
		{"-w and -c", []string{"-H", target, "-w", "200,40%", "-c", "500,80%"}, func(t *testing.T, cfg Config) {
			w, c := cfg.Policy.Warn, cfg.Policy.Crit
			if !w.HasRTA || !w.HasPL || w.RTA.End != 200 || w.PL.End != 40 {
				t.Errorf("Warn = %+v", w)
			}
			if !c.HasRTA || !c.HasPL || c.RTA.End != 500 || c.PL.End != 80 {
				t.Errorf("Crit = %+v", c)
			}
		}},
		{"-w loss only, -c rta range only", []string{"-H", target, "-w", "40%", "-c", "@10:20"}, func(t *testing.T, cfg Config) {
			w, c := cfg.Policy.Warn, cfg.Policy.Crit
			if w.HasRTA || !w.HasPL || w.PL.End != 40 {
				t.Errorf("Warn = %+v", w)
			}
			if !c.HasRTA || c.HasPL || !c.RTA.Inside || c.RTA.Start != 10 || c.RTA.End != 20 {
				t.Errorf("Crit = %+v", c)
			}
		}},
		{"-S address", []string{"-H", target, "-S", "198.51.100.1"}, source("198.51.100.1")},
		{"IPv6 host", []string{"-H", "2001:db8::10"}, func(t *testing.T, cfg Config) {
			if cfg.Target != netip.MustParseAddr("2001:db8::10") || cfg.Interface != "" {
				t.Errorf("Target = %v, Interface = %q", cfg.Target, cfg.Interface)
			}
		}},
		{"IPv6 link-local host with -I", []string{"-H", "fe80::1", "-I", "eth0"}, func(t *testing.T, cfg Config) {
			if cfg.Target != netip.MustParseAddr("fe80::1") || cfg.Interface != "eth0" {
				t.Errorf("Target = %v, Interface = %q", cfg.Target, cfg.Interface)
			}
		}},
		{"IPv6 zone names the interface", []string{"-H", "fe80::1%eth1"}, func(t *testing.T, cfg Config) {
			if cfg.Target != netip.MustParseAddr("fe80::1") || cfg.Interface != "eth1" {
				t.Errorf("Target = %v, Interface = %q; want the zone moved to the interface", cfg.Target, cfg.Interface)
			}
		}},
		{"IPv6 zone and the same -I", []string{"-H", "fe80::1%eth1", "-I", "eth1"}, func(t *testing.T, cfg Config) {
			if cfg.Interface != "eth1" {
				t.Errorf("Interface = %q", cfg.Interface)
			}
		}},
		{"-S IPv6 address", []string{"-H", "2001:db8::10", "-S", "2001:db8::1"}, source("2001:db8::1")},
		{"-S IPv6 link-local with zone", []string{"-H", "2001:db8::10", "-S", "fe80::1%eth0"}, source("fe80::1")},
		{"-S 0.0.0.0 for RFC 5227 probes", []string{"-H", target, "-S", "0.0.0.0"}, source("0.0.0.0")},
		{"-S IPv4-mapped is unmapped", []string{"-H", target, "-S", "::ffff:198.51.100.1"}, source("198.51.100.1")},
		{"-v", []string{"-H", target, "-v"}, verbosity(1)},
		{"-v -v", []string{"-H", target, "-v", "-v"}, verbosity(2)},
		{"-vv", []string{"-H", target, "-vv"}, verbosity(2)},
		{"--verbose --verbose --verbose", []string{"-H", target, "--verbose", "--verbose", "--verbose"}, verbosity(3)},
		{"-vvvvv is capped at 3", []string{"-H", target, "-vvvvv"}, verbosity(3)},
		{"flags in any order", []string{"-v", "-p", "4", "-H", target, "-v"}, func(t *testing.T, cfg Config) {
			if cfg.Verbosity != 2 || cfg.Count != 4 || cfg.Target.String() != target {
				t.Errorf("cfg = %+v", cfg)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			cfg, err := Parse(tt.args, &buf, "test")
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			tt.check(t, cfg)
			if buf.Len() != 0 {
				t.Errorf("Parse wrote %q", buf.String())
			}
		})
	}
}

func schedule(count int, interval time.Duration) func(*testing.T, Config) {
	return func(t *testing.T, cfg Config) {
		t.Helper()
		if cfg.Count != count || cfg.Interval != interval {
			t.Errorf("Count, Interval = %d, %v, want %d probes %v apart", cfg.Count, cfg.Interval, count, interval)
		}
	}
}

func timeout(d time.Duration) func(*testing.T, Config) {
	return func(t *testing.T, cfg Config) {
		t.Helper()
		if cfg.Timeout != d {
			t.Errorf("Timeout = %v, want %v", cfg.Timeout, d)
		}
	}
}

func source(s string) func(*testing.T, Config) {
	return func(t *testing.T, cfg Config) {
		t.Helper()
		if cfg.Source != netip.MustParseAddr(s) {
			t.Errorf("Source = %v, want %s", cfg.Source, s)
		}
	}
}

func verbosity(v int) func(*testing.T, Config) {
	return func(t *testing.T, cfg Config) {
		t.Helper()
		if cfg.Verbosity != v {
			t.Errorf("Verbosity = %d, want %d", cfg.Verbosity, v)
		}
	}
}

func allowed(want map[mac.Addr]string) func(*testing.T, Config) {
	return func(t *testing.T, cfg Config) {
		t.Helper()
		l := cfg.Policy.Allowed
		if l.Len() != len(want) {
			t.Errorf("Allowed has %d entries (%v), want %d", l.Len(), l.Addrs(), len(want))
		}
		for a, label := range want {
			if !l.Allows(a) {
				t.Errorf("%s not allowed", a)
			} else if l.Label(a) != label {
				t.Errorf("label of %s = %q, want %q", a, l.Label(a), label)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.txt")
	// A FIFO with no writer: a plain open would block the check forever.
	fifo := filepath.Join(dir, "allow.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	badLine := writeFile(t, "bad.txt", "# allowlist\n02:00:00:00:00:10 node-a\nzz:00:00:00:00:11 node-b\n")
	threeWords := writeFile(t, "words.txt", "02:00:00:00:00:10 node a\n")
	conflict := writeFile(t, "conflict.txt", "02:00:00:00:00:10 node-b\n")
	longLine := writeFile(t, "long.txt", "02:00:00:00:00:10 "+strings.Repeat("x", 2000)+"\n")

	tests := []struct {
		name string
		args []string
		want []string // substrings of the message
	}{
		{"no arguments", nil, []string{"no target", "-H"}},
		{"no -H", []string{"-p", "3"}, []string{"-H"}},
		{"empty -H", []string{"-H", ""}, []string{"-H"}},
		{"-H without value", []string{"-H"}, []string{"--host"}},
		{"-H name", []string{"-H", "gateway.example"}, []string{`-H "gateway.example" is not an IP address`, "names are not resolved"}},
		{"-H CIDR with host bits", []string{"-H", target + "/24"}, []string{"has host bits set", "198.51.100.0/24"}},
		{"-H IPv6 link-local without interface", []string{"-H", "fe80::1"}, []string{"-H fe80::1 is a link-local address", "-I", "fe80::1%eth0"}},
		{"-H IPv6 zone and another -I", []string{"-H", "fe80::1%eth0", "-I", "eth1"}, []string{"-H fe80::1%eth0 names interface eth0 as its zone but -I names eth1"}},
		{"-H IPv6 multicast", []string{"-H", "ff02::1"}, []string{"-H ff02::1 is a multicast address", "give the unicast IPv6 address"}},
		{"-H IPv6 solicited-node multicast", []string{"-H", "ff02::1:ff00:10"}, []string{"is a multicast address"}},
		{"-H IPv6 unspecified", []string{"-H", "::"}, []string{"-H :: is the unspecified address", "give the unicast IPv6 address"}},
		{"-H IPv6 loopback", []string{"-H", "::1"}, []string{"-H ::1 is a loopback address"}},
		{"-S IPv4 for an IPv6 target", []string{"-H", "2001:db8::10", "-S", "198.51.100.1"}, []string{`-S "198.51.100.1" is not an IPv6 address`, "leave -S out"}},
		{"-S 0.0.0.0 for an IPv6 target", []string{"-H", "2001:db8::10", "-S", "0.0.0.0"}, []string{"is not an IPv6 address"}},
		{"-S :: for an IPv6 target", []string{"-H", "2001:db8::10", "-S", "::"}, []string{"-S :: would send duplicate address detection probes"}},
		{"-H multicast", []string{"-H", "224.0.0.1"}, []string{"-H 224.0.0.1 cannot own a MAC address"}},
		{"-H SSDP multicast", []string{"-H", "239.255.255.250"}, []string{"cannot own a MAC address"}},
		{"-H 0.0.0.0", []string{"-H", "0.0.0.0"}, []string{"-H 0.0.0.0 cannot own a MAC address"}},
		{"-H broadcast", []string{"-H", "255.255.255.255"}, []string{"-H 255.255.255.255 cannot own a MAC address"}},
		{"-H loopback", []string{"-H", "127.0.0.1"}, []string{"-H 127.0.0.1 is a loopback address"}},
		{"-H loopback range", []string{"-H", "127.1.2.3"}, []string{"loopback"}},
		{"-H mapped loopback", []string{"-H", "::ffff:127.0.0.1"}, []string{"-H 127.0.0.1 is a loopback address"}},
		{"-p 0", []string{"-H", target, "-p", "0"}, []string{"-p 0 is out of range", "between 1 and 100"}},
		{"-p 101", []string{"-H", target, "-p", "101"}, []string{"-p 101 is out of range"}},
		{"-p abc", []string{"-H", target, "-p", "abc"}, []string{"--packets", `"abc"`}},
		{"-p -1", []string{"-H", target, "-p", "-1"}, []string{"--packets"}},
		{"--count 0", []string{"-H", target, "--count", "0"}, []string{"-p 0 is out of range"}},
		{"-i 5ms", []string{"-H", target, "-i", "5ms"}, []string{"-i 5ms is too short", "at least 10ms"}},
		{"-i just under the minimum", []string{"-H", target, "-i", "0.0099"}, []string{"-i 9.9ms is too short"}},
		{"-i 0", []string{"-H", target, "-i", "0"}, []string{"--interval", "positive"}},
		{"-i 2h", []string{"-H", target, "-i", "2h"}, []string{"--interval", "longer than"}},
		{"-t equal to the schedule", []string{"-H", target, "-p", "3", "-i", "1s", "-t", "2"},
			[]string{"-t 2s is too short for 3 requests 1s apart", "raise -t above 2s"}},
		{"-t shorter than the schedule", []string{"-H", target, "-p", "100", "-t", "5"}, []string{"-t 5s is too short", "raise -t"}},
		{"-t 0", []string{"-H", target, "-t", "0"}, []string{"--timeout", "positive"}},
		{"-t -1", []string{"-H", target, "-t", "-1"}, []string{"--timeout"}},
		{"-t abc", []string{"-H", target, "-t", "abc"}, []string{"--timeout", `"abc" is not a duration`}},
		{"-t 10 s", []string{"-H", target, "-t", "10 s"}, []string{"--timeout"}},
		{"-e bad MAC", []string{"-H", target, "-e", "zz"}, []string{`-e "zz": not a MAC address`}},
		{"-e label first", []string{"-H", target, "-e", "node-a=02:00:00:00:00:10"}, []string{"not a MAC address"}},
		{"-e zero MAC", []string{"-H", target, "-e", "00:00:00:00:00:00"}, []string{"cannot answer ARP or NDP"}},
		{"-e bad label", []string{"-H", target, "-e", "02:00:00:00:00:10=a|b"}, []string{`-e "02:00:00:00:00:10=a|b"`, "contains"}},
		{"-e conflicting labels", []string{"-H", target, "-e", "02:00:00:00:00:10=node-a", "-e", "02:00:00:00:00:10=node-b"},
			[]string{`-e "02:00:00:00:00:10=node-b"`, `listed twice, as "node-a" and as "node-b"`}},
		{"-e conflicting labels, comma-separated", []string{"-H", target, "-e", "02:00:00:00:00:10=node-a,020000000010=node-b"},
			[]string{"listed twice"}},
		{"--expect-file missing", []string{"-H", target, "--expect-file", missing},
			[]string{"--expect-file " + missing + " cannot be read (no such file or directory)"}},
		{"--expect-file a FIFO", []string{"-H", target, "--expect-file", fifo},
			[]string{"--expect-file " + fifo + " is not a regular file"}},
		{"--expect-file a directory", []string{"-H", target, "--expect-file", dir},
			[]string{"--expect-file " + dir + " is not a regular file"}},
		{"--expect-file bad line", []string{"-H", target, "--expect-file", badLine},
			[]string{"--expect-file: " + badLine + ":3:", "not a MAC address"}},
		{"--expect-file three words", []string{"-H", target, "--expect-file", threeWords}, []string{threeWords + ":1:", "3 words"}},
		{"--expect-file label conflicts with -e", []string{"-H", target, "-e", "02:00:00:00:00:10=node-a", "--expect-file", conflict},
			[]string{conflict + ":1:", "listed twice"}},
		{"--expect-file long line", []string{"-H", target, "--expect-file", longLine}, []string{longLine + ":1:", "longer than"}},
		{"--expect-file directory", []string{"-H", target, "--expect-file", dir}, []string{"--expect-file"}},
		{"-w not a number", []string{"-H", target, "-w", "abc"}, []string{"-w: rta part of", "not a threshold range"}},
		{"-w three parts", []string{"-H", target, "-w", "1,2,3"}, []string{"-w:", "has 3 parts"}},
		{"-w percent in rta", []string{"-H", target, "-w", "10%,20"}, []string{"-w:", "takes no %"}},
		{"-w neither part", []string{"-H", target, "-w", ","}, []string{"-w:", "neither"}},
		{"-w bad loss", []string{"-H", target, "-w", "200,x%"}, []string{"-w: packet loss part"}},
		{"-c reversed range", []string{"-H", target, "-c", "20:10"}, []string{"-c:", "start is greater than the end"}},
		{"-c exponent", []string{"-H", target, "-c", "1e3"}, []string{"-c:"}},
		{"-S name", []string{"-H", target, "-S", "bad"}, []string{`-S "bad" is not an IPv4 address`, "0.0.0.0"}},
		{"-S IPv6", []string{"-H", target, "-S", "2001:db8::1"}, []string{`-S "2001:db8::1" is not an IPv4 address`}},
		{"unknown long flag", []string{"-H", target, "--bogus"}, []string{"unknown flag --bogus", "--help"}},
		{"unknown short flag", []string{"-H", target, "-x"}, []string{"unknown flag -x"}},
		{"positional argument", []string{"-H", target, "extra"}, []string{"unexpected argument extra"}},
		{"nagios-style -H before check", []string{target}, []string{"unexpected argument " + target}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Parse(tt.args, &buf, "test")
			msg := usageError(t, err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Parse(%q) error %q does not contain %q", tt.args, msg, w)
				}
			}
			if buf.Len() != 0 {
				t.Errorf("Parse wrote %q", buf.String())
			}
		})
	}
}

func TestParseOutputErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
		out  output.Format
	}{
		{[]string{"-H", target, "--output", "xml"}, `--output must be one of "nagios","checkmk","json","openmetrics" but got "xml"`, output.FormatNagios},
		{[]string{"-H", target, "--write", "/tmp/x"}, "--write takes the json or openmetrics output", output.FormatNagios},
		{[]string{"-H", target, "--output", "checkmk", "--write", "/tmp/x"}, "--write takes the json or openmetrics output", output.FormatCheckmk},
		{[]string{"-H", target, "--output", "json", "--write", "/tmp/"}, "--write /tmp/ names a directory", output.FormatJSON},
		// The format is known before a later mistake, which it reports.
		{[]string{"--output", "json", "-p", "0", "-H", target}, "-p 0 is out of range", output.FormatJSON},
		{[]string{"--output", "checkmk", "--no-such-flag"}, "unknown flag --no-such-flag", output.FormatCheckmk},
	}
	for _, tt := range tests {
		cfg, err := Parse(tt.args, io.Discard, "test")
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) || cfg.Output != tt.out {
			t.Errorf("Parse(%q): output %q, error %v; want %q and %q", tt.args, cfg.Output, err, tt.out, tt.want)
		}
	}
}

func TestParseHelpAndVersion(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"--help", []string{"--help"}, []string{
			"check_arp test\n\nUsage: check_arp -H ADDRESS [-I NAME] [-S ADDRESS] [-p N]",
			"       check_arp -h | -V\n",
			"-H, --hostname=ADDRESS", "--host is the same option", "--count is the same option",
			"--expect-file=FILE", "(1-100;", "default 3", "Exit codes"}},
		{"-h", []string{"-h"}, []string{"Usage: check_arp"}},
		{"--help after other flags", []string{"-H", target, "-p", "3", "--help"}, []string{"Usage: check_arp"}},
		{"--help with an invalid target", []string{"-H", "127.0.0.1", "--help"}, []string{"Usage: check_arp"}},
		{"-V", []string{"-V"}, []string{"check_arp test"}},
		{"--version", []string{"--version"}, []string{"check_arp test"}},
		{"-V with other flags", []string{"-H", target, "-V"}, []string{"check_arp test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Parse(tt.args, &buf, "test")
			if !errors.Is(err, ErrShown) {
				t.Fatalf("Parse(%q) error = %v, want ErrShown", tt.args, err)
			}
			var ue *UsageError
			if errors.As(err, &ue) {
				t.Errorf("ErrShown is also a UsageError")
			}
			// Help text is wrapped; compare words, lines for the synopsis.
			flat := strings.Join(strings.Fields(buf.String()), " ")
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) && !strings.Contains(flat, w) {
					t.Errorf("output does not contain %q:\n%s", w, buf.String())
				}
			}
		})
	}
	var buf bytes.Buffer
	if _, err := Parse([]string{"-V"}, &buf, "1.2.3"); !errors.Is(err, ErrShown) || buf.String() != "check_arp 1.2.3\n" {
		t.Errorf("-V: err %v, output %q", err, buf.String())
	}
}

func TestParseIsRepeatable(t *testing.T) {
	// Parse keeps no state between calls.
	args := []string{"-H", target, "-e", "02:00:00:00:00:10=node-a", "-v"}
	for i := 0; i < 3; i++ {
		var buf bytes.Buffer
		cfg, err := Parse(args, &buf, "test")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Policy.Allowed.Len() != 1 || cfg.Verbosity != 1 {
			t.Fatalf("call %d: cfg = %+v", i, cfg)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"-H 198.51.100.10",
		"-H 198.51.100.10 -p 5 -i 200ms -t 2.5 -v -v",
		"-H 198.51.100.10 -e 02:00:00:00:00:10=node-a,02:00:00:00:00:11 -w 200,40% -c 500,80%",
		"-H 198.51.100.10 -S 0.0.0.0 -I eth0 --count 3",
		"-H 2001:db8::1",
		"-H fe80::1%eth0 -S fe80::2",
		"-H ff02::1",
		"-H 198.51.100.10 -w @10:20,~:5%",
		"--help",
		"-V",
		"-H 198.51.100.10 --bogus",
		"-H 198.51.100.10 -p 3 -i 1s -t 2",
		"-H 198.51.100.10 --expect-file=missing.txt",
		"-H 198.51.100.10 -e 02:00:00:00:00:10=a -e 02:00:00:00:00:10=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bad := range []string{"/dev", "/proc", "/sys"} {
			// Reading a device or a FIFO as an allowlist file could block.
			if strings.Contains(s, bad) {
				t.Skip()
			}
		}
		args := strings.Split(s, " ")
		var buf bytes.Buffer
		_, err := Parse(args, &buf, "test")
		if err == nil || errors.Is(err, ErrShown) {
			return
		}
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("Parse(%q): error %q is a %T, not a *UsageError", args, err, err)
		}
		if strings.ContainsAny(ue.Error(), "\n\r") {
			t.Fatalf("Parse(%q): error message has a line break: %q", args, ue.Error())
		}
	})
}

// Every flag --help and the man page show has its help text, and every
// help text belongs to a flag: the texts live apart from the flags.
func TestEveryFlagHasItsHelp(t *testing.T) {
	app, err := Model("test")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for _, f := range app.Flags {
		seen[f.Name] = true
		if strings.TrimSpace(f.Help) == "" {
			t.Errorf("--%s has no help", f.Name)
		}
		if strings.Contains(f.Help, "${") {
			t.Errorf("--%s help keeps a variable: %q", f.Name, f.Help)
		}
	}
	for name := range flagHelp {
		if !seen[name] {
			t.Errorf("help for --%s, which is not a flag", name)
		}
	}
}
