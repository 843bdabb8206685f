package ownership

import (
	"slices"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
)

var (
	t0 = time.Date(2025, 3, 1, 10, 30, 0, 0, time.UTC)
	a  = mac.Addr{2, 0, 0, 0, 0, 0x0a}
	b  = mac.Addr{2, 0, 0, 0, 0, 0x0b}
	c  = mac.Addr{2, 0, 0, 0, 0, 0x0c}
)

func owner(at time.Duration, m mac.Addr) Run {
	return Run{At: t0.Add(at), Outcome: OutcomeOwner, Owner: m}
}

func other(at time.Duration, o Outcome) Run { return Run{At: t0.Add(at), Outcome: o} }

// want is what the last run of a sequence must report. Fields left zero
// are checked as zero: a test states every event it expects.
type want struct {
	remembered    bool
	prevRun       time.Duration // from t0; -1: zero time
	prevOutcome   Outcome
	moved         bool
	from, to      mac.Addr
	fromLastSeen  time.Duration
	owner         mac.Addr // zero: no owner known
	age           time.Duration
	observed      bool
	changes       uint64
	window        int
	flapping      bool
	historyLen    int
	lastOutcome   Outcome
	lastSeenDelta time.Duration // LastSeen from t0; -1: zero time
}

func TestObserveSequences(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name string
		flap Flap
		runs []Run
		want want
	}{
		{"first run, one owner", DefaultFlap, []Run{owner(0, a)},
			want{prevRun: -1, owner: a, lastOutcome: OutcomeOwner}},
		{"first run, no reply", DefaultFlap, []Run{other(0, OutcomeNoReply)},
			want{prevRun: -1, lastOutcome: OutcomeNoReply, lastSeenDelta: -1}},
		{"same owner a minute later", DefaultFlap, []Run{owner(0, a), owner(m, a)},
			want{remembered: true, prevOutcome: OutcomeOwner, owner: a, age: m, lastOutcome: OutcomeOwner, lastSeenDelta: m}},
		{"moved on the next run", DefaultFlap, []Run{owner(0, a), owner(m, b)},
			want{remembered: true, prevOutcome: OutcomeOwner, moved: true, from: a, to: b, owner: b, observed: true,
				changes: 1, window: 1, historyLen: 1, lastOutcome: OutcomeOwner, lastSeenDelta: m}},
		{"moved is reported once", DefaultFlap, []Run{owner(0, a), owner(m, b), owner(2*m, b)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeOwner, owner: b, age: m, observed: true,
				changes: 1, window: 1, historyLen: 1, lastOutcome: OutcomeOwner, lastSeenDelta: 2 * m}},
		{"moved across a silent run: last check is the silent one, the old owner's last sighting the one before",
			DefaultFlap, []Run{owner(0, a), other(m, OutcomeNoReply), owner(2*m, b)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeNoReply, moved: true, from: a, to: b, fromLastSeen: 0,
				owner: b, observed: true, changes: 1, window: 1, historyLen: 1, lastOutcome: OutcomeOwner, lastSeenDelta: 2 * m}},
		{"split brain keeps the owner", DefaultFlap, []Run{owner(0, a), other(m, OutcomeSplitBrain)},
			want{remembered: true, prevOutcome: OutcomeOwner, owner: a, age: m, lastOutcome: OutcomeSplitBrain}},
		{"flood keeps the owner and its last sighting", DefaultFlap, []Run{owner(0, a), other(m, OutcomeFlood), other(2*m, OutcomeFlood)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeFlood, owner: a, age: 2 * m, lastOutcome: OutcomeFlood}},
		{"back to the same owner after a split brain is not a move", DefaultFlap,
			[]Run{owner(0, a), other(m, OutcomeSplitBrain), owner(2*m, a)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeSplitBrain, owner: a, age: 2 * m, lastOutcome: OutcomeOwner, lastSeenDelta: 2 * m}},
		{"owner first seen after silent runs is not a move", DefaultFlap,
			[]Run{other(0, OutcomeNoReply), other(m, OutcomeNoReply), owner(2*m, a)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeNoReply, owner: a, lastOutcome: OutcomeOwner, lastSeenDelta: 2 * m}},
		{"an owner run with the zero MAC names no owner", DefaultFlap, []Run{owner(0, a), owner(m, mac.Addr{})},
			want{remembered: true, prevOutcome: OutcomeOwner, owner: a, age: m, lastOutcome: OutcomeOwner}},
		{"two changes within the hour: not flapping at 3/1h", DefaultFlap,
			[]Run{owner(0, a), owner(m, b), owner(2*m, a)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeOwner, moved: true, from: b, to: a, fromLastSeen: m,
				owner: a, observed: true, changes: 2, window: 2, historyLen: 2, lastOutcome: OutcomeOwner, lastSeenDelta: 2 * m}},
		{"three changes within the hour: flapping at 3/1h", DefaultFlap,
			[]Run{owner(0, a), owner(m, b), owner(2*m, a), owner(3*m, c)},
			want{remembered: true, prevRun: 2 * m, prevOutcome: OutcomeOwner, moved: true, from: a, to: c, fromLastSeen: 2 * m,
				owner: c, observed: true, changes: 3, window: 3, flapping: true, historyLen: 3, lastOutcome: OutcomeOwner, lastSeenDelta: 3 * m}},
		{"flapping lasts while the changes are in the window", DefaultFlap,
			[]Run{owner(0, a), owner(m, b), owner(2*m, a), owner(3*m, b), owner(30*m, b)},
			want{remembered: true, prevRun: 3 * m, prevOutcome: OutcomeOwner, owner: b, age: 27 * m, observed: true,
				changes: 3, window: 3, flapping: true, historyLen: 3, lastOutcome: OutcomeOwner, lastSeenDelta: 30 * m}},
		{"flapping ends when the changes leave the window", DefaultFlap,
			[]Run{owner(0, a), owner(m, b), owner(2*m, a), owner(3*m, b), owner(62*m, b)},
			want{remembered: true, prevRun: 3 * m, prevOutcome: OutcomeOwner, owner: b, age: 59 * m, observed: true,
				changes: 3, window: 1, historyLen: 3, lastOutcome: OutcomeOwner, lastSeenDelta: 62 * m}},
		{"three changes spread over three hours: not flapping at 3/1h", DefaultFlap,
			[]Run{owner(0, a), owner(60*m, b), owner(120*m, a), owner(180*m, b)},
			want{remembered: true, prevRun: 120 * m, prevOutcome: OutcomeOwner, moved: true, from: a, to: b, fromLastSeen: 120 * m,
				owner: b, observed: true, changes: 3, window: 1, historyLen: 3, lastOutcome: OutcomeOwner, lastSeenDelta: 180 * m}},
		{"the same three changes flap at 3/4h", Flap{3, 4 * time.Hour},
			[]Run{owner(0, a), owner(60*m, b), owner(120*m, a), owner(180*m, b)},
			want{remembered: true, prevRun: 120 * m, prevOutcome: OutcomeOwner, moved: true, from: a, to: b, fromLastSeen: 120 * m,
				owner: b, observed: true, changes: 3, window: 3, flapping: true, historyLen: 3, lastOutcome: OutcomeOwner, lastSeenDelta: 180 * m}},
		{"a change exactly one window ago is outside it", Flap{2, time.Hour},
			[]Run{owner(0, a), owner(m, b), owner(61*m, a)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeOwner, moved: true, from: b, to: a, fromLastSeen: m,
				owner: a, observed: true, changes: 2, window: 1, historyLen: 2, lastOutcome: OutcomeOwner, lastSeenDelta: 61 * m}},
		{"a change older than a day leaves the history, not the counter", DefaultFlap,
			[]Run{owner(0, a), owner(m, b), owner(25*time.Hour+m, b)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeOwner, owner: b, age: 25 * time.Hour, observed: true,
				changes: 1, lastOutcome: OutcomeOwner, lastSeenDelta: 25*time.Hour + m}},
		{"a flap window longer than a day keeps the history longer", Flap{2, 2 * 24 * time.Hour},
			[]Run{owner(0, a), owner(m, b), owner(25*time.Hour+m, b)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeOwner, owner: b, age: 25 * time.Hour, observed: true,
				changes: 1, window: 1, historyLen: 1, lastOutcome: OutcomeOwner, lastSeenDelta: 25*time.Hour + m}},
		{"a clock that went back: the age is never negative", DefaultFlap,
			[]Run{owner(0, a), owner(m, b), owner(-m, b)},
			want{remembered: true, prevRun: m, prevOutcome: OutcomeOwner, owner: b, age: 0, observed: true,
				changes: 1, window: 0, historyLen: 1, lastOutcome: OutcomeOwner, lastSeenDelta: -m}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Record
			var ev Events
			for _, r := range tt.runs {
				rec, ev = Observe(rec, r, tt.flap)
			}
			w := tt.want
			got := want{
				remembered: ev.Remembered, prevOutcome: ev.PrevOutcome, moved: ev.Moved, from: ev.MovedFrom, to: ev.MovedTo,
				owner: ev.Owner, age: ev.OwnerAge, observed: ev.OwnerSinceObserved, changes: ev.OwnerChanges,
				window: len(ev.WindowChanges), flapping: ev.Flapping, historyLen: len(rec.Changes), lastOutcome: rec.LastOutcome,
			}
			got.prevRun = -1
			if !ev.PrevRun.IsZero() {
				got.prevRun = ev.PrevRun.Sub(t0)
			}
			got.lastSeenDelta = -1
			if !rec.LastSeen.IsZero() {
				got.lastSeenDelta = rec.LastSeen.Sub(t0)
			}
			if ev.Moved {
				got.fromLastSeen = ev.FromLastSeen.Sub(t0)
			}
			if got != w {
				t.Errorf("\n got %+v\nwant %+v", got, w)
			}
			if ev.OwnerKnown != (w.owner != mac.Addr{}) {
				t.Errorf("OwnerKnown = %v with owner %v", ev.OwnerKnown, ev.Owner)
			}
			if rec.Owner != ev.Owner || rec.TotalChanges != ev.OwnerChanges {
				t.Errorf("record (owner %v, %d changes) and events (owner %v, %d changes) disagree", rec.Owner, rec.TotalChanges, ev.Owner, ev.OwnerChanges)
			}
			if ev.Flap != tt.flap {
				t.Errorf("Events.Flap = %v, want %v", ev.Flap, tt.flap)
			}
		})
	}
}

