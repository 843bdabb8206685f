// Package demux lets many probe runs share one socket: a reader hands each
// frame to the endpoint of the address it is about, and each endpoint is a
// probe.Transport of its own, so that every address runs the same probe
// loop, with the same attribution, as it would checked alone.
//
// The reader never blocks on an endpoint: each has a queue, bounded so that
// a flood of frames about one address costs bounded memory; frames beyond
// it are counted (Dropped) as the probe loop counts frames beyond its
// recording limit.
//
// The reader runs on a clock (a Feed): at each tick of the pool's grid it
// reads every frame queued on the socket, then ends the waits of the
// endpoints whose deadline the tick has reached. So the process wakes once
// per tick, not once per frame and per deadline of each address, and an
// endpoint's wait ends only after every frame that arrived before its
// deadline was handed to it, as a socket read with that deadline would.
package demux

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rawsock"
	"github.com/check-arp/check_arp/internal/tick"
)

// QueueLimit bounds the frames waiting for one endpoint's probe loop.
const QueueLimit = 1024

// Endpoint is one address's view of a shared socket. Deliver is for the
// reader; the probe.Transport methods are for the address's probe loop;
// Interrupt may be called from any goroutine.
type Endpoint struct {
	send      func() (time.Time, error)
	unicast   func(to mac.Addr) (time.Time, error) // nil: the address sends none
	gate      *pace.Gate
	ctx       context.Context
	wireOrder bool

	mu      sync.Mutex
	queue   []probe.Answer
	head    int
	dropped int
	closed  bool

	notify      chan struct{} // a frame was queued, a wait ended, or Interrupt was called
	interrupted atomic.Bool
	timer       *time.Timer // for waits without a live Feed

	feed    *Feed        // the reader that feeds it and ends its waits; nil: none
	waiting atomic.Int64 // the deadline Receive waits for (Feed.offset), noWait when none
}

// noWait is Endpoint.waiting while Receive does not wait.
const noWait = math.MaxInt64

// NewEndpoint returns an endpoint that sends with send once gate lets it,
// until ctx ends. wireOrder says whether the reader delivers every request
// for the address leaving this host (probe.WireOrder). Until a Feed serves
// it, its waits end by timers of their own.
func NewEndpoint(ctx context.Context, gate *pace.Gate, wireOrder bool, send func() (time.Time, error)) *Endpoint {
	e := &Endpoint{send: send, gate: gate, ctx: ctx, wireOrder: wireOrder, notify: make(chan struct{}, 1)}
	e.waiting.Store(noWait)
	return e
}

// WithUnicast makes e a probe.Unicaster that sends the unicast request
// with send, and returns e. It is called before the probe loop starts.
func (e *Endpoint) WithUnicast(send func(to mac.Addr) (time.Time, error)) *Endpoint {
	e.unicast = send
	return e
}

// SendUnicast sends the unicast request to the MAC to once the interface
// has a slot that its probes leave free (pace.Gate.WaitSpare), so that it
// counts against the rate without delaying any address's probes. When
// none is free by latest, at the end of the run, or without a unicast
// sender, it sends nothing and returns probe.ErrTimeout.
func (e *Endpoint) SendUnicast(to mac.Addr, latest time.Time) (time.Time, error) {
	if e.unicast == nil {
		return time.Time{}, probe.ErrTimeout
	}
	if err := e.gate.WaitSpare(e.ctx, latest); err != nil {
		return time.Time{}, probe.ErrTimeout
	}
	return e.unicast(to)
}

// Deliver queues a frame for the probe loop. After Close, or beyond
// QueueLimit waiting frames, the frame is only counted.
func (e *Endpoint) Deliver(a probe.Answer) {
	e.mu.Lock()
	switch {
	case e.closed:
	case len(e.queue)-e.head >= QueueLimit:
		e.dropped++
	default:
		if e.head >= QueueLimit || (e.head > 0 && e.head == len(e.queue)) {
			// Reuse the space of frames already taken.
			e.queue, e.head = e.queue[:copy(e.queue, e.queue[e.head:])], 0
		}
		e.queue = append(e.queue, a)
	}
	e.mu.Unlock()
	e.wake()
}

