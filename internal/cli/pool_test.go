package cli

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/pace"
)

func TestParsePool(t *testing.T) {
	hosts := writeFile(t, "pool.hosts", "# pool web\n198.51.100.20-198.51.100.22 web\n2001:db8::10 api-v6\n")
	tests := []struct {
		name   string
		args   []string
		want   []string // address[=label] in order
		rate   int
		iface  string
		target string
	}{
		{"comma-separated and repeated -H", []string{"-H", "198.51.100.10,198.51.100.12", "-H", "198.51.100.11"},
			[]string{"198.51.100.10", "198.51.100.12", "198.51.100.11"}, pace.DefaultRate, "", "198.51.100.10"},
		{"a range and a CIDR", []string{"-H", "198.51.100.10-198.51.100.11,198.51.100.64/31", "--rate", "500"},
			[]string{"198.51.100.10", "198.51.100.11", "198.51.100.64", "198.51.100.65"}, 500, "", "198.51.100.10"},
		{"hosts file with labels, after -H", []string{"-H", "198.51.100.10", "--hosts-file", hosts, "-I", "eth0"},
			[]string{"198.51.100.10", "198.51.100.20=web", "198.51.100.21=web", "198.51.100.22=web", "2001:db8::10=api-v6"}, pace.DefaultRate, "eth0", "198.51.100.10"},
		{"one address keeps its zone as interface", []string{"-H", "fe80::1%eth1"}, []string{"fe80::1"}, pace.DefaultRate, "eth1", "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(tt.args, io.Discard, "test")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range cfg.Targets {
				s := x.Addr.String()
				if x.Label != "" {
					s += "=" + x.Label
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("targets %v, want %v", got, tt.want)
			}
			if cfg.Rate != tt.rate || cfg.Interface != tt.iface || cfg.Target.String() != tt.target {
				t.Errorf("rate %d, interface %q, target %s; want %d, %q, %s", cfg.Rate, cfg.Interface, cfg.Target, tt.rate, tt.iface, tt.target)
			}
		})
	}
}

func TestParsePoolErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"--rate 0", []string{"-H", target, "--rate", "0"}, []string{"--rate 0 is out of range", "between 1 and 10000"}},
		{"--rate above the cap", []string{"-H", target, "--rate", "10001"}, []string{"--rate 10001 is out of range"}},
		{"a pool too long for -t", []string{"-H", "198.51.100.0/22", "-t", "2"},
			[]string{"-t 2s is too short for 1024 addresses with 3 requests each at --rate 1000", "take 3.096s", "raise -t"}},
		{"a pool fits with a longer -t", []string{"-H", "198.51.100.0/22", "-t", "3.1", "-p", "200"}, []string{"-p 200 is out of range"}},
		{"too many requests", []string{"-H", "2001:db8::/116", "-p", "5", "-t", "60"}, []string{"4096 addresses with 5 requests each make 20480 requests", "more than the 16384"}},
		{"-S of one family with both", []string{"-H", "198.51.100.10,2001:db8::10", "-S", "198.51.100.1"}, []string{"-S 198.51.100.1 is an IPv4 address but 2001:db8::10 is IPv6"}},
		{"bad range", []string{"-H", "198.51.100.10,198.51.100.20-198.51.100.10"}, []string{"ends before it starts"}},
		{"hosts file missing", []string{"--hosts-file", "/nonexistent/pool"}, []string{"--hosts-file /nonexistent/pool cannot be read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.args, io.Discard, "test")
			msg := usageError(t, err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
	// The longest pool that fits the default -t at the default rate.
	if _, err := Parse([]string{"-H", "198.51.100.0/24"}, io.Discard, "test"); err != nil {
		t.Errorf("a /24 at the defaults: %v", err)
	}
	if span := pace.NewPlan(256, 100*time.Millisecond, 1000).Span(256, 3); span >= time.Second {
		t.Errorf("a /24 takes %v to send", span)
	}
}
