// Package probe runs a probe schedule over a Transport and records every
// answer, without knowing the wire format (ARP for IPv4, NDP for IPv6).
package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Kind tells what a transport received.
type Kind uint8

// The kinds of frame a transport reports.
const (
	// Reply answers a request for the target sent from this host.
	Reply Kind = iota + 1
	// Announcement is an unsolicited claim of the target sent to everyone
	// (a gratuitous ARP, an unsolicited neighbor advertisement).
	Announcement
	// OwnRequest is one of this check's own probes, seen leaving the
	// interface; Answer.Probe says which.
	OwnRequest
	// ForeignRequest is a request for the target that another process on
	// this host (another check, arping, the kernel) sent from the same
	// address.
	ForeignRequest
	// MACLessReply answers a request for the target sent from this host
	// without naming a MAC: how Linux answers a unicast neighbor
	// solicitation. It can only be the unicast request's answer.
	MACLessReply
)

// Answer is one frame about the target that a Transport received.
type Answer struct {
	Kind Kind
	MAC  mac.Addr
	At   time.Time
	// Probe is the index of the probe an OwnRequest is.
	Probe int
	// Via is the link-layer source of a Reply or Announcement when it
	// differs from MAC.
	Via mac.Addr
}

// ErrTimeout is returned by Transport.Receive when its deadline passes. It
// is os.ErrDeadlineExceeded, what a read from a socket returns at its
// deadline, so that a transport passes its socket's error on unchanged.
var ErrTimeout = os.ErrDeadlineExceeded

// Transport sends probes for one target on one link and reports answers.
type Transport interface {
	// Send transmits the next probe and returns when it left. A paced
	// transport returns ErrTimeout when the run ends before its turn.
	Send() (time.Time, error)
	// Receive blocks until a frame about the target arrives or the
	// deadline passes (ErrTimeout). Unrelated frames are skipped inside.
	Receive(deadline time.Time) (Answer, error)
	// Interrupt makes a blocked or later Receive return at once. It is safe
	// to call from another goroutine.
	Interrupt()
}

// WireOrder is implemented by transports that report every request for the
// target leaving this host, their own (OwnRequest) and other processes'
// (ForeignRequest), in the order they left, interleaved with the replies.
// Run then knows which request each reply follows, so that checks of one
// target running at once on one host do not take each other's replies.
type WireOrder interface {
	ReportsRequests() bool
}

// RequestCounter is implemented by transports that do not report
// requests in wire order but count, in the kernel, every request for the
// target that left this host since they were opened, their own included:
// Run reports the others' as Observation.ForeignRequests.
type RequestCounter interface {
	RequestsSeen() (int, error)
}

// DropCounter is implemented by transports whose socket counts the frames
// the kernel dropped because the check did not read them in time: Run
// reports them as Observation.ReceiveDrops.
type DropCounter interface {
	ReceiveDrops() (int, error)
}

// Unicaster is implemented by transports that can send the unicast
// reachability request: the request a router sends to the MAC it has
// cached when it refreshes its neighbor entry.
type Unicaster interface {
	// SendUnicast sends one request for the target to the MAC to alone
	// and returns when it left. A paced transport (a pool's address)
	// waits for a slot its interface has free; when none is free by
	// latest it sends nothing and returns ErrTimeout, since an answer
	// could no longer be told from none. Run calls it only while latest
	// has not passed.
	SendUnicast(to mac.Addr, latest time.Time) (time.Time, error)
}

// Schedule is when to send probes.
type Schedule struct {
	// Count is the number of probes, at least 1.
	Count int
	// Interval separates consecutive probes.
	Interval time.Duration
	// Start is when the schedule begins: the first probe is due then, the
	// others Interval after each other, and the observation's times count
	// from it. The zero Time means when Run starts. Addresses of a pool
	// that start together share it, so that their probes fall due at the
	// same instant and the process wakes once for all of them.
	Start time.Time
	// Unicast asks for the unicast reachability request once every
	// probe is answered (see Run), if the transport is a Unicaster.
	Unicast bool
}

// UnicastMinWait is how long before the deadline the unicast request must
// leave, at least, to be sent at all: a userspace responder answers 15-80
// ms late under load (FairWindow), and a request sent too late to be
// answered must not read as ignored.
const UnicastMinWait = 100 * time.Millisecond

// MaxRecorded bounds the replies, announcements and foreign requests kept
// during a run; beyond it frames are only counted, so a flood cannot
// exhaust memory. Replies from MACs already recorded may use a further
// knownReserve entries, so that a flood of new MACs does not hide the
// real owner's later replies.
const (
	MaxRecorded  = 4096
	knownReserve = 1024
)

// minSettle is the shortest wait, after the last probe has been answered,
// for a second claimant's reply to the same probe.
const minSettle = time.Millisecond