func TestObserveNamesTheChangesInTheWindow(t *testing.T) {
	var rec Record
	var ev Events
	for i, m := range []mac.Addr{a, b, a, c} {
		rec, ev = Observe(rec, owner(time.Duration(i)*time.Minute, m), DefaultFlap)
	}
	want := []Change{
		{At: t0.Add(time.Minute), From: a, To: b},
		{At: t0.Add(2 * time.Minute), From: b, To: a},
		{At: t0.Add(3 * time.Minute), From: a, To: c},
	}
	if !slices.Equal(ev.WindowChanges, want) || !slices.Equal(rec.Changes, want) {
		t.Errorf("window %v, history %v; want both %v", ev.WindowChanges, rec.Changes, want)
	}
}

// A target that changes owner on every run for days keeps a bounded history
// and an exact counter.
func TestHistoryStaysBounded(t *testing.T) {
	var rec Record
	var ev Events
	const runs = 3 * 24 * 60 // three days, one run a minute, a change on each
	for i := range runs {
		m := a
		if i%2 == 1 {
			m = b
		}
		rec, ev = Observe(rec, owner(time.Duration(i)*time.Minute, m), DefaultFlap)
		if len(rec.Changes) > MaxChanges {
			t.Fatalf("run %d: history holds %d changes, more than %d", i, len(rec.Changes), MaxChanges)
		}
	}
	if ev.OwnerChanges != runs-1 {
		t.Errorf("owner_changes = %d, want %d", ev.OwnerChanges, runs-1)
	}
	if len(rec.Changes) != MaxChanges {
		t.Errorf("history holds %d changes, want the newest %d", len(rec.Changes), MaxChanges)
	}
	if last := rec.Changes[len(rec.Changes)-1]; !last.At.Equal(t0.Add((runs - 1) * time.Minute)) {
		t.Errorf("newest change at %v, want the last run's", last.At)
	}
	if !ev.Flapping || len(ev.WindowChanges) != 60 {
		t.Errorf("flapping %v with %d changes in the hour, want true with 60", ev.Flapping, len(ev.WindowChanges))
	}
}

