// Package ownership remembers which MAC address owned a target across runs
// of the check and derives what only memory can show: that the owner
// changed since the last check (a failover), how often it changed within a
// window (flapping over hours, which a 200 ms run every minute never sees),
// and how long the current owner has held the address.
//
// The package is pure: no clock, no files. The caller passes this run's
// outcome and time; internal/state stores the Record between runs.
package ownership

import (
	"time"

	"github.com/check-arp/check_arp/internal/mac"
)

// Outcome is what one run saw. Only OutcomeOwner names an owner; the others
// are remembered as the last outcome but leave the recorded owner as it
// was, since a run that heard nobody, or several MACs at once, does not say
// who holds the address.
type Outcome string

// The outcomes a run can record. The values are the words stored in the
// state file.
const (
	// OutcomeOwner: exactly one MAC answered, consistently.
	OutcomeOwner Outcome = "owner"
	// OutcomeNoReply: nobody answered.
	OutcomeNoReply Outcome = "no_reply"
	// OutcomeSplitBrain: several MACs answered.
	OutcomeSplitBrain Outcome = "split_brain"
	// OutcomeFlood: too many replies to judge.
	OutcomeFlood Outcome = "flood"
)

// Valid reports whether o is one of the outcomes above.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeOwner, OutcomeNoReply, OutcomeSplitBrain, OutcomeFlood:
		return true
	}
	return false
}

// History bounds. A change is kept while it is younger than Retention (or
// the flap window, when that is longer) and among the newest MaxChanges:
// the history covers at least a day, or the last 256 changes of a target
// that changes owner more often than that, and never grows beyond
// MaxChanges however long the check runs.
const (
	Retention  = 24 * time.Hour
	MaxChanges = 256
)

// Run is one run's result as far as memory is concerned.
type Run struct {
	// At is when the run happened.
	At time.Time
	// Outcome is what the run saw.
	Outcome Outcome
	// Owner is the one MAC that answered consistently; used only when
	// Outcome is OutcomeOwner.
	Owner mac.Addr
}

// Change is one change of owner, seen by the run at At.
type Change struct {
	At       time.Time
	From, To mac.Addr
}

// Record is what is remembered about one target between runs. The zero
// Record is "nothing remembered yet".
type Record struct {
	// Owner is the last MAC seen owning the address; zero when no run has
	// seen an owner yet.
	Owner mac.Addr
	// Since is when Owner took over: the run that saw the change, or the
	// first run that saw Owner when memory began with it (then
	// SinceObserved is false and Since is a lower bound of its tenure).
	Since time.Time
	// SinceObserved is true when Since is an observed change of owner.
	SinceObserved bool
	// LastSeen is the last run that saw Owner answer.
	LastSeen time.Time
	// LastRun and LastOutcome are the previous run, whatever it saw.
	LastRun     time.Time
	LastOutcome Outcome
	// TotalChanges counts every change of owner since memory began; it only
	// grows, so it suits a counter metric.
	TotalChanges uint64
	// Changes holds the recent changes, oldest first, bounded by
	// Retention and MaxChanges.
	Changes []Change
}

// Remembered reports whether r holds any earlier run.
func (r Record) Remembered() bool { return !r.LastRun.IsZero() }

// Flap is the --flap policy: Count or more changes of owner within Window
// is flapping.
type Flap struct {
	Count  int
	Window time.Duration
}

// DefaultFlap is --flap 3/1h.
var DefaultFlap = Flap{Count: 3, Window: time.Hour}

// Events is what memory adds to this run's verdict, as plain facts for the
// verdict rules and the renderers.
type Events struct {
	// Remembered: an earlier run was on record.
	Remembered bool
	// PrevRun is the previous run's time and PrevOutcome what it saw (zero
	// and "" when nothing was remembered).
	PrevRun     time.Time
	PrevOutcome Outcome

	// Moved: this run saw an owner other than the recorded one. MovedFrom
	// was last seen at FromLastSeen; the last check before this run was at
	// PrevRun.
	Moved        bool
	MovedFrom    mac.Addr
	MovedTo      mac.Addr
	FromLastSeen time.Time

	// Owner is the recorded owner after this run (this run's owner, or the
	// one remembered when this run saw none); OwnerKnown is false when no
	// run has seen one yet.
	Owner      mac.Addr
	OwnerKnown bool
	// OwnerAge is how long Owner has held the address at this run (never
	// negative); valid when OwnerKnown. OwnerSinceObserved is false when
	// the takeover predates memory, so OwnerAge is a lower bound.
	OwnerAge           time.Duration
	OwnerSinceObserved bool

	// OwnerChanges is Record.TotalChanges after this run (owner_changes).
	OwnerChanges uint64
	// WindowChanges are the changes within Flap.Window up to this run,
	// oldest first; Flapping is len(WindowChanges) >= Flap.Count.
	WindowChanges []Change
	Flapping      bool
	Flap          Flap
}