// FairWindow is how long after the first probe left a run goes on at
// least, whatever the count, so that a second claimant answering from
// userspace is seen although the owner's kernel answered at once. MetalLB's
// speaker answers 15-80 ms late, out of step with the requests, when its
// node is loaded; the lab's userspace responder (a Go program reading a
// packet socket as the speaker does, no artificial lag) answered 200
// checks at once on a loaded 2-core machine in 1.1 ms median, 17 ms p99,
// 24 ms worst. 150 ms covers the speaker's 80 ms with the checking host's
// own scheduling delays on top. It costs a check with one probe (-p 1)
// this long instead of one round trip; with the default schedule (3
// probes, 100 ms apart) the window has passed when the last probe leaves
// and costs nothing.
const FairWindow = 150 * time.Millisecond

// maxEarlyStopWork bounds the replies above which Run stops re-deciding,
// reply by reply, whether it may stop early: under a flood it simply runs
// to the deadline.
//
// With Schedule.Unicast, once every probe is answered and the settle time
// has passed, Run sends one more request, to the MAC that answered the
// last probe alone, if at least UnicastMinWait (or the slowest reply's
// round trip, if longer) is left before the deadline (a paced transport
// may send it later, but not past that); it then waits until that MAC
// answers it or the deadline passes. Its answer is recorded in obs.Unicast only.
const maxEarlyStopWork = 256

