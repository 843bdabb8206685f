package demux

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/rawsock"
	"github.com/check-arp/check_arp/internal/tick"
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

// fed returns an endpoint that a Feed serves on a clock of period (and at
// ctx's deadline), from a socket whose peer the test writes to: each
// datagram is a reply whose probe index is its first byte.
func fed(t *testing.T, ctx context.Context, period time.Duration) (*Endpoint, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := rawsock.NewBatch(fds[0], 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	e := NewEndpoint(ctx, pace.NewGate(time.Microsecond), false, func() (time.Time, error) { return time.Now(), nil })
	f := NewFeed([]*Endpoint{e}, Source{Socket: rd, Dispatch: func(d rawsock.Datagram) {
		e.Deliver(probe.Answer{Kind: probe.Reply, Probe: int(d.Data[0]), At: d.At})
	}})
	end, _ := ctx.Deadline()
	clock := tick.New(period, end)
	clock.Start(time.Now())
	f.Start(clock)
	stop := context.AfterFunc(ctx, e.Interrupt)
	t.Cleanup(func() {
		stop()
		clock.Stop()
		f.Close()
		peer.Close()
	})
	return e, peer
}

func send(t *testing.T, peer *os.File, probe byte) {
	t.Helper()
	if _, err := peer.Write([]byte{probe}); err != nil {
		t.Fatal(err)
	}
}

// A frame that arrived before the deadline is returned, although the
// socket is read only at the tick after the deadline; the wait ends no
// earlier than the deadline.
func TestFeedReturnsWhatArrivedByTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, peer := fed(t, ctx, 50*time.Millisecond)
	time.Sleep(5 * time.Millisecond) // past the tick at the clock's origin
	send(t, peer, 1)
	a, err := e.Receive(time.Now().Add(time.Millisecond))
	if err != nil || a.Probe != 1 {
		t.Fatalf("Receive: %+v, %v; want the frame that arrived before the deadline", a, err)
	}
	deadline := time.Now().Add(20 * time.Millisecond)
	if _, err := e.Receive(deadline); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("Receive from an empty socket: %v", err)
	}
	if time.Now().Before(deadline) {
		t.Errorf("the wait ended before its deadline")
	}
}

// A frame that arrived after the deadline does not end the wait for it:
// that wait times out, and the frame stays for the next one.
func TestFeedKeepsWhatArrivedAfterTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, peer := fed(t, ctx, 50*time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Millisecond)
	go func() {
		time.Sleep(15 * time.Millisecond)
		send(t, peer, 2)
	}()
	if a, err := e.Receive(deadline); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("Receive: %+v, %v; want ErrTimeout, the frame came after the deadline", a, err)
	}
	a, err := e.Receive(time.Now().Add(time.Second))
	if err != nil || a.Probe != 2 {
		t.Fatalf("next Receive: %+v, %v; want the frame", a, err)
	}
}

// At the end of the run (ctx's deadline interrupts the probe loop) what
// arrived until then is still returned, then nothing.
func TestFeedReturnsWhatArrivedByTheEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
	defer cancel()
	end, _ := ctx.Deadline()
	e, peer := fed(t, ctx, time.Hour) // no tick but the origin and the end
	time.Sleep(10 * time.Millisecond)
	send(t, peer, 3)
	<-ctx.Done() // the probe loop sees the end before it reads
	a, err := e.Receive(end)
	if err != nil || a.Probe != 3 {
		t.Fatalf("Receive at the end: %+v, %v; want the frame that arrived before it", a, err)
	}
	if _, err := e.Receive(end); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("second Receive at the end: %v", err)
	}
}

// Cancelled (a signal), a Receive returns at once.
func TestFeedInterruptedByCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	e, _ := fed(t, ctx, time.Hour)
	done := make(chan error)
	go func() {
		_, err := e.Receive(time.Now().Add(time.Hour))
		done <- err
	}()
	time.Sleep(5 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, probe.ErrTimeout) {
			t.Errorf("after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Receive still waits after its context was cancelled")
	}
}
