// Package demux lets many probe runs share one socket: a reader hands each
// frame to the endpoint of the address it is about, and each endpoint is a
// probe.Transport of its own, so that every address runs the same probe
// loop, with the same attribution, as it would checked alone.
//
// The reader never blocks on an endpoint: each has a queue, bounded so that
// a flood of frames about one address costs bounded memory; frames beyond
// it are counted (Dropped) as the probe loop counts frames beyond its
// recording limit.
package demux

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rawsock"
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

	notify      chan struct{} // a frame was queued, or Interrupt was called
	interrupted atomic.Bool
	timer       *time.Timer
}

// NewEndpoint returns an endpoint that sends with send once gate lets it,
// until ctx ends. wireOrder says whether the reader delivers every request
// for the address leaving this host (probe.WireOrder).
func NewEndpoint(ctx context.Context, gate *pace.Gate, wireOrder bool, send func() (time.Time, error)) *Endpoint {
	return &Endpoint{send: send, gate: gate, ctx: ctx, wireOrder: wireOrder, notify: make(chan struct{}, 1)}
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

// Receive returns the next queued frame, waiting until the deadline
// (probe.ErrTimeout) or Interrupt.
func (e *Endpoint) Receive(deadline time.Time) (probe.Answer, error) {
	for {
		if e.interrupted.Load() {
			return probe.Answer{}, probe.ErrTimeout
		}
		e.mu.Lock()
		if e.head < len(e.queue) {
			a := e.queue[e.head]
			e.head++
			e.mu.Unlock()
			return a, nil
		}
		e.mu.Unlock()
		d := time.Until(deadline)
		if d <= 0 {
			return probe.Answer{}, probe.ErrTimeout
		}
		if e.timer == nil {
			e.timer = time.NewTimer(d)
		} else {
			e.timer.Reset(d)
		}
		select {
		case <-e.notify:
			e.timer.Stop()
		case <-e.timer.C:
			return probe.Answer{}, probe.ErrTimeout
		}
	}
}

// Interrupt makes a blocked Receive, and every later one, return
// probe.ErrTimeout at once.
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

// Serve reads rd in a goroutine of its own and hands each datagram to
// dispatch, which finds the endpoints it is about, until rd is
// interrupted, closed or fails: the probe runs then end by their deadlines.
func Serve(rd *rawsock.Reader, dispatch func(rawsock.Datagram)) {
	go func() {
		for {
			d, err := rd.Read()
			if err != nil {
				return
			}
			dispatch(d)
		}
	}()
}

// Shutdown stops Serve's reader, closes rd's socket and ends deliveries to
// eps, the endpoints fed from it.
func Shutdown(rd *rawsock.Reader, eps []*Endpoint) error {
	rd.Interrupt()
	err := rd.Close()
	for _, ep := range eps {
		ep.Close()
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