// Run sends the probes on schedule until ctx's deadline and records what
// answered into obs (ProbesSent, Replies, Announcements, Unrecorded,
// LateReplies, Elapsed). Which probe a reply answers is decided by assign
// (see there). Probe n is due n intervals after the start, but at least
// half an interval after the probe before it.
//
// Run returns early once every probe has been answered and a settle time
// has passed: twice the slowest first reply (at least 1ms, at most the
// interval) after the reply that completed the set, and FairWindow after
// the first probe left, for a second claimant that answers late. While a
// probe is unanswered it runs to the deadline, since its reply may still
// come (a proxy-ARP router answers up to 0.8 s late), so loss is only ever
// reported for a request that had no reply by the deadline. It returns
// ctx's cause only when ctx was cancelled before its deadline (a signal);
// reaching the deadline is the normal end.
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
	wo, _ := t.(WireOrder)
	echoes := wo != nil && wo.ReportsRequests()

	start := time.Now()
	if !s.Start.IsZero() && s.Start.Before(start) {
		start = s.Start
	}
	w := wire{sentAt: make([]time.Time, 0, s.Count), position: make([]int, 0, s.Count)}
	obs.ProbesSent = make([]time.Duration, 0, s.Count)
	var settleUntil time.Time
	lastDone := false
	unicaster, _ := t.(Unicaster)
	var (
		unicastDecided bool      // sent, or found it cannot be
		unicastPending bool      // sent, not yet answered
		unicastAt      time.Time // when it left
		unicastEchoed  bool      // placed in the sequence at its echo
	)

	finish := func() {
		obs.Elapsed = time.Since(start)
		obs.Replies = w.attribute()
		obs.LateReplies = w.lateReplies()
		obs.ForeignRequests = w.foreigners
		if rc, ok := t.(RequestCounter); ok && !echoes {
			own := len(w.sentAt)
			if obs.Unicast.Sent {
				own++
			}
			if n, err := rc.RequestsSeen(); err == nil {
				obs.ForeignRequests = max(n-own, 0)
			} else {
				// Unknown: count one, so that repeats are not
				// trusted.
				obs.ForeignRequests = 1
			}
		}
		if dc, ok := t.(DropCounter); ok {
			if n, err := dc.ReceiveDrops(); err == nil {
				obs.ReceiveDrops = n
			}
		}
	}
	// handle records a frame that Receive returned.
	handle := func(ans Answer) {
		switch ans.Kind {
		case OwnRequest:
			if ans.Probe >= s.Count {
				// The unicast request's echo: its transport tags it
				// past every probe.
				if obs.Unicast.Sent && !unicastEchoed {
					unicastEchoed = true
					w.placeUnicast()
				}
				return
			}
			w.echoed(ans.Probe)
		case ForeignRequest:
			if !w.foreign() {
				obs.Unrecorded++
			}
		case Announcement:
			if len(w.replies)+len(obs.Announcements) >= MaxRecorded {
				obs.Unrecorded++
				return
			}
			obs.Announcements = append(obs.Announcements, verdict.Announcement{MAC: ans.MAC, At: ans.At.Sub(start), Via: ans.Via})
		case MACLessReply:
			if unicastPending && ans.At.After(unicastAt) {
				obs.Unicast.Answered, obs.Unicast.RTT = true, ans.At.Sub(unicastAt)
				unicastPending = false
			}
		case Reply:
			if unicastPending && ans.MAC == obs.Unicast.To && ans.At.After(unicastAt) {
				// Every probe was answered before it left: this
				// answers the unicast request. It is recorded as
				// well, matching the unicast request in the sequence.
				obs.Unicast.Answered, obs.Unicast.RTT = true, ans.At.Sub(unicastAt)
				unicastPending = false
			}
			if len(w.requests) == 0 {
				// Before any request left, a reply answers nothing of
				// ours: another check's, or stale.
				return
			}
			recorded := len(w.replies) + len(obs.Announcements)
			if recorded >= MaxRecorded+knownReserve || (recorded >= MaxRecorded && !w.known(ans.MAC)) {
				obs.Unrecorded++ // past the limits it is only counted
				return
			}
			w.reply(ans.MAC, ans.Via, ans.At, !echoes)
			if !lastDone && len(w.sentAt) == s.Count && len(w.replies) <= maxEarlyStopWork && w.allAnswered() {
				// Every probe has a reply: wait a little for a second
				// claimant answering too, then stop.
				lastDone = true
				settleUntil = latest(ans.At.Add(min(max(2*w.slowest(), minSettle), max(s.Interval, minSettle))),
					w.sentAt[0].Add(FairWindow))
			}
		}
	}
	// due is when the next probe may leave: n intervals after the start,
	// but never less than half an interval after the probe before it, so a
	// check that was not scheduled for a while sends the overdue probe and
	// leaves the next one room for its reply instead of sending both back
	// to back.
	due := func() time.Time {
		n := len(w.sentAt)
		at := start.Add(time.Duration(n) * s.Interval)
		if n > 0 {
			at = latest(at, w.sentAt[n-1].Add(s.Interval/2))
		}
		return at
	}
	// A frame counts by when it arrived, not when it was read: a
	// transport may hand frames over later than they arrived (a pool's
	// reads its socket on a clock; a busy host runs a lone check late).
	// So before the run ends at the settle time or the deadline, catchUp
	// reads the frames that arrived by then: Receive with that instant,
	// which has passed, returns those and then ErrTimeout.
	catchUp := func(until time.Time) error {
		for {
			ans, err := t.Receive(until)
			if errors.Is(err, ErrTimeout) {
				return nil
			}
			if err != nil {
				return err
			}
			handle(ans)
		}
	}
	var settled bool
	for {
		if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			finish()
			return fmt.Errorf("probing stopped: %w", context.Cause(ctx))
		}
		now := time.Now()
		// The deadline is the normal end; ctx's own timer may fire a
		// little later, and polling until it does would spin.
		if !now.Before(deadline) || ctx.Err() != nil {
			if err := catchUp(deadline); err != nil {
				finish()
				return fmt.Errorf("receiving: %w", err)
			}
			break
		}
		if len(w.sentAt) < s.Count && !now.Before(due()) {
			at, err := t.Send()
			if errors.Is(err, ErrTimeout) {
				// A paced transport reached the run's end before the
				// interface had a slot for the request: nothing left.
				continue
			}
			if err != nil {
				finish()
				return fmt.Errorf("sending probe %d: %w", len(w.sentAt)+1, err)
			}
			w.sent(at, !echoes)
			obs.ProbesSent = append(obs.ProbesSent, at.Sub(start))
			continue
		}
		if lastDone && !now.Before(settleUntil) && !settled {
			if err := catchUp(settleUntil); err != nil {
				finish()
				return fmt.Errorf("receiving: %w", err)
			}
			settled = true
			continue
		}
		if lastDone && !now.Before(settleUntil) {
			if !unicastDecided {
				unicastDecided = true
				owner, ok := w.lastAnswerer()
				latest := deadline.Add(-max(UnicastMinWait, w.slowest()))
				if s.Unicast && unicaster != nil && ok && !now.After(latest) {
					at, err := unicaster.SendUnicast(owner, latest)
					if errors.Is(err, ErrTimeout) {
						// Paced: the interface had no slot in time.
						continue
					}
					if err != nil {
						finish()
						return fmt.Errorf("sending the unicast request to %s: %w", owner, err)
					}
					obs.Unicast = verdict.UnicastRequest{Sent: true, To: owner}
					unicastAt, unicastPending = at, true
					if !echoes {
						w.placeUnicast()
					}
					continue
				}
			}
			if !unicastPending {
				break
			}
		}
		wait := deadline
		if len(w.sentAt) < s.Count {
			wait = earliest(wait, due())
		}
		if lastDone && !unicastDecided {
			wait = earliest(wait, settleUntil)
		}
		ans, err := t.Receive(wait)
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			finish()
			return fmt.Errorf("receiving: %w", err)
		}
		handle(ans)
	}
	finish()
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
