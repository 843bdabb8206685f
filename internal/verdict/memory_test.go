package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
)

// The memory tests run in a zone other than UTC, as a monitoring host
// does: the times in the text are the host's.
var (
	zone    = time.FixedZone("CET", 3600)
	nowTime = time.Date(2026, 12, 1, 10, 32, 0, 0, zone)
)

// recordOwner is what memory holds after runs that saw owner, the last one
// at last.
func recordOwner(owner mac.Addr, since, last time.Time) ownership.Record {
	return ownership.Record{Owner: owner, Since: since, LastSeen: last, LastRun: last, LastOutcome: ownership.OutcomeOwner}
}

// memoryAfter records run (the draft's outcome at nowTime) on top of prev,
// as the caller does, and returns the Memory it hands Decide.
func memoryAfter(dr *Draft, prev ownership.Record, flap ownership.Flap) Memory {
	_, ev := ownership.Observe(prev, dr.RecordedAt(nowTime), flap)
	return Memory{Used: true, Events: ev, At: nowTime}
}

// remembered is the memory of a run that sees to after a check 58s earlier
// saw from.
func remembered(from, to mac.Addr) Memory {
	dr := Prepare(observe(3, healthy3(to)...), Policy{})
	return memoryAfter(dr, recordOwner(from, nowTime.Add(-time.Hour), nowTime.Add(-58*time.Second)), ownership.DefaultFlap)
}

// flappedBackTo is the memory of a run that sees m after the owner changed
// four times within the last half hour, back to m.
func flappedBackTo(m mac.Addr) Memory {
	other := macB
	if m == macB {
		other = macA
	}
	prev := recordOwner(m, nowTime.Add(-5*time.Minute), nowTime.Add(-time.Minute))
	prev.TotalChanges = 4
	prev.SinceObserved = true
	for i, at := range []time.Duration{30, 20, 10, 5} {
		from, to := m, other
		if i%2 == 1 {
			from, to = other, m
		}
		prev.Changes = append(prev.Changes, ownership.Change{At: nowTime.Add(-at * time.Minute), From: from, To: to})
	}
	dr := Prepare(observe(3, healthy3(m)...), Policy{})
	return memoryAfter(dr, prev, ownership.DefaultFlap)
}

func TestOutcome(t *testing.T) {
	flood := observe(3, healthy3(macA)...)
	flood.Unrecorded = 50
	floodSilent := observe(3)
	floodSilent.Unrecorded = 50
	tests := []struct {
		name    string
		obs     Observation
		pol     Policy
		outcome ownership.Outcome
		owner   mac.Addr
	}{
		{"one MAC answers every probe", observe(3, healthy3(macA)...), Policy{}, ownership.OutcomeOwner, macA},
		{"one MAC answers some probes", observe(3, rep(1, macA, us(400))), Policy{}, ownership.OutcomeOwner, macA},
		{"a MAC outside the allowlist holds it", observe(3, healthy3(macZ)...), policy("", "", nodeA), ownership.OutcomeOwner, macZ},
		{"failover during the check: the new owner", observe(3, rep(0, macA, us(400)), rep(1, macB, us(400)), rep(2, macB, us(400))), Policy{}, ownership.OutcomeOwner, macB},
		{"flapping during the check: the last owner", observe(3, rep(0, macA, us(400)), rep(1, macB, us(400)), rep(2, macA, us(400))), Policy{}, ownership.OutcomeOwner, macA},
		{"nobody answers", observe(3), Policy{}, ownership.OutcomeNoReply, mac.Addr{}},
		{"only announcements", announce(observe(3), macA, time.Millisecond), Policy{}, ownership.OutcomeNoReply, mac.Addr{}},
		{"two MACs answer every probe", observe(2, rep(0, macA, us(400)), rep(0, macB, us(400)), rep(1, macA, us(400)), rep(1, macB, us(400))), Policy{}, ownership.OutcomeSplitBrain, mac.Addr{}},
		{"two MACs answer one probe of three", observe(3, rep(0, macA, us(400)), rep(0, macB, us(400)), rep(1, macA, us(400)), rep(2, macA, us(400))), Policy{}, ownership.OutcomeSplitBrain, mac.Addr{}},
		{"flood with replies", flood, Policy{}, ownership.OutcomeFlood, mac.Addr{}},
		{"flood without replies", floodSilent, Policy{}, ownership.OutcomeFlood, mac.Addr{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, obs := range []Observation{tt.obs, asNDP(tt.obs)} {
				o, owner := Prepare(obs, tt.pol).Outcome()
				if o != tt.outcome || owner != tt.owner {
					t.Errorf("%s: Outcome() = %s %s, want %s %s", obs.Protocol, o, owner, tt.outcome, tt.owner)
				}
				run := Prepare(obs, tt.pol).RecordedAt(nowTime)
				if run.Outcome != tt.outcome || run.Owner != tt.owner || !run.At.Equal(nowTime) {
					t.Errorf("%s: RecordedAt = %+v", obs.Protocol, run)
				}
			}
		})
	}
}

