// Package pace spreads the requests of many addresses checked in one run
// over time, so that the segment sees at most a given number of requests
// per second from this host on each interface, while each address keeps
// its own schedule of requests.
//
// A pool's requests are laid out in slots, round-robin, in batches of a
// few: the addresses on an interface start a batch at a time, each batch
// as many slots after the one before as it has addresses, and send their
// following requests one interval later each, the interval stretched to the
// whole round (addresses x slot) when the round does not fit into it. So
// every address keeps -p requests at least -i apart and the wire carries
// one request per slot on average. A batch leaves back to back: the check
// wakes once per batch instead of once per request, which is most of what
// a large pool costs in CPU, and a batch is a few milliseconds' worth of
// requests (see BurstWindow), nothing a switch's storm control notices. A
// Gate enforces the pace on the wire whatever the goroutines' timing: in
// any second at most rate requests leave, never more than a batch at once.
package pace

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/check-arp/check_arp/internal/tick"
)

// Limits on --rate: MaxRate keeps a host with cap_net_raw from flooding a
// segment through the check, below the broadcast storm-control levels
// switches commonly use; DefaultRate is a tenth of it.
const (
	DefaultRate = 1000
	MaxRate     = 10000
	// MaxRequests bounds the broadcast requests of one run, all
	// addresses together; each address adds at most one unicast request,
	// in a slot they leave free (Gate.WaitSpare).
	MaxRequests = 16384
)

// BurstWindow is how much of the rate may leave back to back: at the
// default rate, five requests. MaxBurst bounds it at high rates.
const (
	BurstWindow = 5 * time.Millisecond
	MaxBurst    = 8
)

// Plan is the schedule of one interface's addresses in a run.
type Plan struct {
	// Slot is the time between two requests on the interface on average:
	// about 1/rate, a little more when requests leave in batches, so that
	// no one-second window holds more than rate requests (see NewPlan).
	Slot time.Duration
	// Burst is the number of requests that may leave back to back: the
	// addresses of a batch.
	Burst int
	// Interval is the time between two requests of one address: the
	// requested interval, or the whole round when that is longer.
	Interval time.Duration
}

// NewPlan lays out n addresses with count requests interval apart on one
// interface at rate requests per second.
//
// With batches of b requests the gate must let a batch through at once, and
// a batch whose goroutines woke late together with the next one (Go's
// timers may fire a millisecond late): 2b requests back to back, then one
// per slot (a token bucket 2b deep). A window of one second then holds at
// most 2b-1 + 1s/slot requests, so the slot is 1s/(rate-2b+1), which keeps
// that at rate. Single requests (b = 1, low rates) keep the slot 1s/rate
// and leave no earlier than their slot.
func NewPlan(n int, interval time.Duration, rate int) Plan {
	rate = max(rate, 1)
	burst := min(max(rate*int(BurstWindow/time.Millisecond)/1000, 1), MaxBurst)
	perSecond := rate - (depth(burst) - 1)
	slot := time.Second / time.Duration(perSecond)
	if time.Duration(perSecond)*slot < time.Second {
		slot++ // round up: never faster than the rate
	}
	return Plan{Slot: slot, Burst: burst, Interval: max(interval, time.Duration(n)*slot)}
}

// depth is how many requests the gate of batches of burst lets leave back
// to back.
func depth(burst int) int {
	if burst <= 1 {
		return 1
	}
	return 2 * burst
}

// Offset is when the i-th address on the interface starts, from the run's
// start: with the other addresses of its batch, as many slots after the
// batch before as that has addresses.
func (p Plan) Offset(i int) time.Duration {
	b := max(p.Burst, 1)
	return time.Duration(i/b*b) * p.Slot
}

// Gate returns the gate that paces the plan's requests on the wire.
func (p Plan) Gate() *Gate {
	return &Gate{slot: p.Slot, tolerance: time.Duration(depth(p.Burst)-1) * p.Slot, spare: make(chan struct{}, 1)}
}

// GateOn returns the gate that paces the plan's requests on the wire and
// lets them leave on clock's ticks only (see Gate.Wait).
func (p Plan) GateOn(clock *tick.Clock) *Gate {
	g := p.Gate()
	g.clock = clock
	return g
}

// Tick is the period of the clock a run of this plan wakes on: a batch's
// slots, so that every batch starts on a tick, kept within MinTick and
// MaxTick.
func (p Plan) Tick() time.Duration {
	return min(max(time.Duration(max(p.Burst, 1))*p.Slot, MinTick), MaxTick)
}

// The bounds of Plan.Tick: above MaxTick a reply would wait too long to be
// read (an address's run ends up to a tick after its last reply); below
// MinTick the wake-ups would cost more than they save.
const (
	MinTick = time.Millisecond
	MaxTick = 10 * time.Millisecond
)

