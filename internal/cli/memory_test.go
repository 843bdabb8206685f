package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
	"github.com/check-arp/check_arp/internal/state"
	"github.com/check-arp/check_arp/internal/verdict"
)

func TestParseMemoryDefaults(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/srv/state")
	cfg, err := Parse([]string{"-H", target}, &bytes.Buffer{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StateDir != "/srv/state/check_arp" || cfg.StateDir != state.DefaultDir() {
		t.Errorf("StateDir = %q, want state.DefaultDir() %q", cfg.StateDir, state.DefaultDir())
	}
	if cfg.Flap != ownership.DefaultFlap {
		t.Errorf("Flap = %v, want %v", cfg.Flap, ownership.DefaultFlap)
	}
	if cfg.Policy.Moved != verdict.Warning {
		t.Errorf("Moved = %v, want WARNING", cfg.Policy.Moved)
	}
	if len(cfg.Policy.ExpectOwner) != 0 || cfg.Policy.ExpectOwnerName != "" {
		t.Errorf("ExpectOwner = %v %q, want none", cfg.Policy.ExpectOwner, cfg.Policy.ExpectOwnerName)
	}
}

func TestParseMemory(t *testing.T) {
	a, b, c := mustMAC(t, "02:00:00:00:00:10"), mustMAC(t, "02:00:00:00:00:11"), mustMAC(t, "02:00:00:00:00:12")
	allow := []string{"-e", "02:00:00:00:00:10=node-a,02:00:00:00:00:11=node-b"}
	allowFile := writeFile(t, "allow.txt", "02:00:00:00:00:10 node-a\n02:00:00:00:00:11 node-b\n02:00:00:00:00:12 node-a\n")
	dir := t.TempDir()
	tests := []struct {
		name      string
		args      []string
		stateDir  string
		moved     verdict.State
		flap      ownership.Flap
		expect    []mac.Addr
		expectFor string
	}{
		{"--state-dir", []string{"--state-dir", dir}, dir, verdict.Warning, ownership.DefaultFlap, nil, ""},
		{"relative --state-dir is kept", []string{"--state-dir", "state"}, "state", verdict.Warning, ownership.DefaultFlap, nil, ""},
		{"--no-state", []string{"--no-state"}, "", verdict.Warning, ownership.DefaultFlap, nil, ""},
		{"--no-state wins over --state-dir", []string{"--state-dir", dir, "--no-state"}, "", verdict.Warning, ownership.DefaultFlap, nil, ""},
		{"--moved ok", []string{"--state-dir", dir, "--moved", "ok"}, dir, verdict.OK, ownership.DefaultFlap, nil, ""},
		{"--moved CRITICAL", []string{"--state-dir", dir, "--moved=CRITICAL"}, dir, verdict.Critical, ownership.DefaultFlap, nil, ""},
		{"--moved warning", []string{"--state-dir", dir, "--moved", "warning"}, dir, verdict.Warning, ownership.DefaultFlap, nil, ""},
		{"--flap 5/30m", []string{"--state-dir", dir, "--flap", "5/30m"}, dir, verdict.Warning, ownership.Flap{Count: 5, Window: 30 * time.Minute}, nil, ""},
		{"--flap 10/1d", []string{"--state-dir", dir, "--flap", "10/1d"}, dir, verdict.Warning, ownership.Flap{Count: 10, Window: 24 * time.Hour}, nil, ""},
		{"--expect-owner label", append([]string{"--state-dir", dir, "--expect-owner", "node-b"}, allow...), dir, verdict.Warning, ownership.DefaultFlap, []mac.Addr{b}, "node-b"},
		{"--expect-owner label of two MACs", []string{"--state-dir", dir, "--expect-file", allowFile, "--expect-owner", "node-a"}, dir, verdict.Warning, ownership.DefaultFlap, []mac.Addr{a, c}, "node-a"},
		{"--expect-owner labelled MAC is named by its label", append([]string{"--state-dir", dir, "--expect-owner", "02-00-00-00-00-10"}, allow...), dir, verdict.Warning, ownership.DefaultFlap, []mac.Addr{a}, "node-a"},
		{"--expect-owner MAC without allowlist", []string{"--state-dir", dir, "--expect-owner", "02:00:00:00:00:12"}, dir, verdict.Warning, ownership.DefaultFlap, []mac.Addr{c}, "02:00:00:00:00:12"},
		{"--expect-owner with --no-state", append([]string{"--no-state", "--expect-owner", "node-a"}, allow...), "", verdict.Warning, ownership.DefaultFlap, []mac.Addr{a}, "node-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			cfg, err := Parse(append([]string{"-H", target}, tt.args...), &buf, "test")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.StateDir != tt.stateDir || cfg.Policy.Moved != tt.moved || cfg.Flap != tt.flap {
				t.Errorf("StateDir %q, Moved %v, Flap %v; want %q, %v, %v", cfg.StateDir, cfg.Policy.Moved, cfg.Flap, tt.stateDir, tt.moved, tt.flap)
			}
			if !slices.Equal(cfg.Policy.ExpectOwner, tt.expect) || cfg.Policy.ExpectOwnerName != tt.expectFor {
				t.Errorf("ExpectOwner %v %q, want %v %q", cfg.Policy.ExpectOwner, cfg.Policy.ExpectOwnerName, tt.expect, tt.expectFor)
			}
			if buf.Len() != 0 {
				t.Errorf("Parse wrote %q", buf.String())
			}
		})
	}
}

