// Package probe runs a probe schedule over a Transport and records every
// answer, without knowing the wire format: ARP today, NDP next.
package probe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Kind tells a solicited reply from an unsolicited announcement.
type Kind uint8

// The kinds of answer a transport reports.
const (
	// Reply answers one of our probes.
	Reply Kind = iota + 1
	// Announcement is a gratuitous claim of the target sent to everyone.
	Announcement
)

// Answer is one frame about the target that a Transport received.
type Answer struct {
	Kind Kind
	MAC  mac.Addr
	At   time.Time
}

// ErrTimeout is returned by Transport.Receive when its deadline passes.
var ErrTimeout = errors.New("receive deadline passed")

// Transport sends probes for one target on one link and reports answers.
type Transport interface {
	// Send transmits one probe and returns when it left.
	Send() (time.Time, error)
	// Receive blocks until an answer about the target arrives or the
	// deadline passes (ErrTimeout). Frames that are not answers about the
	// target are skipped inside, not returned.
	Receive(deadline time.Time) (Answer, error)
	// Interrupt makes a blocked or later Receive return at once. It is safe
	// to call from another goroutine.
	Interrupt()
}

// Schedule is when to send probes.
type Schedule struct {
	// Count is the number of probes, at least 1.
	Count int
	// Interval separates consecutive probes.
	Interval time.Duration
}

// MaxRecorded bounds the replies and announcements kept in an observation;
// beyond it they are only counted, so a flood cannot exhaust memory.
const MaxRecorded = 4096

// minSettle is the shortest wait, after the last probe has been answered,
// for a second claimant's reply to the same probe.
const minSettle = time.Millisecond

// Run sends the probes on schedule until ctx's deadline and records what
// answered into obs (ProbesSent, Replies, Announcements, Unrecorded,
// Elapsed). A reply counts for the last probe sent before it arrived (its
// Answer.At). Probe n is due n intervals after the start, but never less
// than half an interval after the probe before it: a check that was not
// scheduled for a while sends the overdue probe and leaves the next one
// room for its reply, rather than sending them back to back. Run returns
// early once the last probe has been answered and a settle time (twice the
// slowest first reply, at least 1ms, at most the interval) has passed:
// from then on nothing can change which probes were answered. It returns
// ctx's error only when ctx was cancelled before its deadline (a signal),
// since reaching the deadline is the normal end.
func Run(ctx context.Context, t Transport, s Schedule, obs *verdict.Observation) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		return errors.New("probe run without a deadline")
	}
	if s.Count < 1 {
		return fmt.Errorf("probe count %d: need at least one probe", s.Count)
	}
	stop := context.AfterFunc(ctx, t.Interrupt)
	defer stop()

	start := time.Now()
	sentAt := make([]time.Time, 0, s.Count)
	obs.ProbesSent = make([]time.Duration, 0, s.Count)
	answered := make([]bool, s.Count)
	var slowest time.Duration
	var settleUntil time.Time
	// due is when the next probe may leave.
	due := func() time.Time {
		n := len(sentAt)
		at := start.Add(time.Duration(n) * s.Interval)
		if n > 0 {
			at = latest(at, sentAt[n-1].Add(s.Interval/2))
		}
		return at
	}

	for {
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			obs.Elapsed = time.Since(start)
			return fmt.Errorf("probing stopped: %w", context.Cause(ctx))
		}
		now := time.Now()
		// The deadline is the normal end; ctx's own timer may fire a
		// little later, and polling until it does would spin.
		if !now.Before(deadline) {
			break
		}
		if len(sentAt) < s.Count && !now.Before(due()) {
			at, err := t.Send()
			if err != nil {
				obs.Elapsed = time.Since(start)
				return fmt.Errorf("sending probe %d: %w", len(sentAt)+1, err)
			}
			sentAt = append(sentAt, at)
			obs.ProbesSent = append(obs.ProbesSent, at.Sub(start))
			continue
		}
		// Replies count for the last probe sent, so once the last probe
		// has its first reply no later frame can change which probes were
		// answered: only a second claimant of it may still show up.
		lastDone := len(sentAt) == s.Count && answered[s.Count-1]
		if lastDone && !now.Before(settleUntil) {
			break
		}
		wait := deadline
		if len(sentAt) < s.Count {
			wait = earliest(wait, due())
		}
		if lastDone {
			wait = earliest(wait, settleUntil)
		}
		ans, err := t.Receive(wait)
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			obs.Elapsed = time.Since(start)
			return fmt.Errorf("receiving: %w", err)
		}
		if len(obs.Replies)+len(obs.Announcements) >= MaxRecorded {
			obs.Unrecorded++
			continue
		}
		switch ans.Kind {
		case Announcement:
			obs.Announcements = append(obs.Announcements, verdict.Announcement{MAC: ans.MAC, At: ans.At.Sub(start)})
		case Reply:
			// The last probe sent before the reply arrived; it may have
			// been read only after a later probe left.
			probe := len(sentAt) - 1
			for probe >= 0 && ans.At.Before(sentAt[probe]) {
				probe--
			}
			if probe < 0 {
				continue // an answer to somebody else's probe, before ours left
			}
			rtt := ans.At.Sub(sentAt[probe])
			obs.Replies = append(obs.Replies, verdict.Reply{Probe: probe, MAC: ans.MAC, RTT: rtt})
			if answered[probe] {
				continue
			}
			answered[probe] = true
			slowest = max(slowest, rtt)
			if probe == s.Count-1 {
				// The last probe has its first reply: wait a little for a
				// second claimant answering it too, then stop.
				settleUntil = ans.At.Add(min(max(2*slowest, minSettle), max(s.Interval, minSettle)))
			}
		}
	}
	obs.Elapsed = time.Since(start)
	return nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