func TestDecideWithMemory(t *testing.T) {
	allowAB := policy("", "", nodeA, nodeB)
	withMoved := func(p Policy, s State) Policy { p.Moved = s; return p }
	expect := func(p Policy, name string, macs ...mac.Addr) Policy {
		p.ExpectOwner, p.ExpectOwnerName = macs, name
		p.Moved = Warning
		return p
	}
	warnAB := withMoved(allowAB, Warning)
	// prev58 is a check 58s ago that saw node-a.
	prev58 := recordOwner(macA, nowTime.Add(-time.Hour), nowTime.Add(-58*time.Second))
	// prevSilent: node-a last seen 11m58s ago; the last check, 58s ago,
	// heard nobody.
	prevSilent := prev58
	prevSilent.LastSeen = nowTime.Add(-11*time.Minute - 58*time.Second)
	prevSilent.LastOutcome = ownership.OutcomeNoReply
	// prevYesterday: the last check was yesterday evening.
	prevYesterday := recordOwner(macA, nowTime.Add(-48*time.Hour), time.Date(2026, 11, 30, 23, 59, 58, 0, zone))
	// flapped: node-a to node-b at 10:02, back at 10:12, and node-a
	// holds it since.
	flapped := recordOwner(macA, nowTime.Add(-20*time.Minute), nowTime.Add(-time.Minute))
	flapped.TotalChanges, flapped.SinceObserved = 7, true
	flapped.Changes = []ownership.Change{
		{At: nowTime.Add(-30 * time.Minute), From: macA, To: macB},
		{At: nowTime.Add(-20 * time.Minute), From: macB, To: macA},
	}
	// flappedMany: five changes within the hour, the last back to
	// node-a.
	flappedMany := recordOwner(macA, nowTime.Add(-5*time.Minute), nowTime.Add(-time.Minute))
	flappedMany.TotalChanges, flappedMany.SinceObserved = 5, true
	for i, m := range []time.Duration{50, 40, 30, 20, 5} {
		from, to := macB, macA
		if i%2 == 1 {
			from, to = macA, macB
		}
		flappedMany.Changes = append(flappedMany.Changes, ownership.Change{At: nowTime.Add(-m * time.Minute), From: from, To: to})
	}
	failover := observe(3, rep(0, macA, us(400)), rep(1, macB, us(400)), rep(2, macB, us(400)))
	split := observe(2, rep(0, macA, us(400)), rep(0, macB, us(400)), rep(1, macA, us(400)), rep(1, macB, us(400)))

	const (
		aLabel = sA + " (node-a)"
		bLabel = sB + " (node-b)"
	)
	tests := []struct {
		name     string
		obs      Observation
		pol      Policy
		prev     ownership.Record
		flap     ownership.Flap
		problem  string
		state    State
		findings string
	}{
		// First run and steady owner: memory says nothing.
		{"first run", observe(3, healthy3(macA)...), warnAB, ownership.Record{}, ownership.DefaultFlap, "",
			OK, "is at " + aLabel},
		{"same owner as last check", observe(3, healthy3(macA)...), warnAB, prev58, ownership.DefaultFlap, "",
			OK, "is at " + aLabel},

		// Moved.
		{"moved since the last check", observe(3, healthy3(macB)...), warnAB, prev58, ownership.DefaultFlap, "",
			Warning, "moved from " + aLabel + " to " + bLabel + " since the last check at 10:31:02 (58s ago)"},
		{"moved, --moved ok keeps the text", observe(3, healthy3(macB)...), withMoved(allowAB, OK), prev58, ownership.DefaultFlap, "",
			OK, "moved from " + aLabel + " to " + bLabel + " since the last check at 10:31:02 (58s ago)"},
		{"moved, --moved critical", observe(3, healthy3(macB)...), withMoved(allowAB, Critical), prev58, ownership.DefaultFlap, "",
			Critical, "moved from " + aLabel + " to " + bLabel + " since the last check at 10:31:02 (58s ago)"},
		{"moved without allowlist", observe(3, healthy3(macB)...), Policy{Moved: Warning}, prev58, ownership.DefaultFlap, "",
			Warning, "moved from " + sA + " to " + sB + " since the last check at 10:31:02 (58s ago)"},
		{"moved after a check that heard nobody", observe(3, healthy3(macB)...), warnAB, prevSilent, ownership.DefaultFlap, "",
			Warning, "moved from " + aLabel + " to " + bLabel + " since node-a was last seen at 10:20:02 (11m58s ago)"},
		{"moved since a check yesterday", observe(3, healthy3(macB)...), warnAB, prevYesterday, ownership.DefaultFlap, "",
			Warning, "moved from " + aLabel + " to " + bLabel + " since the last check at 2026-11-30 23:59:58 (10h32m ago)"},
		{"moved to a MAC outside the allowlist", observe(3, healthy3(macZ)...), warnAB, prev58, ownership.DefaultFlap, "",
			Critical, "is claimed by " + sZ + " (not in the allowlist), expected " + aLabel + " and " + bLabel +
				"; moved from " + aLabel + " to " + sZ + " (not allowed) since the last check at 10:31:02 (58s ago)"},
		{"moved during the check: the check's own finding says so", failover, warnAB, prev58, ownership.DefaultFlap, "",
			Warning, "moved from " + aLabel + " to " + bLabel + " during the check (failover)"},
		{"split brain: no owner to compare", split, warnAB, prev58, ownership.DefaultFlap, "",
			Critical, "is answered by 2 MACs at once in 2 of 2 probes (split brain): " + aLabel + " and " + bLabel},
		{"silent: no owner to compare", observe(3), warnAB, prev58, ownership.DefaultFlap, "",
			Critical, "did not answer"},

		// FlappingOverTime.
		{"third change within the hour", observe(3, healthy3(macB)...), warnAB, flapped, ownership.DefaultFlap, "",
			Critical, "changed owner 3 times within 1h (flapping): node-a to node-b at 10:02:00, node-b to node-a at 10:12:00 and node-a to node-b at 10:32:00" +
				"; moved from " + aLabel + " to " + bLabel + " since the last check at 10:31:00 (1m ago)"},
		{"third change, --moved ok: still flapping", observe(3, healthy3(macB)...), withMoved(allowAB, OK), flapped, ownership.DefaultFlap, "",
			Critical, "changed owner 3 times within 1h (flapping): node-a to node-b at 10:02:00, node-b to node-a at 10:12:00 and node-a to node-b at 10:32:00" +
				"; moved from " + aLabel + " to " + bLabel + " since the last check at 10:31:00 (1m ago)"},
		{"flapping stays while the changes are in the window", observe(3, healthy3(macA)...), warnAB, flappedMany, ownership.DefaultFlap, "",
			Critical, "changed owner 5 times within 1h (flapping), the last 3: node-b to node-a at 10:02:00, node-a to node-b at 10:12:00 and node-b to node-a at 10:27:00; is at " + aLabel},
		{"two changes are under --flap 3/1h", observe(3, healthy3(macA)...), warnAB, flapped, ownership.DefaultFlap, "",
			OK, "is at " + aLabel},
		{"two changes reach --flap 2/1h", observe(3, healthy3(macA)...), warnAB, flapped, ownership.Flap{Count: 2, Window: time.Hour}, "",
			Critical, "changed owner 2 times within 1h (flapping): node-a to node-b at 10:02:00 and node-b to node-a at 10:12:00; is at " + aLabel},
		{"changes outside --flap 2/15m", observe(3, healthy3(macA)...), warnAB, flapped, ownership.Flap{Count: 2, Window: 15 * time.Minute}, "",
			OK, "is at " + aLabel},

		// ExpectedOwner (with memory or without).
		{"expected owner holds it", observe(3, healthy3(macA)...), expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "",
			OK, "is at " + aLabel},
		{"another allowed node holds it", observe(3, healthy3(macB)...), expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "",
			Warning, "is held by node-b, expected node-a"},
		{"another allowed node took it since the last check", observe(3, healthy3(macB)...), expect(allowAB, "node-a", macA), prev58, ownership.DefaultFlap, "",
			Warning, "moved from " + aLabel + " to " + bLabel + " since the last check at 10:31:02 (58s ago); is held by node-b, expected node-a"},
		{"expected by label, several MACs share it", observe(3, healthy3(macC)...), expect(policy("", "", nodeA, entry{macC, "node-a"}, nodeB), "node-a", macA, macC), ownership.Record{}, ownership.DefaultFlap, "",
			OK, "is at " + sC + " (node-a)"},
		{"expected by MAC without allowlist", observe(3, healthy3(macB)...), expect(Policy{}, sA, macA), ownership.Record{}, ownership.DefaultFlap, "",
			Warning, "is held by " + sB + ", expected " + sA},
		{"a MAC outside the allowlist stays CRITICAL", observe(3, healthy3(macZ)...), expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "",
			Critical, "is claimed by " + sZ + " (not in the allowlist), expected " + aLabel + " and " + bLabel},
		{"split brain including the expected owner", split, expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "",
			Critical, "is answered by 2 MACs at once in 2 of 2 probes (split brain): " + aLabel + " and " + bLabel},
		{"expected owner silent", observe(3), expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "",
			Critical, "did not answer"},
		{"failover during the check away from the expected owner", failover, expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "",
			Warning, "moved from " + aLabel + " to " + bLabel + " during the check (failover); is held by node-b, expected node-a"},

		// StateProblem never hides the Layer 2 verdict.
		{"state problem beside OK", observe(3, healthy3(macA)...), warnAB, ownership.Record{}, ownership.DefaultFlap, "state not saved: /x is a symbolic link",
			Warning, "has no memory between runs: state not saved: /x is a symbolic link; is at " + aLabel},
		{"state problem beside CRITICAL", observe(3), warnAB, ownership.Record{}, ownership.DefaultFlap, "state not saved: /x is a symbolic link",
			Critical, "did not answer; has no memory between runs: state not saved: /x is a symbolic link"},
		{"state problem beside a wrong owner", observe(3, healthy3(macB)...), expect(allowAB, "node-a", macA), ownership.Record{}, ownership.DefaultFlap, "state not saved: /x is a symbolic link",
			Warning, "is held by node-b, expected node-a; has no memory between runs: state not saved: /x is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, obs := range []Observation{tt.obs, asNDP(tt.obs)} {
				dr := Prepare(obs, tt.pol)
				mem := Memory{Problem: tt.problem}
				if tt.problem == "" {
					mem = memoryAfter(dr, tt.prev, tt.flap)
				}
				r := dr.Decide(mem)
				checkInvariants(t, obs, r)
				if r.State != tt.state || findingsText(r) != tt.findings {
					t.Errorf("%s:\n got: %v %s\nwant: %v %s", obs.Protocol, r.State, findingsText(r), tt.state, tt.findings)
				}
				if r.Facts.Memory.Used != (tt.problem == "") || r.Facts.Memory.Problem != tt.problem {
					t.Errorf("%s: Facts.Memory = %+v", obs.Protocol, r.Facts.Memory)
				}
				// Without memory the verdict is the one of the wire alone:
				// memory only adds findings.
				without := Decide(obs, tt.pol)
				if r.State < without.State {
					t.Errorf("%s: memory lowered %v to %v", obs.Protocol, without.State, r.State)
				}
			}
		})
	}
}