func TestParseMemoryErrors(t *testing.T) {
	allow := []string{"-e", "02:00:00:00:00:10=node-a,02:00:00:00:00:11=node-b,02:00:00:00:00:12"}
	var many []string
	for i := range 12 {
		many = append(many, "-e", fmt.Sprintf("02:00:00:00:01:%02x=node-%c", i, 'a'+i))
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"--moved bad", []string{"--moved", "sometimes"}, []string{`--moved "sometimes" is not a state`, "ok, warning or critical"}},
		{"--moved unknown", []string{"--moved", "unknown"}, []string{`--moved "unknown" is not a state`}},
		{"--moved empty", []string{"--moved", ""}, []string{`--moved "" is not a state`}},
		{"--flap without slash", []string{"--flap", "3"}, []string{`--flap "3" has no '/'`, "COUNT/DURATION, e.g. 3/1h"}},
		{"--flap count 1", []string{"--flap", "1/1h"}, []string{`--flap "1/1h": COUNT must be 2 to 256`, "--moved"}},
		{"--flap bad duration", []string{"--flap", "3/soon"}, []string{`--flap "3/soon": DURATION "soon" is not a duration`}},
		{"--flap window too long", []string{"--flap", "3/30d"}, []string{`--flap "3/30d": DURATION must be 1m to 7d`}},
		{"--flap control characters", []string{"--flap", "3/\x1b[2J"}, []string{`\x1b`}},
		{"--expect-owner unknown label", append([]string{"--expect-owner", "node-x"}, allow...), []string{`--expect-owner "node-x" is not a label of the allowlist (known: node-a, node-b)`, "give one of them or a MAC address"}},
		{"--expect-owner label, no allowlist", []string{"--expect-owner", "node-a"}, []string{`--expect-owner "node-a" is not a MAC address, and the allowlist has no labels`, "-e MAC=LABEL"}},
		{"--expect-owner label, unlabelled allowlist", []string{"--expect-owner", "node-a", "-e", "02:00:00:00:00:10"}, []string{"has no labels"}},
		{"--expect-owner MAC outside the allowlist", append([]string{"--expect-owner", "02:00:00:00:00:99"}, allow...), []string{"--expect-owner 02:00:00:00:00:99 is not in the allowlist", "-e 02:00:00:00:00:99=LABEL"}},
		{"--expect-owner many labels", append([]string{"--expect-owner", "node-z"}, many...), []string{"(known: node-a, node-b, node-c, node-d, node-e, node-f, node-g, node-h and 4 more)"}},
		{"--expect-owner without value", []string{"--expect-owner"}, []string{"--expect-owner needs a value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Parse(append([]string{"-H", target, "--state-dir", filepath.Join(t.TempDir(), "s")}, tt.args...), &buf, "test")
			msg := usageError(t, err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}
