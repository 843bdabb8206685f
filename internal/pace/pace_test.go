package pace

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	for _, tt := range []struct {
		n, count, rate int
		interval       time.Duration
		slot, every    time.Duration
		span           time.Duration
	}{
		// 100 addresses fit in one interval at 1000/s: the schedule stays.
		{100, 3, 1000, 100 * time.Millisecond, time.Millisecond, 100 * time.Millisecond, 299 * time.Millisecond},
		// 1000 do not: each address's requests are a whole round apart.
		{1000, 3, 1000, 100 * time.Millisecond, time.Millisecond, time.Second, 2999 * time.Millisecond},
		{1, 3, 1000, 100 * time.Millisecond, time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond},
		{10, 1, 10, time.Second, 100 * time.Millisecond, time.Second, 900 * time.Millisecond},
	} {
		p := NewPlan(tt.n, tt.interval, tt.rate)
		if p.Slot != tt.slot || p.Interval != tt.every || p.Span(tt.n, tt.count) != tt.span {
			t.Errorf("NewPlan(%d, %v, %d) = %+v, span %v; want slot %v, interval %v, span %v",
				tt.n, tt.interval, tt.rate, p, p.Span(tt.n, tt.count), tt.slot, tt.every, tt.span)
		}
	}
}

// The gate never lets two requests through less than a slot apart,
// whatever the callers' timing: a timer fires no earlier than asked.
func TestGateSpacing(t *testing.T) {
	const slot = 2 * time.Millisecond
	g := NewGate(slot)
	var mu sync.Mutex
	var times []time.Time
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Wait(context.Background()); err != nil {
				t.Error(err)
			}
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
		}()
	}
	wg.Wait()
	first, last := times[0], times[0]
	for _, at := range times {
		if at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	if last.Sub(first) < 19*slot {
		t.Errorf("20 requests passed within %v; at one per %v they take at least %v", last.Sub(first), slot, 19*slot)
	}
}

func TestGateStopsAtContextEnd(t *testing.T) {
	g := NewGate(time.Hour)
	_ = g.Wait(context.Background()) // takes the first slot at once
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Wait(ctx); err == nil {
		t.Error("Wait for a slot an hour away returned nil after the context ended")
	}
}
