// Package pace spreads the requests of many addresses checked in one run
// over time, so that the segment sees at most a given number of requests
// per second from this host on each interface, while each address keeps
// its own schedule of requests.
//
// A pool's requests are laid out in slots 1/rate apart, round-robin: the
// i-th address on an interface starts i slots after the first, and sends its
// following requests one interval later each, the interval stretched to the
// whole round (addresses x slot) when the round does not fit into it. So
// every address keeps -p requests at least -i apart, the wire carries one
// request per slot, and no burst leaves at once. A Gate enforces the slot
// spacing on the wire whatever the goroutines' timing.
package pace

import (
	"context"
	"sync"
	"time"
)

// Limits on --rate: MaxRate keeps a host with cap_net_raw from flooding a
// segment through the check, below the broadcast storm-control levels
// switches commonly use; DefaultRate is a tenth of it.
const (
	DefaultRate = 1000
	MaxRate     = 10000
	// MaxRequests bounds the requests of one run, all addresses together.
	MaxRequests = 16384
)

// Plan is the schedule of one interface's addresses in a run.
type Plan struct {
	// Slot is the time between two requests on the interface: 1/rate.
	Slot time.Duration
	// Interval is the time between two requests of one address: the
	// requested interval, or the whole round when that is longer.
	Interval time.Duration
}

// NewPlan lays out n addresses with count requests interval apart on one
// interface at rate requests per second.
func NewPlan(n int, interval time.Duration, rate int) Plan {
	slot := time.Second / time.Duration(max(rate, 1))
	return Plan{Slot: slot, Interval: max(interval, time.Duration(n)*slot)}
}

// Offset is when the i-th address on the interface starts, from the run's
// start.
func (p Plan) Offset(i int) time.Duration { return time.Duration(i) * p.Slot }

// Span is how long sending takes: from the run's start to the last request
// of the last of n addresses with count requests each.
func (p Plan) Span(n, count int) time.Duration {
	if n < 1 || count < 1 {
		return 0
	}
	return p.Offset(n-1) + time.Duration(count-1)*p.Interval
}

// Gate spaces requests on one interface at least one slot apart. It is
// safe for concurrent use.
type Gate struct {
	slot time.Duration
	mu   sync.Mutex
	next time.Time // the earliest time the next request may leave
}

// NewGate returns a gate that lets one request through per slot.
func NewGate(slot time.Duration) *Gate { return &Gate{slot: slot} }

// Wait reserves the next free slot and blocks until it comes; it returns
// ctx's error if ctx ends first. A request that is
// late (its goroutine ran late) takes the slot at once, and the gate counts
// the next slot from then: the spacing holds on the wire, never from a
// schedule that fell behind, so no catching up sends a burst.
func (g *Gate) Wait(ctx context.Context) error {
	g.mu.Lock()
	now := time.Now()
	at := g.next
	if at.Before(now) {
		at = now
	}
	g.next = at.Add(g.slot)
	g.mu.Unlock()
	d := time.Until(at)
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
