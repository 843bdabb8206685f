package demux

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/probe"
)

func newTest() *Endpoint {
	return NewEndpoint(context.Background(), pace.NewGate(time.Microsecond), true, func() (time.Time, error) { return time.Now(), nil })
}

func TestDeliverReceiveInOrder(t *testing.T) {
	e := newTest()
	for i := range 5 {
		e.Deliver(probe.Answer{Kind: probe.Reply, Probe: i})
	}
	for i := range 5 {
		a, err := e.Receive(time.Now().Add(time.Second))
		if err != nil || a.Probe != i {
			t.Fatalf("Receive %d: %+v, %v", i, a, err)
		}
	}
	if _, err := e.Receive(time.Now().Add(5 * time.Millisecond)); !errors.Is(err, probe.ErrTimeout) {
		t.Errorf("empty queue: %v, want ErrTimeout", err)
	}
}

func TestQueueIsBounded(t *testing.T) {
	e := newTest()
	for range QueueLimit + 10 {
		e.Deliver(probe.Answer{Kind: probe.Reply})
	}
	if e.Dropped() != 10 {
		t.Errorf("Dropped = %d, want 10", e.Dropped())
	}
	// Taking frames makes room again, and the slice does not grow without
	// bound while a flood goes on.
	for range 100_000 {
		if _, err := e.Receive(time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		e.Deliver(probe.Answer{Kind: probe.Reply})
	}
	if c := cap(e.queue); c > 4*QueueLimit {
		t.Errorf("queue capacity %d after a long flood", c)
	}
}

func TestInterruptAndClose(t *testing.T) {
	e := newTest()
	done := make(chan error)
	go func() {
		_, err := e.Receive(time.Now().Add(time.Hour))
		done <- err
	}()
	e.Interrupt()
	if err := <-done; !errors.Is(err, probe.ErrTimeout) {
		t.Errorf("after Interrupt: %v", err)
	}
	e.Close()
	e.Deliver(probe.Answer{Kind: probe.Reply})
	if e.Dropped() != 0 {
		t.Errorf("frames after Close counted as dropped")
	}
}

func TestSendStopsAtTheEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sent := 0
	e := NewEndpoint(ctx, pace.NewGate(time.Hour), true, func() (time.Time, error) { sent++; return time.Now(), nil })
	if _, err := e.Send(); err != nil || sent != 1 {
		t.Fatalf("first Send: %v, %d sent", err, sent)
	}
	cancel()
	if _, err := e.Send(); !errors.Is(err, probe.ErrTimeout) || sent != 1 {
		t.Errorf("Send after the end: %v, %d sent; want ErrTimeout and nothing sent", err, sent)
	}
}

// The unicast request waits for the interface's gate: it leaves no
// earlier than the slot after the request before it, counting against the
// rate; when no slot is free by its latest time it is not sent; an
// endpoint without a unicast sender sends none.
func TestSendUnicastWaitsForGate(t *testing.T) {
	const slot = 30 * time.Millisecond
	var sentTo []mac.Addr
	e := NewEndpoint(context.Background(), pace.NewGate(slot), false, func() (time.Time, error) { return time.Now(), nil }).
		WithUnicast(func(to mac.Addr) (time.Time, error) { sentTo = append(sentTo, to); return time.Now(), nil })
	before := time.Now() // the gate's slot begins no earlier
	first, err := e.Send()
	if err != nil {
		t.Fatal(err)
	}
	to := mac.Addr{2, 0, 0, 0, 0, 0x0a}
	// The next slot is 30 ms away: a latest time before it sends nothing.
	if _, err := e.SendUnicast(to, first.Add(slot/3)); !errors.Is(err, probe.ErrTimeout) || len(sentTo) != 0 {
		t.Errorf("no slot by the latest time: %v, sent %v; want ErrTimeout, nothing sent", err, sentTo)
	}
	at, err := e.SendUnicast(to, first.Add(time.Second))
	if err != nil || len(sentTo) != 1 || sentTo[0] != to {
		t.Fatalf("SendUnicast: %v, sent %v", err, sentTo)
	}
	if at.Sub(before) < slot {
		t.Errorf("the unicast request left %v after the probe, within the gate's slot of %v", at.Sub(first), slot)
	}
	plain := newTest()
	if _, err := plain.SendUnicast(to, time.Now().Add(time.Second)); !errors.Is(err, probe.ErrTimeout) {
		t.Errorf("without a unicast sender: %v, want ErrTimeout", err)
	}
}