// TestMemoryWithoutStateSaysNothing: the zero Memory (--no-state) and a
// reset add no finding.
func TestMemoryWithoutStateSaysNothing(t *testing.T) {
	obs := observe(3, healthy3(macA)...)
	pol := policy("", "", nodeA)
	pol.Moved = Warning
	base := findingsText(Decide(obs, pol))
	dr := Prepare(obs, pol)
	for _, mem := range []Memory{{}, {Reset: "/x is truncated"}} {
		if got := findingsText(dr.Decide(mem)); got != base {
			t.Errorf("memory %+v: findings %q, want %q", mem, got, base)
		}
	}
	reset := memoryAfter(dr, ownership.Record{}, ownership.DefaultFlap)
	reset.Reset = "/x is truncated"
	r := dr.Decide(reset)
	if findingsText(r) != base || r.Facts.Memory.Reset != "/x is truncated" {
		t.Errorf("reset: findings %q, facts %+v", findingsText(r), r.Facts.Memory)
	}
}

// TestDraftDecidesTwice: a Draft is not consumed by Decide.
func TestDraftDecidesTwice(t *testing.T) {
	dr := Prepare(observe(3, healthy3(macB)...), Policy{Moved: Warning})
	moved := dr.Decide(remembered(macA, macB))
	plain := dr.Decide(Memory{})
	if moved.State != Warning || plain.State != OK || plain.Facts.Memory.Used {
		t.Errorf("moved %v %q, plain %v %q", moved.State, findingsText(moved), plain.State, findingsText(plain))
	}
}