// Observe must not write into the caller's record: the caller may still
// render the previous one.
func TestObserveLeavesPreviousRecordAlone(t *testing.T) {
	prev := Record{Owner: a, Since: t0, LastSeen: t0, LastRun: t0, LastOutcome: OutcomeOwner,
		Changes: make([]Change, 1, 8)}
	prev.Changes[0] = Change{At: t0, From: c, To: a}
	before := slices.Clone(prev.Changes[:cap(prev.Changes)])
	next, _ := Observe(prev, owner(time.Minute, b), DefaultFlap)
	if !slices.Equal(prev.Changes[:cap(prev.Changes)], before) || len(prev.Changes) != 1 || prev.Owner != a {
		t.Errorf("Observe changed the previous record: %+v", prev)
	}
	if len(next.Changes) != 2 {
		t.Errorf("next history %v, want 2 changes", next.Changes)
	}
}

func TestOutcomeValid(t *testing.T) {
	for _, o := range []Outcome{OutcomeOwner, OutcomeNoReply, OutcomeSplitBrain, OutcomeFlood} {
		if !o.Valid() {
			t.Errorf("%q not valid", o)
		}
	}
	for _, o := range []Outcome{"", "Owner", "ok", "no reply"} {
		if o.Valid() {
			t.Errorf("%q valid", o)
		}
	}
}

