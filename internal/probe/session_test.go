package probe

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/verdict"
)

var (
	macA = mac.Addr{2, 0, 0, 0, 0, 0x0a}
	macB = mac.Addr{2, 0, 0, 0, 0, 0x0b}
)

// scriptedTransport answers each probe with the replies its script gives,
// after the given delays, and can inject announcements.
type scriptedTransport struct {
	mu        sync.Mutex
	script    func(probe int) []scriptedReply
	sent      int
	queue     []Answer
	wake      chan struct{}
	interrupt chan struct{}
	once      sync.Once
}

type scriptedReply struct {
	delay time.Duration
	mac   mac.Addr
	kind  Kind
}

func newScripted(script func(probe int) []scriptedReply) *scriptedTransport {
	return &scriptedTransport{script: script, wake: make(chan struct{}, 1024), interrupt: make(chan struct{})}
}

func (s *scriptedTransport) Send() (time.Time, error) {
	s.mu.Lock()
	n := s.sent
	s.sent++
	s.mu.Unlock()
	at := time.Now()
	for _, r := range s.script(n) {
		r := r
		kind := r.kind
		if kind == 0 {
			kind = Reply
		}
		time.AfterFunc(r.delay, func() {
			s.mu.Lock()
			s.queue = append(s.queue, Answer{Kind: kind, MAC: r.mac, At: time.Now()})
			s.mu.Unlock()
			s.wake <- struct{}{}
		})
	}
	return at, nil
}

func (s *scriptedTransport) Receive(deadline time.Time) (Answer, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			a := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return a, nil
		}
		s.mu.Unlock()
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-s.wake:
			timer.Stop()
		case <-timer.C:
			return Answer{}, ErrTimeout
		case <-s.interrupt:
			timer.Stop()
			return Answer{}, ErrTimeout
		}
	}
}

func (s *scriptedTransport) Interrupt() { s.once.Do(func() { close(s.interrupt) }) }

// runScripted runs Run against the scripted transport and returns what it
// observed and how long it took.
//
// It runs in a synctest bubble: the clock, the run's timers and the
// script's delays are the bubble's, whose time moves only when every
// goroutine in it waits. So a reply scripted 10ms after its probe arrives
// 10ms after it, before the next probe, however busy the machine is; on
// the real clock a loaded machine could deliver it after the next probe
// or past the run's end.
func runScripted(t *testing.T, timeout time.Duration, sched Schedule, script func(int) []scriptedReply) (obs verdict.Observation, took time.Duration, err error) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		err = Run(ctx, newScripted(script), sched, &obs)
		took = time.Since(start)
	})
	return obs, took, err
}