// Observe records run on top of prev and returns the new record and the
// events for this run's verdict. prev is not modified.
func Observe(prev Record, run Run, flap Flap) (Record, Events) {
	next := prev
	next.Changes = append([]Change(nil), prev.Changes...)
	ev := Events{
		Remembered:  prev.Remembered(),
		PrevRun:     prev.LastRun,
		PrevOutcome: prev.LastOutcome,
		Flap:        flap,
	}

	if run.Outcome == OutcomeOwner && !run.Owner.IsZero() {
		switch {
		case prev.Owner.IsZero():
			// Memory begins with this owner: its takeover was not seen.
			next.Owner, next.Since, next.SinceObserved = run.Owner, run.At, false
		case prev.Owner != run.Owner:
			ev.Moved, ev.MovedFrom, ev.MovedTo, ev.FromLastSeen = true, prev.Owner, run.Owner, prev.LastSeen
			next.Changes = append(next.Changes, Change{At: run.At, From: prev.Owner, To: run.Owner})
			next.TotalChanges++
			next.Owner, next.Since, next.SinceObserved = run.Owner, run.At, true
		}
		next.LastSeen = run.At
	}
	next.LastRun, next.LastOutcome = run.At, run.Outcome
	next.Changes = prune(next.Changes, run.At, flap.Window)
	describe(&ev, next, run.At, flap)
	return next, ev
}

// describe fills in what rec says at time at: the owner, its age, the
// changes and whether they are flapping.
func describe(ev *Events, rec Record, at time.Time, flap Flap) {
	ev.Owner, ev.OwnerKnown = rec.Owner, !rec.Owner.IsZero()
	if ev.OwnerKnown {
		ev.OwnerAge = max(at.Sub(rec.Since), 0)
		ev.OwnerSinceObserved = rec.SinceObserved
	}
	ev.OwnerChanges = rec.TotalChanges
	ev.WindowChanges = within(rec.Changes, at, flap.Window)
	ev.Flapping = flap.Count > 0 && len(ev.WindowChanges) >= flap.Count
}

// Stale reports whether run was observed before the run prev last
// recorded, by at most within (the longest a check waits for the lock):
// a check that waited while a later check of the same target wrote. Its
// outcome is older than what memory holds; recording it would turn the
// order of the writes into changes of owner that never happened (a
// check that saw A writing after one that saw B). A larger gap is a clock
// set back, not a race: that run is recorded, lest memory stand still
// until the clock catches up.
func Stale(prev Record, run Run, within time.Duration) bool {
	d := prev.LastRun.Sub(run.At)
	return d > 0 && d <= within
}

// Current returns what prev says to a run at time at that it does not
// record (a stale run): the owner, its age and the changes, but no move.
// A stale run is older than the record, so the record speaks as of its
// last run.
func Current(prev Record, at time.Time, flap Flap) Events {
	if at.Before(prev.LastRun) {
		at = prev.LastRun
	}
	ev := Events{
		Remembered:  prev.Remembered(),
		PrevRun:     prev.LastRun,
		PrevOutcome: prev.LastOutcome,
		Flap:        flap,
	}
	describe(&ev, prev, at, flap)
	return ev
}

// within returns the changes in (now-window, now].
func within(changes []Change, now time.Time, window time.Duration) []Change {
	if window <= 0 {
		return nil
	}
	from := now.Add(-window)
	var out []Change
	for _, c := range changes {
		if c.At.After(from) && !c.At.After(now) {
			out = append(out, c)
		}
	}
	return out
}

// prune drops, in place, the changes older than the retention (Retention,
// or window when longer) and all but the last MaxChanges. Changes after now (a
// clock that went back) are kept: they may be true history.
func prune(changes []Change, now time.Time, window time.Duration) []Change {
	keep := max(Retention, window)
	oldest := now.Add(-keep)
	// A filter, not a cut at the first young change: after a clock step
	// the history need not be in time order.
	kept := changes[:0]
	for _, c := range changes {
		if !c.At.Before(oldest) {
			kept = append(kept, c)
		}
	}
	changes = kept
	if len(changes) > MaxChanges {
		changes = changes[len(changes)-MaxChanges:]
	}
	if len(changes) == 0 {
		return nil
	}
	return changes
}