// Span is how long sending takes: from the run's start to the last request
// of the last of n addresses with count requests each.
func (p Plan) Span(n, count int) time.Duration {
	if n < 1 || count < 1 {
		return 0
	}
	return p.Offset(n-1) + time.Duration(count-1)*p.Interval
}

// Gate paces requests on one interface: one per slot, of which a burst
// may leave at once (a token bucket as deep as the burst, in the form of
// the generic cell rate algorithm). It is safe for concurrent use.
type Gate struct {
	slot      time.Duration
	tolerance time.Duration // how far ahead of its slot a request may leave: depth-1 slots
	clock     *tick.Clock   // requests that wait leave on its ticks; nil: when they may
	mu        sync.Mutex
	next      time.Time // the slot of the next request
	// spare is held by the one WaitSpare looking for a free slot; the
	// others queue for it.
	spare chan struct{}
}

// NewGate returns a gate that lets one request through per slot, none
// ahead of its slot.
func NewGate(slot time.Duration) *Gate { return &Gate{slot: slot, spare: make(chan struct{}, 1)} }

// Wait reserves the next free slot and blocks until the request may leave;
// it returns ctx's error if ctx ends first. A request that is late (its
// goroutine ran late) takes the slot at once, and the gate counts the next
// slot from then: the pace holds on the wire, never from a schedule that
// fell behind, so no catching up sends more than a burst. On a gate with a
// clock a request that must wait leaves at the first tick it may, and the
// gate counts the next slot from that tick: the requests' actual times keep
// the pace, however late the ticks make them.
func (g *Gate) Wait(ctx context.Context) error {
	leave := g.reserve(time.Now())
	if g.clock != nil {
		return g.clock.Sleep(ctx, leave)
	}
	d := time.Until(leave)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve takes the next slot for a request that arrives at now and
// returns when the request may leave: at once if it may, else at the first
// tick at which it may. The next slot counts from the later of its own
// slot and the leaving time (the generic cell rate algorithm applied to
// the times the requests leave), so that in any window the requests that
// leave keep to the rate and the burst.
func (g *Gate) reserve(now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	leave := g.next.Add(-g.tolerance)
	if leave.Before(now) {
		leave = now
	} else if g.clock != nil {
		leave = g.clock.Grid().Up(leave)
	}
	g.next = latest(g.next, leave).Add(g.slot)
	return leave
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ErrNoSpareSlot is WaitSpare's answer when the interface has no free
// slot by the latest time given.
var ErrNoSpareSlot = errors.New("no free slot on the interface in time")

// WaitSpare is Wait for a request that must not delay the planned ones
// (the unicast request of a pool's address, sent once its probes are
// answered): it takes a slot only while the gate is idle, that is while
// the slots reserved ahead fit into half of the burst the gate lets
// through (none for a gate without bursts), and otherwise waits for them
// to pass and looks again. A planned batch arriving then still leaves at
// once, within the other half. While the plan's requests fill every slot
// (a pool larger than -i x --rate), a spare request so waits for them to
// end, and the plan's schedule, on which -t was judged, holds; after them
// spare requests leave at the gate's pace, half a burst at a time. The
// slot it takes counts against the rate like any other. It returns
// ErrNoSpareSlot, having taken nothing, when no slot is free by latest,
// and ctx's error if ctx ends first. One caller at a time looks; the
// others queue, so that a pool's many waiting requests do not all wake at
// every slot.
func (g *Gate) WaitSpare(ctx context.Context, latest time.Time) error {
	d := time.Until(latest)
	if d < 0 {
		return ErrNoSpareSlot
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case g.spare <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return ErrNoSpareSlot
	}
	defer func() { <-g.spare }()
	for {
		now := time.Now()
		if now.After(latest) {
			return ErrNoSpareSlot
		}
		free, ok := g.reserveIdle(now)
		if ok {
			return ctx.Err()
		}
		if free.After(latest) {
			return ErrNoSpareSlot
		}
		// Looking again when enough of the slots reserved so far have
		// passed: while the plan's requests fill them, once per batch of
		// them; after them, once per half burst of spare requests. On a
		// gate with a clock, at its first tick after that.
		if g.clock != nil {
			if err := g.clock.Sleep(ctx, free); err != nil {
				return err
			}
			continue
		}
		timer.Reset(free.Sub(now))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reserveIdle takes the next slot for a spare request at now if the slots
// reserved ahead fit into half the gate's burst; the request may then
// leave at once. Otherwise it returns when they will.
func (g *Gate) reserveIdle(now time.Time) (free time.Time, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	slack := g.tolerance / 2
	if g.next.After(now.Add(slack)) {
		return g.next.Add(-slack), false
	}
	at := g.next
	if at.Before(now) {
		at = now
	}
	g.next = at.Add(g.slot)
	return time.Time{}, true
}
