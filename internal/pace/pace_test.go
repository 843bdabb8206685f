package pace

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/tick"
)

func TestPlan(t *testing.T) {
	for _, tt := range []struct {
		n, count, rate int
		interval       time.Duration
		burst          int
		slot, every    time.Duration
		span           time.Duration
	}{
		// 100 addresses fit in one interval at 1000/s: the schedule stays.
		// Batches of 5, and the slot leaves room for two batches back to
		// back within the rate: 1s/991.
		// (The round of 100 slots is a little longer than 100ms.)
		{100, 3, 1000, 100 * time.Millisecond, 5, 1009082, 100 * 1009082, 95*1009082 + 2*100*1009082},
		// 1000 do not: each address's requests are a whole round apart.
		{1000, 3, 1000, 100 * time.Millisecond, 5, 1009082, 1000 * 1009082, 995*1009082 + 2*1000*1009082},
		{1, 3, 1000, 100 * time.Millisecond, 5, 1009082, 100 * time.Millisecond, 200 * time.Millisecond},
		// Low rates send one request at a time, 1/rate apart.
		{10, 1, 10, time.Second, 1, 100 * time.Millisecond, time.Second, 900 * time.Millisecond},
		{10, 2, 399, time.Second, 1, time.Second/399 + 1, time.Second, 9*(time.Second/399+1) + time.Second},
		// The burst is bounded at high rates.
		{10, 1, 10000, time.Second, MaxBurst, time.Second/(10000-2*MaxBurst+1) + 1, time.Second, 8 * (time.Second/(10000-2*MaxBurst+1) + 1)},
	} {
		p := NewPlan(tt.n, tt.interval, tt.rate)
		if p.Slot != tt.slot || p.Burst != tt.burst || p.Interval != tt.every || p.Span(tt.n, tt.count) != tt.span {
			t.Errorf("NewPlan(%d, %v, %d) = %+v, span %v; want slot %v, burst %d, interval %v, span %v",
				tt.n, tt.interval, tt.rate, p, p.Span(tt.n, tt.count), tt.slot, tt.burst, tt.every, tt.span)
		}
	}
}