func (e *Endpoint) wake() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// Send waits for the interface's next slot and sends the next request. At
// the end of the run it sends nothing and returns probe.ErrTimeout.
func (e *Endpoint) Send() (time.Time, error) {
	if err := e.gate.Wait(e.ctx); err != nil {
		return time.Time{}, probe.ErrTimeout
	}
	return e.send()
}

// Receive returns the next queued frame that arrived by the deadline,
// waiting until the deadline (probe.ErrTimeout) or Interrupt. Served by a
// live Feed it waits until the Feed has read the socket past the deadline,
// so that a frame that arrived before the deadline is never missed, and
// at the end of the run (ctx's deadline, which interrupts the probe loop)
// likewise; a frame that arrived after the deadline stays queued for the
// next call, as it would in the socket.
func (e *Endpoint) Receive(deadline time.Time) (probe.Answer, error) {
	f := e.feed
	for {
		live := f.live()
		if e.interrupted.Load() {
			if !live || !errors.Is(e.ctx.Err(), context.DeadlineExceeded) {
				return probe.Answer{}, probe.ErrTimeout
			}
			// The run's end: what arrived until then still counts.
			if !f.end.IsZero() && f.end.Before(deadline) {
				deadline = f.end
			}
		}
		// Read before looking at the queue: every frame that arrived by
		// then is already in it.
		drained := f.drainedTo()
		e.mu.Lock()
		if e.head < len(e.queue) {
			a := e.queue[e.head]
			if a.At.After(deadline) {
				e.mu.Unlock()
				return probe.Answer{}, probe.ErrTimeout
			}
			e.head++
			e.mu.Unlock()
			return a, nil
		}
		e.mu.Unlock()
		if !live {
			if !e.sleep(deadline) {
				return probe.Answer{}, probe.ErrTimeout
			}
			continue
		}
		d := f.offset(deadline)
		if drained >= d {
			return probe.Answer{}, probe.ErrTimeout
		}
		e.waiting.Store(d)
		if f.drainedTo() < d && f.live() {
			<-e.notify
		}
		e.waiting.Store(noWait)
	}
}

// sleep waits for a frame or Interrupt until the deadline by a timer of
// its own, and reports false at the deadline.
func (e *Endpoint) sleep(deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	if e.timer == nil {
		e.timer = time.NewTimer(d)
	} else {
		e.timer.Reset(d)
	}
	select {
	case <-e.notify:
		e.timer.Stop()
		return true
	case <-e.timer.C:
		return false
	}
}

// Interrupt makes a blocked Receive, and every later one, return
// probe.ErrTimeout at once; at the end of the run (ctx's deadline) a live
// Feed's Receive returns first the frames that arrived by its deadline.
func (e *Endpoint) Interrupt() {
	e.interrupted.Store(true)
	e.wake()
}

// ReportsRequests tells the probe loop whether requests are reported in
// wire order (probe.WireOrder).
func (e *Endpoint) ReportsRequests() bool { return e.wireOrder }

// Close ends deliveries: the probe loop is done, and later frames about
// the address are dropped uncounted.
func (e *Endpoint) Close() {
	e.mu.Lock()
	e.closed, e.queue = true, nil
	e.mu.Unlock()
}