func TestStaleRunsChangeNothing(t *testing.T) {
	// A check that saw b waited for the lock while a later check that saw
	// a wrote: its run is older than the record.
	rec, _ := Observe(Record{}, owner(0, b), DefaultFlap)
	rec, _ = Observe(rec, owner(time.Minute, a), DefaultFlap)
	tests := []struct {
		name  string
		run   Run
		stale bool
	}{
		{"observed before the recorded run, within the wait", owner(time.Minute-300*time.Millisecond, b), true},
		{"observed at the limit of the wait", owner(time.Minute-time.Second, b), true},
		{"observed longer before: a clock set back", owner(time.Minute-time.Second-time.Nanosecond, b), false},
		{"observed at the same time", owner(time.Minute, b), false},
		{"observed after", owner(time.Minute+time.Second, b), false},
	}
	for _, tt := range tests {
		if got := Stale(rec, tt.run, time.Second); got != tt.stale {
			t.Errorf("%s: Stale = %v, want %v", tt.name, got, tt.stale)
		}
	}
	if Stale(Record{}, owner(0, a), time.Second) {
		t.Errorf("a first run is stale")
	}

	at := t0.Add(time.Minute - 300*time.Millisecond)
	ev := Current(rec, at, DefaultFlap)
	if ev.Moved || !ev.Remembered || ev.PrevRun != rec.LastRun || ev.PrevOutcome != OutcomeOwner {
		t.Errorf("Current: %+v", ev)
	}
	if ev.Owner != a || !ev.OwnerKnown || !ev.OwnerSinceObserved || ev.OwnerAge != 0 {
		t.Errorf("Current owner %v known %v observed %v age %v; want a, known, observed, 0 (taken over after the stale run)", ev.Owner, ev.OwnerKnown, ev.OwnerSinceObserved, ev.OwnerAge)
	}
	if ev.OwnerChanges != 1 || len(ev.WindowChanges) != 1 || ev.Flapping {
		t.Errorf("Current changes %d window %v flapping %v", ev.OwnerChanges, ev.WindowChanges, ev.Flapping)
	}
	// Agrees with Observe on everything but the run itself.
	_, obs := Observe(rec, owner(2*time.Minute, a), DefaultFlap)
	cur := Current(rec, t0.Add(2*time.Minute), DefaultFlap)
	if cur.OwnerAge != obs.OwnerAge || cur.OwnerChanges != obs.OwnerChanges || len(cur.WindowChanges) != len(obs.WindowChanges) {
		t.Errorf("Current %+v disagrees with Observe %+v", cur, obs)
	}
}
