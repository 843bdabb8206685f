package verdict

import (
	"fmt"
	"strconv"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
)

// Memory is what earlier runs of the check add to this one, as the caller
// found it in the state directory. The verdict core does not read the
// state itself: the caller records this run's outcome (Draft.Outcome) and
// hands back what memory made of it. The zero Memory is a check without
// memory (--no-state), which no rule comments on.
type Memory struct {
	// Used is true when the state was read and this run recorded; Events
	// is then what memory derived from it.
	Used   bool
	Events ownership.Events
	// At is the time this run was recorded at; the findings say how long
	// ago the previous check was, in At's time zone.
	At time.Time
	// Reset, when not empty, says why the remembered state could not be
	// used and memory started over: "/var/lib/... is truncated".
	Reset string
	// Problem, when not empty, says why this run has no memory and how to
	// fix it ("state not saved: ..."). It never changes the Layer 2
	// verdict: it is a WARNING finding of its own.
	Problem string
	// Note, when not empty, is a sentence for the long output about a
	// passing condition of memory that needs no fix ("memory not
	// updated: ..."): it changes no state.
	Note string
}

// Draft is a verdict whose facts are known but whose memory is not yet:
// memory needs this run's outcome, and the verdict needs what memory made
// of it. Prepare, Outcome, then Decide.
type Draft struct {
	f   Facts
	d   derived
	pol Policy
}

// Prepare derives the facts of an observation under a policy.
func Prepare(obs Observation, pol Policy) *Draft {
	f, d := summarize(obs, pol)
	return &Draft{f: f, d: d, pol: pol}
}

// Outcome is what this run tells memory: the one MAC that holds the
// address (OutcomeOwner), or why the run names none. A flood or a probe
// answered by several MACs (split brain) names no owner even when other
// probes drew one MAC, since the run cannot say who holds the address; a
// run whose MAC changed between probes (a failover during the check)
// names the MAC that held it at the end, so that the next run does not
// report the same move again. A MAC outside the allowlist is an owner
// too: memory records the wire, the rules judge it.
func (dr *Draft) Outcome() (ownership.Outcome, mac.Addr) {
	f := &dr.f
	switch {
	case f.Unrecorded > 0:
		return ownership.OutcomeFlood, mac.Addr{}
	case f.Received == 0:
		return ownership.OutcomeNoReply, mac.Addr{}
	case f.MultiMACProbes > 0 || !f.HasOwner:
		// Every answered probe drew one MAC or more; without a one-MAC
		// probe, several answered each.
		return ownership.OutcomeSplitBrain, mac.Addr{}
	}
	return ownership.OutcomeOwner, f.Owner.Addr
}

// RecordedAt returns ownership's run record of this draft at time at.
func (dr *Draft) RecordedAt(at time.Time) ownership.Run {
	o, owner := dr.Outcome()
	return ownership.Run{At: at, Outcome: o, Owner: owner}
}

// describeMAC names a MAC as the policy knows it.
func describeMAC(pol Policy, a mac.Addr) MAC {
	return MAC{Addr: a, Label: pol.Allowed.Label(a), Allowed: pol.Allowed.Len() == 0 || pol.Allowed.Allows(a)}
}

// Describe names a MAC as the policy in force knows it (label, allowed),
// for renderers that print MACs memory names.
func (f *Facts) Describe(a mac.Addr) MAC {
	for _, m := range f.Allowed {
		if m.Addr == a {
			return m
		}
	}
	return MAC{Addr: a, Allowed: len(f.Allowed) == 0}
}

// shortName names a MAC by its label when it has one, else by address:
// the words of sentences that list several MACs.
func shortName(m MAC) string {
	if m.Label != "" && m.Allowed {
		return m.Label
	}
	return m.String()
}

// clock prints a past time of day in now's time zone, with the date when
// it is not today's: "10:31:02", "2026-11-30 23:59:58".
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if y, m, d := t.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("15:04:05")
}

// Span prints a duration in whole seconds, minutes, hours and days,
// leaving out zero parts and keeping the two largest: "58s", "4m12s",
// "1h", "3h5m", "2d". A negative duration (a clock set back) prints as
// 0s.
func Span(d time.Duration) string {
	d = max(d.Round(time.Second), 0)
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	first := len(units) - 1
	for i, u := range units {
		if d >= u.size {
			first = i
			break
		}
	}
	out := ""
	for i := first; i < first+2 && i < len(units); i++ {
		n := d / units[i].size
		d -= n * units[i].size
		if n > 0 {
			out += strconv.FormatInt(int64(n), 10) + units[i].name
		}
	}
	if out == "" {
		return "0s"
	}
	return out
}

// Ago says when t was, seen from now: "10:31:02 (58s ago)", with the
// date when it was not today.
func Ago(t, now time.Time) string { return ago(t, now) }

func ago(t, now time.Time) string {
	return fmt.Sprintf("%s (%s ago)", clock(t, now), Span(now.Sub(t)))
}