// Dropped returns how many frames found the queue full.
func (e *Endpoint) Dropped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// Feed reads the sockets of a set of endpoints on a clock: at each tick
// (the grid's, and the end of the endpoints' run, their context's
// deadline) it hands every datagram queued to its source's dispatch, which
// finds the endpoints it is about, and then ends the waits of the
// endpoints whose deadline has passed. A Feed that stops (Close, a socket
// error) ends every wait, and the endpoints wait by their own timers from
// then on.
type Feed struct {
	sources []Source
	eps     []*Endpoint
	base    time.Time // the zero of offset
	end     time.Time // the endpoints' deadline; zero if none

	started atomic.Bool
	stopped atomic.Bool
	drained atomic.Int64 // every datagram that arrived by this offset was dispatched
	mu      sync.Mutex   // held by a tick and by Close
}

// Source is a socket a Feed reads and what to do with each datagram; the
// Feed calls Dispatch from its clock's goroutine only.
type Source struct {
	Socket   *rawsock.Batch
	Dispatch func(rawsock.Datagram)
}

// NewFeed returns the Feed of eps from sources; Start starts it. The Feed
// owns the sockets: Close closes them.
func NewFeed(eps []*Endpoint, sources ...Source) *Feed {
	f := &Feed{sources: sources, eps: eps, base: time.Now()}
	f.drained.Store(math.MinInt64)
	for _, ep := range eps {
		if end, ok := ep.ctx.Deadline(); ok && (f.end.IsZero() || end.Before(f.end)) {
			f.end = end
		}
		ep.feed = f
	}
	return f
}

// offset is t as the Feed counts time: nanoseconds after its base, on the
// monotonic clock.
func (f *Feed) offset(t time.Time) int64 { return int64(t.Sub(f.base)) }

// live reports whether the Feed runs and ends its endpoints' waits.
func (f *Feed) live() bool { return f != nil && f.started.Load() && !f.stopped.Load() }

func (f *Feed) drainedTo() int64 {
	if f == nil {
		return math.MinInt64
	}
	return f.drained.Load()
}

// Start reads the sockets on clock's ticks until Close or a socket error.
// The clock must tick at the endpoints' deadline (tick.New's end), so
// that what arrived until then is read.
func (f *Feed) Start(clock *tick.Clock) {
	f.started.Store(true)
	clock.OnTick(f.tick)
}

// tick reads every datagram queued, then ends the waits that the
// datagrams read settle: those whose deadline was at most the tick's
// instant.
func (f *Feed) tick(time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped.Load() {
		return
	}
	// Every datagram queued by now is read below, so every one that
	// arrived by now, but for one the kernel stamped a moment before it
	// queued it (behind a receive queue on another CPU): that one comes
	// with the next tick, as a lone check's socket read at its deadline
	// would miss it too.
	began := time.Now()
	for _, src := range f.sources {
		if src.Socket.Drain(src.Dispatch) != nil {
			f.halt() // a socket failed: the waits end by their timers
			return
		}
	}
	drained := f.offset(began)
	f.drained.Store(drained)
	for _, ep := range f.eps {
		if ep.waiting.Load() <= drained {
			ep.wake()
		}
	}
}

// halt marks the Feed stopped and ends every wait: the endpoints wait by
// timers of their own from then on.
func (f *Feed) halt() {
	f.stopped.Store(true)
	for _, ep := range f.eps {
		ep.wake()
	}
}

// Close stops reading, closes the Feed's sockets (at the same time: see
// rawsock.Reader.Close) and ends deliveries to its endpoints.
func (f *Feed) Close() error {
	f.mu.Lock()
	if !f.stopped.Load() {
		f.halt()
	}
	f.mu.Unlock()
	for _, ep := range f.eps {
		ep.Close()
	}
	errs := make(chan error, len(f.sources))
	for _, src := range f.sources {
		go func() { errs <- src.Socket.Close() }()
	}
	var err error
	for range f.sources {
		err = errors.Join(err, <-errs)
	}
	return err
}

// Transports returns eps as the probe runs use them, in the same order.
func Transports(eps []*Endpoint) []probe.Transport {
	out := make([]probe.Transport, len(eps))
	for i, ep := range eps {
		out[i] = ep
	}
	return out
}