func TestSpan(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {-5 * time.Second, "0s"}, {400 * time.Millisecond, "0s"}, {600 * time.Millisecond, "1s"},
		{58 * time.Second, "58s"}, {time.Minute, "1m"}, {4*time.Minute + 12*time.Second, "4m12s"},
		{time.Hour, "1h"}, {time.Hour + 30*time.Second, "1h"}, {3*time.Hour + 5*time.Minute + 40*time.Second, "3h5m"},
		{24 * time.Hour, "1d"}, {50 * time.Hour, "2d2h"}, {7*24*time.Hour + time.Minute, "7d"},
	} {
		if got := Span(tt.d); got != tt.want {
			t.Errorf("Span(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestClockInTheHostsZone(t *testing.T) {
	// The state file holds UTC; the text speaks the host's time.
	prev := time.Date(2026, 12, 1, 9, 31, 2, 0, time.UTC)
	if got := ago(prev, nowTime); got != "10:31:02 (58s ago)" {
		t.Errorf("ago = %q", got)
	}
	if got := clock(prev.Add(-24*time.Hour), nowTime); got != "2026-11-30 10:31:02" {
		t.Errorf("clock a day before = %q", got)
	}
	if !strings.Contains(ago(nowTime.Add(time.Minute), nowTime), "(0s ago)") {
		t.Errorf("a time after now (clock set back) is not 0s ago")
	}
}
