package report

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/check"
	"github.com/check-arp/check_arp/internal/cli"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/verdict"
)

func healthy() verdict.Result {
	a := mac.Addr{2, 0, 0, 0, 0, 0x0a}
	return verdict.Decide(verdict.Observation{
		Protocol:   "ARP",
		Target:     netip.MustParseAddr("198.51.100.10"),
		Interface:  "eth0",
		ProbesSent: []time.Duration{0, 100 * time.Millisecond},
		Replies: []verdict.Reply{
			{Probe: 0, MAC: a, RTT: 400 * time.Microsecond},
			{Probe: 1, MAC: a, RTT: 600 * time.Microsecond},
		},
		Elapsed: 101 * time.Millisecond,
	}, verdict.Policy{})
}

func TestResultOneLineWithPerfdata(t *testing.T) {
	var b bytes.Buffer
	code := Result(&b, healthy(), 0)
	want := "ARP OK - 198.51.100.10 is at 02:00:00:00:00:0a on eth0: 2/2 replies, rta 0.5ms | " +
		"'gratuitous'=0;;;0; 'mac_changes'=0;;;0; 'macs'=1;;;0; 'multi_mac_probes'=0;;;0; 'pl'=0%;;;0;100 " +
		"'received'=2;;;0;2 'rta'=0.5ms;;;0; 'rtmax'=0.6ms;;;0; 'rtmin'=0.4ms;;;0; 'sent'=2;;;0; 'spoofed'=0;;;0; 'time'=0.101s;;;0; 'unexpected_macs'=0;;;0; \n"
	if code != 0 || b.String() != want {
		t.Fatalf("exit %d, output\n%q\nwant\n%q", code, b.String(), want)
	}
}

func TestResultLongOutputKeepsPerfdataLast(t *testing.T) {
	var b bytes.Buffer
	Result(&b, healthy(), 1)
	lines := strings.Split(strings.TrimRight(b.String(), " \n"), "\n")
	if !strings.HasPrefix(lines[0], "ARP OK - ") || strings.Contains(lines[0], "|") {
		t.Fatalf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, " | 'gratuitous'=0") {
		t.Fatalf("last line %q, want the perfdata", last)
	}
	if !strings.Contains(b.String(), "probe 2 at +100ms: 02:00:00:00:00:0a in 0.6ms") {
		t.Fatalf("no timeline in %q", b.String())
	}
}

func TestErrorIsOneUnknownLine(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("interface eth9 does not exist"), "ARP UNKNOWN - interface eth9 does not exist\n"},
		{fmt.Errorf("wrapped: %w", errors.New("a | b\nc")), "ARP UNKNOWN - wrapped: a / b c\n"},
		{&check.Error{Protocol: verdict.ProtocolARP, Err: errors.New("eth0 has no IPv4 address")}, "ARP UNKNOWN - eth0 has no IPv4 address\n"},
		{&check.Error{Protocol: verdict.ProtocolNDP, Err: errors.New("IPv6 is disabled on eth0")}, "NDP UNKNOWN - IPv6 is disabled on eth0\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if code := Error(&b, tt.err); code != 3 || b.String() != tt.want {
			t.Errorf("Error(%v): exit %d, %q; want 3, %q", tt.err, code, b.String(), tt.want)
		}
	}
	var b bytes.Buffer
	_, err := cli.Parse([]string{"-p", "0", "-H", "198.51.100.10"}, &b, "test")
	b.Reset()
	if code := Error(&b, err); code != 3 || !strings.HasPrefix(b.String(), "UNKNOWN - -p 0 is out of range") {
		t.Errorf("usage error: exit %d, %q", code, b.String())
	}
	b.Reset()
	if code := Error(&b, cli.ErrShown); code != 3 || b.Len() != 0 {
		t.Errorf("after help: exit %d, printed %q", code, b.String())
	}
}

func TestOnPanicReportsUnknown(t *testing.T) {
	var b bytes.Buffer
	code := -1
	func() {
		defer OnPanic(&b, func(c int) { code = c })
		var s []int
		_ = s[len(os.Args)+5] // an index out of range: a real runtime panic
	}()
	if code != 3 || !strings.HasPrefix(b.String(), "ARP UNKNOWN - internal error: runtime error: index out of range") {
		t.Fatalf("exit %d, output %q", code, b.String())
	}
	b.Reset()
	code = -1
	func() { defer OnPanic(&b, func(c int) { code = c }) }()
	if code != -1 || b.Len() != 0 {
		t.Fatal("OnPanic acted without a panic")
	}
}
