// Package tick is the clock a pool run wakes on. A run of a thousand
// addresses has thousands of instants at which something is due: requests
// leaving, replies to read, each address's waits ending. Woken at each of
// them the process spends its CPU time in wake-ups (context switches, the
// Go scheduler), not in work. On a Clock every wait ends at the first tick
// of a grid at or after its instant, so the process wakes once per tick,
// however many addresses it checks: a wait that ends up to a tick later
// than asked only delays the address's next step.
//
// A Clock wakes from a timerfd in the Go runtime's poller, which wakes to
// the nanosecond: the runtime's own timers wake its poller with a timeout
// in whole milliseconds, rounded down, so that each tick would cost two
// wake-ups, one early and one late. Its system calls bypass the scheduler
// (none of them blocks), which would otherwise wake the runtime's monitor
// thread at every tick.
package tick

import (
	"container/heap"
	"context"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Grid is the instants Origin + k*Period. The zero Grid has no ticks:
// every instant is on it.
type Grid struct {
	Origin time.Time
	Period time.Duration
}

// Up returns the first tick at or after t.
func (g Grid) Up(t time.Time) time.Time {
	if g.Period <= 0 {
		return t
	}
	d := t.Sub(g.Origin)
	if d <= 0 {
		// Integer division truncates toward zero: up, for negative d.
		return g.Origin.Add(d / g.Period * g.Period)
	}
	return g.Origin.Add((d + g.Period - 1) / g.Period * g.Period)
}

// Clock wakes on the ticks of a grid, and once at an end instant (the
// run's deadline) if that is not a tick. At each tick it calls the
// functions given to OnTick, in order, then ends the Sleeps whose instant
// has come.
type Clock struct {
	grid Grid
	end  time.Time

	mu       sync.Mutex
	onTick   []func(now time.Time)
	sleepers sleepers
	stopped  bool

	wake func(next time.Time) error // arms the wake-up
	wait func() error               // waits for it
	stop func()
	done chan struct{}
}

// New returns a Clock that will tick every period, and at end if that is
// not a tick (the zero Time: no end); Start starts it.
func New(period time.Duration, end time.Time) *Clock {
	return &Clock{grid: Grid{Period: period}, end: end, done: make(chan struct{})}
}

// Start starts the clock, its ticks counted from origin, in a goroutine of
// its own until Stop. It is called once, before the clock is used from
// other goroutines: a run starts it when it starts probing, so that the
// first batch leaves at once and the others on ticks.
func (c *Clock) Start(origin time.Time) {
	c.grid.Origin = origin
	if err := c.useTimerFD(); err != nil {
		c.useTimer()
	}
	go c.run()
}

// Grid returns the clock's grid; before Start it has no ticks.
func (c *Clock) Grid() Grid {
	if c.grid.Origin.IsZero() {
		return Grid{}
	}
	return c.grid
}

// OnTick adds fn to the functions called at each tick, from the clock's
// goroutine, before the Sleeps whose instant has come end.
func (c *Clock) OnTick(fn func(now time.Time)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onTick = append(c.onTick, fn)
}

// Sleep waits until the first tick at or after until (at once if until has
// passed), or until ctx ends (its error). After Stop it waits by a timer.
func (c *Clock) Sleep(ctx context.Context, until time.Time) error {
	if !time.Now().Before(until) {
		return ctx.Err()
	}
	s := &sleeper{until: until, ch: make(chan struct{}, 1)}
	c.mu.Lock()
	stopped := c.stopped
	if !stopped {
		heap.Push(&c.sleepers, s)
	}
	c.mu.Unlock()
	if stopped {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop stops the clock; Sleeps still waiting end at once.
func (c *Clock) Stop() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	c.mu.Unlock()
	if c.stop == nil {
		return // never started
	}
	c.stop()
	<-c.done
}

func (c *Clock) run() {
	defer close(c.done)
	defer c.release()
	endDone := c.end.IsZero()
	next := c.grid.Up(time.Now())
	for {
		if !endDone && !c.end.After(next) {
			next = c.end
		}
		if c.wake(next) != nil || c.wait() != nil {
			return
		}
		now := time.Now()
		if now.Before(next) {
			continue // woken early: not by the clock
		}
		if !endDone && !now.Before(c.end) {
			endDone = true
		}
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return
		}
		fns := c.onTick
		c.mu.Unlock()
		for _, fn := range fns {
			fn(now)
		}
		c.mu.Lock()
		for len(c.sleepers) > 0 && !c.sleepers[0].until.After(now) {
			s := heap.Pop(&c.sleepers).(*sleeper)
			s.ch <- struct{}{}
		}
		c.mu.Unlock()
		next = c.grid.Up(now.Add(1))
	}
}

// release ends every Sleep still waiting: after Stop nothing waits for
// the clock.
func (c *Clock) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for _, s := range c.sleepers {
		s.ch <- struct{}{}
	}
	c.sleepers = nil
}

// useTimerFD wakes the clock from a timerfd in the runtime's poller.
func (c *Clock) useTimerFD() error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "tick")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	// The monotonic clock's reading now, for times on it: Go's monotonic
	// readings are CLOCK_MONOTONIC's, but kept from another origin.
	var mono unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono); err != nil {
		f.Close()
		return err
	}
	base, baseMono := time.Now(), mono.Nano()
	var (
		spec    unix.ItimerSpec
		buf     [8]byte
		werr    error
		readErr error
	)
	setFn := func(fd uintptr) {
		_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, unix.TFD_TIMER_ABSTIME, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
		werr = errnoErr(e)
	}
	readFn := func(fd uintptr) bool {
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if e == unix.EAGAIN {
			return false
		}
		readErr = errnoErr(e)
		return true
	}
	c.wake = func(next time.Time) error {
		ns := baseMono + int64(next.Sub(base))
		spec.Value = unix.NsecToTimespec(max(ns, 1)) // zero would disarm it
		if err := raw.Control(setFn); err != nil {
			return err
		}
		return werr
	}
	c.wait = func() error {
		if err := raw.Read(readFn); err != nil {
			return err
		}
		return readErr
	}
	c.stop = func() { f.Close() }
	return nil
}

// useTimer wakes the clock by a runtime timer, where there is no timerfd.
func (c *Clock) useTimer() {
	t := time.NewTimer(time.Hour)
	t.Stop()
	stop := make(chan struct{})
	c.wake = func(next time.Time) error {
		t.Reset(time.Until(next))
		return nil
	}
	c.wait = func() error {
		select {
		case <-t.C:
			return nil
		case <-stop:
			return os.ErrClosed
		}
	}
	c.stop = func() { close(stop) }
}

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

type sleeper struct {
	until time.Time
	ch    chan struct{}
}

// sleepers is a min-heap of sleepers by instant.
type sleepers []*sleeper

func (h sleepers) Len() int           { return len(h) }
func (h sleepers) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h sleepers) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sleepers) Push(x any)        { *h = append(*h, x.(*sleeper)) }
func (h *sleepers) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}
