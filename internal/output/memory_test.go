package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/ownership"
	"github.com/check-arp/check_arp/internal/verdict"
)

var (
	memZone = time.FixedZone("CET", 3600)
	memNow  = time.Date(2026, 12, 1, 10, 32, 0, 0, memZone)
)

// withMemory decides obs under pol after prev, as the check does with
// memory: this run is recorded at memNow.
func withMemory(obs verdict.Observation, pol verdict.Policy, prev ownership.Record, reset string) verdict.Result {
	dr := verdict.Prepare(obs, pol)
	_, ev := ownership.Observe(prev, dr.RecordedAt(memNow), ownership.DefaultFlap)
	return dr.Decide(verdict.Memory{Used: true, Events: ev, At: memNow, Reset: reset})
}

func TestMemoryPerfdata(t *testing.T) {
	pol := policy("", "", nodeA, nodeB)
	pol.Moved = verdict.Warning
	seenA := ownership.Record{Owner: macA, Since: memNow.Add(-time.Hour), LastSeen: memNow.Add(-time.Minute),
		LastRun: memNow.Add(-time.Minute), LastOutcome: ownership.OutcomeOwner, TotalChanges: 41}
	tests := []struct {
		name string
		r    verdict.Result
		perf string // overrides of healthyPerf
	}{
		{"without memory", verdict.Decide(observe(3, healthy3(macA)...), pol), ""},
		{"state problem", verdict.Prepare(observe(3, healthy3(macA)...), pol).Decide(verdict.Memory{Problem: "state not saved: x"}), ""},
		{"first run", withMemory(observe(3, healthy3(macA)...), pol, ownership.Record{}, ""), "owner_changes=0c owner_age=0s"},
		{"same owner for an hour", withMemory(observe(3, healthy3(macA)...), pol, seenA, ""), "owner_changes=41c owner_age=3600s"},
		{"moved: the counter grows, the age starts over", withMemory(observe(3, healthy3(macB)...), pol, seenA, ""), "owner_changes=42c owner_age=0s"},
		{"silent: the owner's age goes on", withMemory(observe(3), pol, seenA, ""),
			"rta=- rtmin=- rtmax=- pl=100% received=0 macs=0 owner_changes=41c owner_age=3600s"},
		{"silent, no owner ever seen", withMemory(observe(3), pol, ownership.Record{}, ""),
			"rta=- rtmin=- rtmax=- pl=100% received=0 macs=0 owner_changes=0c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := perfString(Perfdata(tt.r)), wantPerf(t, tt.perf); got != want {
				t.Errorf("perfdata\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestMemoryLongOutput(t *testing.T) {
	pol := policy("", "", nodeA, nodeB)
	pol.Moved = verdict.Warning
	seenA := ownership.Record{Owner: macA, Since: memNow.Add(-time.Hour), SinceObserved: true, LastSeen: memNow.Add(-58 * time.Second),
		LastRun: memNow.Add(-58 * time.Second), LastOutcome: ownership.OutcomeOwner, TotalChanges: 2}
	tests := []struct {
		name      string
		r         verdict.Result
		verbosity int
		want      []string
	}{
		{"a reset shows even on OK", withMemory(observe(3, healthy3(macA)...), pol, ownership.Record{}, "/s/arp_198.51.100.10_eth0.json is truncated"), 0,
			[]string{sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.3-0.5ms", "memory reset: /s/arp_198.51.100.10_eth0.json is truncated"}},
		{"a lock that stayed busy is a note, even on OK", func() verdict.Result {
			dr := verdict.Prepare(observe(3, healthy3(macA)...), pol)
			_, ev := ownership.Observe(seenA, dr.RecordedAt(memNow), ownership.DefaultFlap)
			return dr.Decide(verdict.Memory{Used: true, Events: ev, At: memNow, Note: "memory not updated: busy"})
		}(), 0,
			[]string{sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.3-0.5ms", "memory not updated: busy"}},
		{"steady owner, -v", withMemory(observe(3, healthy3(macA)...), pol, seenA, ""), 1,
			[]string{sA + " (node-a) answered probes 1-3 with 3 replies, rtt 0.3-0.5ms",
				"probe 1 at +0ms: " + sA + " (node-a) in 0.3ms", "probe 2 at +100ms: " + sA + " (node-a) in 0.4ms", "probe 3 at +200ms: " + sA + " (node-a) in 0.5ms",
				"memory: owner " + sA + " (node-a) for 1h, 0 changes of owner within 1h, 2 in total; the last check at 10:31:02 (58s ago) saw one owner"}},
		{"first run, -v: the takeover was not seen", withMemory(observe(1, rep(0, macA, us(300))), pol, ownership.Record{}, ""), 1,
			[]string{sA + " (node-a) answered probe 1 with 1 reply, rtt 0.3ms", "probe 1 at +0ms: " + sA + " (node-a) in 0.3ms",
				"memory: owner " + sA + " (node-a) for at least 0s, 0 changes of owner within 1h, 0 in total; this is the first check remembered"}},
		{"moved, -v", withMemory(observe(1, rep(0, macB, us(300))), pol, seenA, ""), 1,
			[]string{sB + " (node-b) answered probe 1 with 1 reply, rtt 0.3ms", "allowed: " + sA + " (node-a) and " + sB + " (node-b)",
				"probe 1 at +0ms: " + sB + " (node-b) in 0.3ms",
				"memory: owner " + sB + " (node-b) for 0s, 1 change of owner within 1h, 3 in total; the last check at 10:31:02 (58s ago) saw one owner"}},
		{"silent after a split brain, -v", withMemory(observe(1), pol, ownership.Record{LastRun: memNow.Add(-time.Minute), LastOutcome: ownership.OutcomeSplitBrain}, ""), 1,
			[]string{"allowed: " + sA + " (node-a) and " + sB + " (node-b)", "probe 1 at +0ms: no reply",
				"memory: no owner seen yet, 0 changes of owner within 1h, 0 in total; the last check at 10:31:00 (1m ago) saw a split brain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := LongOutput(tt.r, tt.verbosity), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("LongOutput\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestMemoryNagiosOutput(t *testing.T) {
	pol := policy("", "", nodeA, nodeB)
	pol.Moved = verdict.Warning
	seenA := ownership.Record{Owner: macA, Since: memNow.Add(-time.Hour), LastSeen: memNow.Add(-58 * time.Second),
		LastRun: memNow.Add(-58 * time.Second), LastOutcome: ownership.OutcomeOwner}
	var b bytes.Buffer
	code := Nagios(&b, withMemory(observe(3, healthy3(macB)...), pol, seenA, ""), 0)
	first, _, _ := strings.Cut(b.String(), "\n")
	first, _, _ = strings.Cut(first, " | ")
	want := "ARP WARNING - 198.51.100.10 moved from " + sA + " (node-a) to " + sB + " (node-b) since the last check at 10:31:02 (58s ago) on eth0: 3/3 replies, rta 0.4ms"
	if code != 1 || strings.TrimSpace(first) != want {
		t.Errorf("exit %d, first line\n%q\nwant\n%q", code, first, want)
	}
	if !strings.Contains(b.String(), " owner_changes=1c;;;0 ") || !strings.Contains(b.String(), " owner_age=0s;;;0 ") {
		t.Errorf("perfdata of the move missing in %q", b.String())
	}
}