func TestRunRecordsEveryReplyAgainstItsProbe(t *testing.T) {
	// Probe 0: A and B; probe 1: A and B; probe 2: B twice. B's four
	// replies to three requests leave one surplus, a duplicate of probe 2.
	obs, _, err := runScripted(t, 2*time.Second, Schedule{Count: 3, Interval: 30 * time.Millisecond}, func(p int) []scriptedReply {
		switch p {
		case 0, 1:
			return []scriptedReply{{delay: time.Millisecond, mac: macA}, {delay: 10 * time.Millisecond, mac: macB}}
		default:
			return []scriptedReply{{delay: time.Millisecond, mac: macB}, {delay: 10 * time.Millisecond, mac: macB}}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.ProbesSent) != 3 {
		t.Fatalf("sent %d probes, want 3", len(obs.ProbesSent))
	}
	got := []struct {
		probe int
		mac   mac.Addr
	}{}
	for _, r := range obs.Replies {
		got = append(got, struct {
			probe int
			mac   mac.Addr
		}{r.Probe, r.MAC})
		if r.RTT <= 0 || r.RTT > 25*time.Millisecond {
			t.Errorf("reply %+v: rtt out of range", r)
		}
	}
	// The last B reply comes 70ms after the first probe, inside the
	// FairWindow the run waits in any case.
	want := []struct {
		probe int
		mac   mac.Addr
	}{{0, macA}, {0, macB}, {1, macA}, {1, macB}, {2, macB}, {2, macB}}
	if len(got) != len(want) {
		t.Fatalf("replies %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reply %d = %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
	if obs.LateReplies != 0 {
		t.Errorf("LateReplies = %d, want 0: every reply came before the next probe", obs.LateReplies)
	}
}

func TestRunStopsOnceEveryProbeIsAnswered(t *testing.T) {
	// Every probe answered at once: the run ends after the FairWindow
	// that a late second claimant gets, not at the 5s deadline.
	obs, took, err := runScripted(t, 5*time.Second, Schedule{Count: 3, Interval: 20 * time.Millisecond}, func(int) []scriptedReply {
		return []scriptedReply{{delay: time.Millisecond, mac: macA}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if took > time.Second || took < FairWindow {
		t.Fatalf("run took %v; it should stop after the fair window (%v) once every probe is answered", took, FairWindow)
	}
	if len(obs.Replies) != 3 {
		t.Fatalf("replies %+v, want 3", obs.Replies)
	}
}

func TestRunGivesASecondClaimantAFairWindow(t *testing.T) {
	// One probe, answered at once by A and 60ms later by B (a userspace
	// responder behind under load): B must be seen, for every count.
	for _, count := range []int{1, 2, 3} {
		obs, _, err := runScripted(t, 2*time.Second, Schedule{Count: count, Interval: 10 * time.Millisecond}, func(p int) []scriptedReply {
			return []scriptedReply{{delay: 100 * time.Microsecond, mac: macA}, {delay: 60 * time.Millisecond, mac: macB}}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(obs.Replies, func(r verdict.Reply) bool { return r.MAC == macB }) {
			t.Errorf("-p %d: the late second claimant was not seen: %+v", count, obs.Replies)
		}
	}
}

func TestRunWaitsForUnansweredProbes(t *testing.T) {
	// Probe 0 is lost; the others are answered at once. A reply to probe
	// 0 may still come (late replies land after later requests), so the
	// run goes to the deadline, and reports only probe 0 unanswered.
	obs, took, err := runScripted(t, 400*time.Millisecond, Schedule{Count: 3, Interval: 20 * time.Millisecond}, func(p int) []scriptedReply {
		if p == 0 {
			return nil
		}
		return []scriptedReply{{delay: time.Millisecond, mac: macA}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if took < 390*time.Millisecond {
		t.Fatalf("run took %v; with probe 0 unanswered it should wait for the deadline", took)
	}
	if len(obs.Replies) != 2 || obs.Replies[0].Probe != 1 || obs.Replies[1].Probe != 2 {
		t.Fatalf("replies %+v, want probes 1 and 2", obs.Replies)
	}
}

func TestRunCountsLateRepliesAsAnswers(t *testing.T) {
	// A proxy-ARP router: every reply comes 150-250ms after its request,
	// after the next request (interval 100ms). Every probe is answered by
	// the deadline, so no loss, and the lateness is reported.
	lags := []time.Duration{250 * time.Millisecond, 150 * time.Millisecond, 200 * time.Millisecond}
	obs, _, err := runScripted(t, time.Second, Schedule{Count: 3, Interval: 100 * time.Millisecond}, func(p int) []scriptedReply {
		return []scriptedReply{{delay: lags[p], mac: macA}}
	})
	if err != nil {
		t.Fatal(err)
	}
	answered := map[int]bool{}
	for _, r := range obs.Replies {
		answered[r.Probe] = true
	}
	if len(answered) != 3 {
		t.Fatalf("answered probes %v, want all 3: %+v", answered, obs.Replies)
	}
	if obs.LateReplies != 2 {
		t.Errorf("LateReplies = %d, want 2 (probes 1 and 2 each answered after the next request)", obs.LateReplies)
	}
}

func TestRunWaitsForTheDeadlineWhenTheLastProbeIsUnanswered(t *testing.T) {
	obs, took, err := runScripted(t, 300*time.Millisecond, Schedule{Count: 2, Interval: 10 * time.Millisecond}, func(int) []scriptedReply { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.ProbesSent) != 2 || len(obs.Replies) != 0 {
		t.Fatalf("obs %+v", obs)
	}
	if took < 290*time.Millisecond {
		t.Fatalf("run ended after %v, before the 300ms deadline", took)
	}
}

func TestRunRecordsAnnouncementsApart(t *testing.T) {
	obs, _, err := runScripted(t, time.Second, Schedule{Count: 2, Interval: 20 * time.Millisecond}, func(p int) []scriptedReply {
		r := []scriptedReply{{delay: time.Millisecond, mac: macA}}
		if p == 0 {
			r = append(r, scriptedReply{delay: 5 * time.Millisecond, mac: macB, kind: Announcement})
		}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Announcements) != 1 || obs.Announcements[0].MAC != macB || obs.Announcements[0].At <= 0 {
		t.Fatalf("announcements %+v", obs.Announcements)
	}
	for _, r := range obs.Replies {
		if r.MAC != macA {
			t.Fatalf("an announcement was recorded as a reply: %+v", obs.Replies)
		}
	}
}

func TestRunBoundsWhatItRecords(t *testing.T) {
	const flood = MaxRecorded + 500
	obs, _, err := runScripted(t, 2*time.Second, Schedule{Count: 1, Interval: 10 * time.Millisecond}, func(int) []scriptedReply {
		r := make([]scriptedReply, flood)
		for i := range r {
			r[i] = scriptedReply{delay: time.Millisecond, mac: mac.Addr{2, 0, 0, 0, byte(i >> 8), byte(i)}, kind: Announcement}
		}
		return append(r, scriptedReply{delay: 50 * time.Millisecond, mac: macA})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(obs.Replies) + len(obs.Announcements) + obs.Unrecorded; got != flood+1 {
		t.Fatalf("recorded %d + %d, counted %d: total %d, want %d", len(obs.Replies), len(obs.Announcements), obs.Unrecorded, got, flood+1)
	}
	if len(obs.Replies)+len(obs.Announcements) != MaxRecorded {
		t.Fatalf("kept %d, want the limit %d", len(obs.Replies)+len(obs.Announcements), MaxRecorded)
	}
}

func TestRunReturnsTheCauseWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx, stop := context.WithCancelCause(ctx)
	stopReason := errors.New("interrupted by SIGTERM")
	time.AfterFunc(50*time.Millisecond, func() { stop(stopReason) })
	var obs verdict.Observation
	start := time.Now()
	err := Run(ctx, newScripted(func(int) []scriptedReply { return nil }), Schedule{Count: 5, Interval: time.Second}, &obs)
	if !errors.Is(err, stopReason) {
		t.Fatalf("err = %v, want the cancel cause", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("cancelled run took %v", took)
	}
}

func TestRunRefusesNonsense(t *testing.T) {
	var obs verdict.Observation
	if err := Run(context.Background(), newScripted(nil), Schedule{Count: 1, Interval: time.Second}, &obs); err == nil {
		t.Fatal("a run without a deadline was accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := Run(ctx, newScripted(nil), Schedule{Count: 0, Interval: time.Second}, &obs); err == nil {
		t.Fatal("zero probes accepted")
	}
}

// echoingTransport reports its own requests in wire order, like arpprobe.
type echoingTransport struct{ *scriptedTransport }

func (echoingTransport) ReportsRequests() bool { return true }

func (e echoingTransport) Send() (time.Time, error) {
	e.mu.Lock()
	e.queue = append(e.queue, Answer{Kind: OwnRequest, Probe: e.sent, At: time.Now()})
	e.mu.Unlock()
	e.wake <- struct{}{}
	return e.scriptedTransport.Send()
}

func TestRepliesBeforeTheFirstRequestAreNotOurs(t *testing.T) {
	st := newScripted(func(int) []scriptedReply { return []scriptedReply{{delay: time.Millisecond, mac: macA}} })
	// A reply to another process's request, queued before ours left.
	st.queue = append(st.queue, Answer{Kind: Reply, MAC: macB, At: time.Now()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var obs verdict.Observation
	if err := Run(ctx, echoingTransport{st}, Schedule{Count: 1, Interval: 10 * time.Millisecond}, &obs); err != nil {
		t.Fatal(err)
	}
	if len(obs.Replies) != 1 || obs.Replies[0].MAC != macA || obs.Unrecorded != 0 {
		t.Fatalf("replies %+v, unrecorded %d; want only macA's and nothing counted", obs.Replies, obs.Unrecorded)
	}
}

// laggingContext reaches its deadline only some time after Deadline says,
// as a context's timer does when the process is not scheduled.
type laggingContext struct {
	context.Context
	deadline time.Time
}

func (c laggingContext) Deadline() (time.Time, bool) { return c.deadline, true }

func TestRunEndsAtTheDeadlineEvenIfTheContextIsLate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	deadline := time.Now().Add(100 * time.Millisecond)
	tr := &countingTransport{scriptedTransport: newScripted(func(int) []scriptedReply { return nil })}
	var obs verdict.Observation
	start := time.Now()
	if err := Run(laggingContext{ctx, deadline}, tr, Schedule{Count: 2, Interval: 10 * time.Millisecond}, &obs); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("run ended %v after its start, waiting for the context rather than the 100ms deadline", took)
	}
	if tr.late > 1 {
		t.Fatalf("Receive was called %d times after the deadline: the loop spins until the context's timer fires", tr.late)
	}
}

// countingTransport counts Receive calls whose deadline has passed.
type countingTransport struct {
	*scriptedTransport
	late int
}

func (c *countingTransport) Receive(deadline time.Time) (Answer, error) {
	if !time.Now().Before(deadline) {
		c.late++
	}
	return c.scriptedTransport.Receive(deadline)
}

// starvedTransport answers every probe 1ms after it left, but its replies
// can be read only once the next probe has left: the check was not
// scheduled while they arrived. stall holds up the first Send after it has
// stamped the probe, as a process descheduled right after sending.
type starvedTransport struct {
	mu      sync.Mutex
	count   int
	stall   time.Duration
	sent    int
	pending []starvedAnswer
}

type starvedAnswer struct {
	probe int
	Answer
}

func (s *starvedTransport) Send() (time.Time, error) {
	at := time.Now()
	s.mu.Lock()
	n := s.sent
	s.sent++
	s.pending = append(s.pending, starvedAnswer{n, Answer{Kind: Reply, MAC: macA, At: at.Add(time.Millisecond)}})
	s.mu.Unlock()
	if n == 0 {
		time.Sleep(s.stall)
	}
	return at, nil
}

func (s *starvedTransport) Receive(deadline time.Time) (Answer, error) {
	for time.Now().Before(deadline) {
		s.mu.Lock()
		if len(s.pending) > 0 {
			a := s.pending[0]
			if !time.Now().Before(a.At) && (a.probe < s.sent-1 || s.sent == s.count) {
				s.pending = s.pending[1:]
				s.mu.Unlock()
				return a.Answer, nil
			}
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	return Answer{}, ErrTimeout
}

func (s *starvedTransport) Interrupt() {}

func TestRunCreditsRepliesReadLateToTheProbeTheyAnswered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var obs verdict.Observation
	if err := Run(ctx, &starvedTransport{count: 3}, Schedule{Count: 3, Interval: 30 * time.Millisecond}, &obs); err != nil {
		t.Fatal(err)
	}
	if len(obs.Replies) != 3 {
		t.Fatalf("replies %+v, want one per probe", obs.Replies)
	}
	for i, r := range obs.Replies {
		if r.Probe != i || r.RTT < time.Millisecond || r.RTT > 20*time.Millisecond {
			t.Errorf("reply %d credited to probe %d with rtt %v; want probe %d, rtt about 1ms (when it arrived, not when it was read)", i, r.Probe, r.RTT, i)
		}
	}
}

func TestRunKeepsProbesApartAfterAStall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	const interval = 20 * time.Millisecond
	var obs verdict.Observation
	// Probe 0 is stamped, then the check stalls past the time probes 1
	// and 2 were due.
	if err := Run(ctx, &starvedTransport{count: 3, stall: 3 * interval}, Schedule{Count: 3, Interval: interval}, &obs); err != nil {
		t.Fatal(err)
	}
	if len(obs.ProbesSent) != 3 {
		t.Fatalf("sent %v", obs.ProbesSent)
	}
	if gap := obs.ProbesSent[2] - obs.ProbesSent[1]; gap < interval/2 {
		t.Fatalf("probes 2 and 3 left %v apart after the stall, want at least half the %v interval", gap, interval)
	}
	answered := map[int]bool{}
	for _, r := range obs.Replies {
		answered[r.Probe] = true
	}
	if len(answered) != 3 {
		t.Fatalf("replies %+v: every probe was answered, none may be lost", obs.Replies)
	}
}

// kernelCountingTransport counts requests in the kernel as ndpprobe does: seen
// is what its RequestsSeen reports, or err.
type kernelCountingTransport struct {
	*scriptedTransport
	seen int
	err  error
}

func (c kernelCountingTransport) RequestsSeen() (int, error) { return c.seen, c.err }

func TestForeignRequests(t *testing.T) {
	answer := func(int) []scriptedReply { return []scriptedReply{{delay: time.Millisecond, mac: macA}} }
	run := func(t *testing.T, tr Transport) verdict.Observation {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var obs verdict.Observation
		if err := Run(ctx, tr, Schedule{Count: 3, Interval: 10 * time.Millisecond}, &obs); err != nil {
			t.Fatal(err)
		}
		return obs
	}
	tests := []struct {
		name    string
		tr      Transport
		foreign int
	}{
		{"no counter, no echoes", newScripted(answer), 0},
		{"counter sees only ours", kernelCountingTransport{newScripted(answer), 3, nil}, 0},
		{"counter sees two more", kernelCountingTransport{newScripted(answer), 5, nil}, 2},
		{"counter missed some of ours", kernelCountingTransport{newScripted(answer), 1, nil}, 0},
		{"counter fails: assume others", kernelCountingTransport{newScripted(answer), 0, errors.New("gone")}, 1},
		{"wire order, nobody else", echoingTransport{newScripted(answer)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := run(t, tt.tr)
			if obs.ForeignRequests != tt.foreign {
				t.Errorf("ForeignRequests %d, want %d", obs.ForeignRequests, tt.foreign)
			}
		})
	}

	// In wire order, other processes' requests are counted as they pass.
	st := newScripted(answer)
	st.queue = append(st.queue, Answer{Kind: ForeignRequest, At: time.Now()}, Answer{Kind: ForeignRequest, At: time.Now()})
	if obs := run(t, echoingTransport{st}); obs.ForeignRequests != 2 {
		t.Errorf("wire order with two foreign requests: ForeignRequests %d, want 2", obs.ForeignRequests)
	}
}

// droppingTransport's socket dropped drops frames, or cannot say (err).
type droppingTransport struct {
	*scriptedTransport
	drops int
	err   error
}

func (d droppingTransport) ReceiveDrops() (int, error) { return d.drops, d.err }

// What the transport's socket dropped unread reaches the observation, so
// that the verdict does not take it for loss on the wire.
func TestReceiveDrops(t *testing.T) {
	answer := func(int) []scriptedReply { return []scriptedReply{{delay: time.Millisecond, mac: macA}} }
	for _, tt := range []struct {
		name string
		tr   Transport
		want int
	}{
		{"no counter", newScripted(answer), 0},
		{"nothing dropped", droppingTransport{newScripted(answer), 0, nil}, 0},
		{"dropped", droppingTransport{newScripted(answer), 42, nil}, 42},
		{"unknown", droppingTransport{newScripted(answer), 0, errors.New("gone")}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			var obs verdict.Observation
			if err := Run(ctx, tt.tr, Schedule{Count: 3, Interval: 10 * time.Millisecond}, &obs); err != nil {
				t.Fatal(err)
			}
			if obs.ReceiveDrops != tt.want {
				t.Errorf("ReceiveDrops %d, want %d", obs.ReceiveDrops, tt.want)
			}
		})
	}
}

// unicastTransport answers the unicast request after delay, or never
// when answer is false.
type unicastTransport struct {
	*scriptedTransport
	answer bool
	delay  time.Duration
	to     *mac.Addr
	// macless answers without naming a MAC, as Linux answers a unicast
	// neighbor solicitation.
	macless bool
}

func (u unicastTransport) SendUnicast(to mac.Addr, _ time.Time) (time.Time, error) {
	*u.to = to
	at := time.Now()
	if u.answer {
		time.AfterFunc(u.delay, func() {
			u.mu.Lock()
			a := Answer{Kind: Reply, MAC: to, At: time.Now()}
			if u.macless {
				a = Answer{Kind: MACLessReply, At: a.At}
			}
			u.queue = append(u.queue, a)
			u.mu.Unlock()
			u.wake <- struct{}{}
		})
	}
	return at, nil
}

func TestUnicastRequest(t *testing.T) {
	every := func(int) []scriptedReply { return []scriptedReply{{delay: time.Millisecond, mac: macA}} }
	// The first of three probes is never answered.
	lossy := func(p int) []scriptedReply {
		if p == 0 {
			return nil
		}
		return every(p)
	}
	tests := []struct {
		name     string
		script   func(int) []scriptedReply
		answer   bool
		unicast  bool
		timeout  time.Duration
		want     verdict.UnicastRequest
		early    bool // the run ends before its deadline
		replies  int
		sentToMe bool
		macless  bool
	}{
		{"answered without a MAC", every, true, true, time.Second, verdict.UnicastRequest{Sent: true, To: macA, Answered: true}, true, 3, true, true},
		{"answered", every, true, true, time.Second, verdict.UnicastRequest{Sent: true, To: macA, Answered: true}, true, 3, true, false},
		{"ignored: waits for the deadline", every, false, true, 600 * time.Millisecond, verdict.UnicastRequest{Sent: true, To: macA}, false, 3, true, false},
		{"disabled", every, true, false, time.Second, verdict.UnicastRequest{}, true, 3, false, false},
		{"a probe unanswered: none sent", lossy, true, true, 600 * time.Millisecond, verdict.UnicastRequest{}, false, 2, false, false},
		// The last probe leaves at 20 ms; the settle time ends at
		// FairWindow, 150 ms; 90 ms, less than UnicastMinWait, is left.
		{"too little time left: none sent", every, true, true, 240 * time.Millisecond, verdict.UnicastRequest{}, true, 3, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var to mac.Addr
			tr := unicastTransport{newScripted(tt.script), tt.answer, 2 * time.Millisecond, &to, tt.macless}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			var obs verdict.Observation
			if err := Run(ctx, tr, Schedule{Count: 3, Interval: 10 * time.Millisecond, Unicast: tt.unicast}, &obs); err != nil {
				t.Fatal(err)
			}
			got := obs.Unicast
			got.RTT = 0
			if got != tt.want {
				t.Errorf("Unicast %+v, want %+v", obs.Unicast, tt.want)
			}
			if tt.want.Answered && (obs.Unicast.RTT < 2*time.Millisecond || obs.Unicast.RTT > tt.timeout) {
				t.Errorf("unicast rtt %v, want at least the responder's 2ms", obs.Unicast.RTT)
			}
			if (to == macA) != tt.sentToMe {
				t.Errorf("sent to %v", to)
			}
			if len(obs.Replies) != tt.replies {
				t.Errorf("%d replies recorded, want %d (the unicast answer is not a probe's)", len(obs.Replies), tt.replies)
			}
			if ended := obs.Elapsed < tt.timeout-50*time.Millisecond; ended != tt.early {
				t.Errorf("run took %v of %v; want early end %v", obs.Elapsed, tt.timeout, tt.early)
			}
		})
	}
}

// echoingUnicastTransport reports its requests in wire order, the unicast
// one tagged past every probe as arpprobe tags it, and answers each.
type echoingUnicastTransport struct{ echoingTransport }

func (e echoingUnicastTransport) SendUnicast(to mac.Addr, _ time.Time) (time.Time, error) {
	e.mu.Lock()
	e.queue = append(e.queue, Answer{Kind: OwnRequest, Probe: 0xffff, At: time.Now()})
	e.mu.Unlock()
	e.wake <- struct{}{}
	at := time.Now()
	time.AfterFunc(time.Millisecond, func() {
		e.mu.Lock()
		e.queue = append(e.queue, Answer{Kind: Reply, MAC: to, At: time.Now()})
		e.mu.Unlock()
		e.wake <- struct{}{}
	})
	return at, nil
}

func TestUnicastAnswerIsNoProbesReply(t *testing.T) {
	every := func(int) []scriptedReply { return []scriptedReply{{delay: time.Millisecond, mac: macA}} }
	for name, tr := range map[string]Transport{
		"wire order": echoingUnicastTransport{echoingTransport{newScripted(every)}},
		"by arrival": unicastTransport{newScripted(every), true, time.Millisecond, new(mac.Addr), false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var obs verdict.Observation
		err := Run(ctx, tr, Schedule{Count: 3, Interval: 10 * time.Millisecond, Unicast: true}, &obs)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !obs.Unicast.Answered {
			t.Errorf("%s: unicast %+v, want answered", name, obs.Unicast)
		}
		perProbe := map[int]int{}
		for _, r := range obs.Replies {
			perProbe[r.Probe]++
		}
		if len(obs.Replies) != 3 || perProbe[0] != 1 || perProbe[1] != 1 || perProbe[2] != 1 {
			t.Errorf("%s: replies %+v; want one per probe, the unicast answer credited to none", name, obs.Replies)
		}
	}
}

// pacedUnicastTransport is a pool's address whose interface has no free
// slot for the unicast request in time: it records the latest time Run
// allows and sends nothing.
type pacedUnicastTransport struct {
	*scriptedTransport
	latest *time.Time
}

func (p pacedUnicastTransport) SendUnicast(_ mac.Addr, latest time.Time) (time.Time, error) {
	*p.latest = latest
	return time.Time{}, ErrTimeout
}

// A paced transport that finds no slot for the unicast request before the
// latest time Run gives (the deadline less UnicastMinWait) sends none: the
// run ends as without it, with no error and no unicast finding.
func TestUnicastRequestWithoutSlot(t *testing.T) {
	every := func(int) []scriptedReply { return []scriptedReply{{delay: time.Millisecond, mac: macA}} }
	var latest time.Time
	const timeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var obs verdict.Observation
	if err := Run(ctx, pacedUnicastTransport{newScripted(every), &latest}, Schedule{Count: 3, Interval: 10 * time.Millisecond, Unicast: true}, &obs); err != nil {
		t.Fatal(err)
	}
	if want := deadline.Add(-UnicastMinWait); !latest.Equal(want) {
		t.Errorf("latest %v, want the deadline less UnicastMinWait (%v)", latest, want)
	}
	if obs.Unicast != (verdict.UnicastRequest{}) || len(obs.Replies) != 3 {
		t.Errorf("unicast %+v, %d replies; want none sent and the 3 replies", obs.Unicast, len(obs.Replies))
	}
	if obs.Elapsed >= timeout-50*time.Millisecond {
		t.Errorf("run took %v of %v; with every probe answered and no unicast request it ends early", obs.Elapsed, timeout)
	}
}

// lateTransport hands each frame over a while after it arrived, as a
// pool's socket read on a clock does: a Receive returns a frame that
// arrived by its deadline once it is handed over, even after the
// deadline, and keeps one that arrived after the deadline.
type lateTransport struct {
	mu       sync.Mutex
	script   func(probe int) []scriptedReply
	sent     int
	arrivals []Answer // in order of arrival
	lag      time.Duration
}

func (l *lateTransport) Send() (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := time.Now()
	for _, r := range l.script(l.sent) {
		l.arrivals = append(l.arrivals, Answer{Kind: Reply, MAC: r.mac, At: at.Add(r.delay)})
	}
	slices.SortStableFunc(l.arrivals, func(a, b Answer) int { return a.At.Compare(b.At) })
	l.sent++
	return at, nil
}

func (l *lateTransport) Receive(deadline time.Time) (Answer, error) {
	for {
		l.mu.Lock()
		var next Answer
		have := len(l.arrivals) > 0
		if have {
			next = l.arrivals[0]
		}
		l.mu.Unlock()
		// When the next event happens: the next frame is handed over,
		// or the reader has read past the deadline.
		until := deadline.Add(l.lag)
		if have && !next.At.After(deadline) {
			until = next.At.Add(l.lag)
		}
		if d := time.Until(until); d > 0 {
			// Interrupted at the end of the run, it still hands over
			// what arrived by then (its deadlines are the run's at
			// most), as a pool's endpoint does.
			time.Sleep(d)
			continue
		}
		if !have || next.At.After(deadline) {
			return Answer{}, ErrTimeout
		}
		l.mu.Lock()
		l.arrivals = l.arrivals[1:]
		l.mu.Unlock()
		return next, nil
	}
}

func (l *lateTransport) Interrupt() {}

// Frames count by when they arrived, not when they were handed over: a
// second claimant's reply that came within the settle time is recorded
// although the transport hands it over after the settle time, and so are
// replies that came just before the deadline.
func TestRunReadsWhatArrivedBeforeItEnds(t *testing.T) {
	t.Run("settle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			tr := &lateTransport{lag: 5 * time.Millisecond, script: func(p int) []scriptedReply {
				// Every probe: A at once, B 200µs later; the settle time
				// after A's reply is 1ms.
				return []scriptedReply{{delay: 20 * time.Microsecond, mac: macA}, {delay: 200 * time.Microsecond, mac: macB}}
			}}
			var obs verdict.Observation
			if err := Run(ctx, tr, Schedule{Count: 3, Interval: 100 * time.Millisecond}, &obs); err != nil {
				t.Fatal(err)
			}
			answered := map[int]int{}
			for _, r := range obs.Replies {
				answered[r.Probe]++
			}
			for p := range 3 {
				if answered[p] != 2 {
					t.Errorf("probe %d has %d replies recorded, want both claimants' (replies %+v)", p, answered[p], obs.Replies)
				}
			}
		})
	})
	t.Run("deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			tr := &lateTransport{lag: 8 * time.Millisecond, script: func(p int) []scriptedReply {
				if p < 2 {
					return []scriptedReply{{delay: 20 * time.Microsecond, mac: macA}}
				}
				// The last probe leaves at 208ms (its wait ends a lag
				// late); its replies arrive at 296ms and 297ms, before the
				// deadline, and are handed over after it.
				return []scriptedReply{{delay: 88 * time.Millisecond, mac: macA}, {delay: 89 * time.Millisecond, mac: macB}}
			}}
			var obs verdict.Observation
			if err := Run(ctx, tr, Schedule{Count: 3, Interval: 100 * time.Millisecond}, &obs); err != nil {
				t.Fatal(err)
			}
			if len(obs.Replies) != 4 {
				t.Errorf("%d replies recorded, want 4: the last two arrived before the deadline (replies %+v)", len(obs.Replies), obs.Replies)
			}
		})
	})
}