// A plan's requests pass its gate as they fall due, batch by batch, even
// when their goroutines wake up late (Go's timers may fire a millisecond
// late), by up to a batch's slots; and whatever the timing, no second on
// the wire holds more than the rate, and no more than two batches leave at
// once.
func TestPlanThroughGate(t *testing.T) {
	for _, rate := range []int{1, 10, 100, 399, 400, 1000, 2500, MaxRate} {
		for _, n := range []int{1, 7, 100, 1000} {
			for _, late := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond} {
				const count = 3
				p := NewPlan(n, 100*time.Millisecond, rate)
				g := p.Gate()
				origin := time.Unix(1000, 0)
				g.next = origin
				// Arrivals in the order they fall due: the i-th address's
				// k-th request, its batch late by up to late.
				var due []time.Time
				for k := range count {
					for i := range n {
						batch := i / p.Burst
						jitter := time.Duration(0)
						if late > 0 {
							jitter = time.Duration((batch*7919+k*104729)%1000) * late / 1000
						}
						due = append(due, origin.Add(p.Offset(i)+time.Duration(k)*p.Interval+jitter))
					}
				}
				slices.SortFunc(due, func(a, b time.Time) int { return a.Compare(b) })
				left := make([]time.Time, len(due))
				for j, at := range due {
					leave := g.reserve(at)
					if leave.Before(at) {
						leave = at
					}
					left[j] = leave
					if p.Burst > 1 && late <= time.Duration(p.Burst)*p.Slot && !leave.Equal(at) {
						t.Fatalf("rate %d, %d addresses, %v late: request %d due at %v waited at the gate until %v",
							rate, n, late, j, at.Sub(origin), leave.Sub(origin))
					}
				}
				slices.SortFunc(left, func(a, b time.Time) int { return a.Compare(b) })
				for j := range left {
					if j+rate < len(left) && left[j+rate].Sub(left[j]) < time.Second {
						t.Fatalf("rate %d, %d addresses, %v late: %d requests within %v", rate, n, late, rate+1, left[j+rate].Sub(left[j]))
					}
					if d := 2 * p.Burst; p.Burst > 1 && j+d < len(left) && left[j+d].Sub(left[j]) < p.Slot {
						t.Fatalf("rate %d, %d addresses, %v late: %d requests within one slot", rate, n, late, d+1)
					}
				}
			}
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

// A spare request takes a slot only while none is reserved ahead: with
// planned requests booked, it waits until their slots have passed, and the
// slot it then takes delays the next planned request as any request does.
func TestWaitSpareYieldsToReservedSlots(t *testing.T) {
	const slot = 10 * time.Millisecond
	g := NewGate(slot)
	start := time.Now()
	for range 5 {
		g.reserve(start) // five planned requests: slots until start+50ms
	}
	if err := g.WaitSpare(context.Background(), start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 5*slot {
		t.Errorf("the spare request left after %v, inside the %v the planned requests reserved", took, 5*slot)
	}
	// It took the sixth slot: the next request waits for the seventh.
	if booked := g.next.Sub(start); booked < 6*slot {
		t.Errorf("the gate is booked %v after the start, want at least %v: the spare request took no slot", booked, 6*slot)
	}
}

// No free slot by the latest time: the spare request takes none, and the
// planned requests keep their slots.
func TestWaitSpareGivesUp(t *testing.T) {
	const slot = 50 * time.Millisecond
	g := NewGate(slot)
	start := time.Now()
	for range 4 {
		g.reserve(start)
	}
	next := g.next
	if err := g.WaitSpare(context.Background(), start.Add(slot)); !errors.Is(err, ErrNoSpareSlot) {
		t.Errorf("slots reserved past the latest time: %v, want ErrNoSpareSlot", err)
	}
	if !g.next.Equal(next) {
		t.Errorf("the gate's next slot moved by %v for a request that was not sent", g.next.Sub(next))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.WaitSpare(ctx, time.Now().Add(time.Hour)); err == nil {
		t.Error("WaitSpare with slots reserved for a while returned nil after the context ended")
	}
}

// Spare requests among themselves keep the gate's spacing.
func TestWaitSpareSpacing(t *testing.T) {
	const slot = 2 * time.Millisecond
	g := NewGate(slot)
	var mu sync.Mutex
	var times []time.Time
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			before := time.Now()
			if err := g.WaitSpare(context.Background(), time.Now().Add(10*time.Second)); err != nil {
				t.Error(err)
			}
			mu.Lock()
			times = append(times, before)
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Each took a slot of its own: the gate is booked 10 slots from the
	// first one's start.
	if booked := g.next.Sub(slices.MinFunc(times, time.Time.Compare)); booked < 10*slot {
		t.Errorf("10 spare requests booked %v of the gate; at one per %v they take at least %v", booked, slot, 10*slot)
	}
}

// With a plan's gate, spare requests leave half a burst at a time, so a
// planned batch arriving after them still leaves at once.
func TestWaitSpareLeavesHalfABurst(t *testing.T) {
	p := NewPlan(100, 100*time.Millisecond, DefaultRate)
	g := p.Gate()
	start := time.Now()
	for range p.Burst {
		if err := g.WaitSpare(context.Background(), start.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// At most half the burst's depth is booked ahead of now; a batch
	// of Burst planned requests arriving now leaves at once.
	now := time.Now()
	for i := range p.Burst {
		if at := g.reserve(now); at.After(now) {
			t.Errorf("planned request %d of a batch after %d spare ones waits %v", i+1, p.Burst, at.Sub(now))
		}
	}
}

// On a clock, a request that must wait leaves on a tick, and whatever the
// ticks do to the requests' times, no second on the wire holds more than
// the rate and no more than two batches leave at once.
func TestPlanThroughGateOnClock(t *testing.T) {
	for _, rate := range []int{1, 10, 100, 399, 400, 1000, 2500, MaxRate} {
		for _, n := range []int{1, 7, 100, 1000} {
			const count = 3
			p := NewPlan(n, 100*time.Millisecond, rate)
			origin := time.Unix(1000, 0)
			grid := tick.Grid{Origin: origin, Period: p.Tick()}
			clock := tick.New(grid.Period, time.Time{})
			clock.Start(origin)
			g := p.GateOn(clock)
			g.next = origin
			var due []time.Time
			for k := range count {
				for i := range n {
					// Each due on the first tick at or after it, as the
					// probe loops on the clock wake.
					due = append(due, grid.Up(origin.Add(p.Offset(i)+time.Duration(k)*p.Interval)))
				}
			}
			// And a crowd that arrives all at once (goroutines that ran
			// late), which must wait.
			for range n {
				due = append(due, origin.Add(p.Span(n, count)+time.Second))
			}
			slices.SortFunc(due, func(a, b time.Time) int { return a.Compare(b) })
			left := make([]time.Time, len(due))
			for j, at := range due {
				leave := g.reserve(at)
				if leave.After(at) && !grid.Up(leave).Equal(leave) {
					t.Fatalf("rate %d, %d addresses: request %d waited until %v, not a tick", rate, n, j, leave.Sub(origin))
				}
				if leave.Before(at) {
					leave = at
				}
				left[j] = leave
			}
			clock.Stop()
			slices.SortFunc(left, func(a, b time.Time) int { return a.Compare(b) })
			for j := range left {
				if j+rate < len(left) && left[j+rate].Sub(left[j]) < time.Second {
					t.Fatalf("rate %d, %d addresses: %d requests within %v", rate, n, rate+1, left[j+rate].Sub(left[j]))
				}
				if d := 2 * p.Burst; p.Burst > 1 && j+d < len(left) && left[j+d].Sub(left[j]) < p.Slot {
					t.Fatalf("rate %d, %d addresses: %d requests within one slot", rate, n, d+1)
				}
			}
			if last, floor := left[len(left)-n-1].Sub(origin), p.Span(n, count); last > floor+floor/10+2*p.Tick() {
				t.Errorf("rate %d, %d addresses: the last request left at %v, the plan's span is %v", rate, n, last, floor)
			}
		}
	}
}
