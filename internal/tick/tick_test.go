package tick

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestGridUp(t *testing.T) {
	o := time.Unix(1000, 0)
	g := Grid{Origin: o, Period: 5 * time.Millisecond}
	for _, tt := range []struct{ at, want time.Duration }{
		{0, 0},
		{1, 5 * time.Millisecond},
		{5 * time.Millisecond, 5 * time.Millisecond},
		{5*time.Millisecond + 1, 10 * time.Millisecond},
		{-1, 0},
		{-5 * time.Millisecond, -5 * time.Millisecond},
		{-7 * time.Millisecond, -5 * time.Millisecond},
	} {
		if got := g.Up(o.Add(tt.at)); !got.Equal(o.Add(tt.want)) {
			t.Errorf("Up(origin%+v) = origin%+v, want origin%+v", tt.at, got.Sub(o), tt.want)
		}
	}
	if at := o.Add(3); !(Grid{}).Up(at).Equal(at) {
		t.Error("the zero Grid moves an instant")
	}
}

// A Sleep ends at the first tick at or after its instant, never before
// it, and the sleeps of one tick end together, after the tick's
// functions ran.
func TestSleepEndsOnTheTickAfterItsInstant(t *testing.T) {
	const period = 20 * time.Millisecond
	start := time.Now()
	c := New(period, time.Time{})
	c.Start(start)
	defer c.Stop()
	var mu sync.Mutex
	var ticks []time.Time
	c.OnTick(func(now time.Time) {
		mu.Lock()
		ticks = append(ticks, now)
		mu.Unlock()
	})
	until := []time.Time{start.Add(25 * time.Millisecond), start.Add(31 * time.Millisecond), start.Add(39 * time.Millisecond)}
	woke := make([]time.Time, len(until))
	var wg sync.WaitGroup
	for i, u := range until {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Sleep(context.Background(), u); err != nil {
				t.Error(err)
			}
			woke[i] = time.Now()
		}()
	}
	wg.Wait()
	tick := start.Add(2 * period)
	for i := range until {
		if woke[i].Before(tick) {
			t.Errorf("sleep until +%v ended at +%v, before the tick at +%v", until[i].Sub(start), woke[i].Sub(start), tick.Sub(start))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	ran := false
	for _, at := range ticks {
		if !at.Before(tick) {
			ran = true
			for i := range woke {
				if woke[i].Before(at) {
					t.Errorf("sleep %d ended at +%v, before the functions of its tick at +%v", i, woke[i].Sub(start), at.Sub(start))
				}
			}
			break
		}
	}
	if !ran {
		t.Error("no tick function ran at the sleeps' tick")
	}
}

// The clock ticks at its end instant too, between two ticks of its grid.
func TestClockTicksAtTheEnd(t *testing.T) {
	start := time.Now()
	end := start.Add(30 * time.Millisecond)
	c := New(time.Hour, end)
	c.Start(start)
	defer c.Stop()
	ticked := make(chan time.Time, 10)
	c.OnTick(func(now time.Time) { ticked <- now })
	select {
	case at := <-ticked:
		if at.Before(end) {
			// The tick at the grid's origin may come first.
			at = <-ticked
		}
		if at.Before(end) || at.Sub(end) > time.Second {
			t.Errorf("ticked at +%v, want at the end, +%v", at.Sub(start), end.Sub(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no tick at the end")
	}
}

func TestSleepStopsAtContextEndAndStop(t *testing.T) {
	c := New(time.Millisecond, time.Time{})
	c.Start(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Now().Add(time.Hour)); err == nil {
		t.Error("Sleep an hour long returned nil after its context ended")
	}
	done := make(chan error)
	go func() { done <- c.Sleep(context.Background(), time.Now().Add(time.Hour)) }()
	time.Sleep(10 * time.Millisecond)
	c.Stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not end a sleep")
	}
	// After Stop a sleep waits by a timer.
	begin := time.Now()
	if err := c.Sleep(context.Background(), begin.Add(20*time.Millisecond)); err != nil || time.Since(begin) < 20*time.Millisecond {
		t.Errorf("sleep after Stop: %v after %v", err, time.Since(begin))
	}
}
