package observe

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/netpath"
	"github.com/check-arp/check_arp/internal/probe"
)

func TestSlowRouteLookupKeepsTheDeadline(t *testing.T) {
	stuck := func(context.Context, netpath.Request) (netpath.Path, error) {
		time.Sleep(5 * time.Second) // a lookup that ignores its context
		return netpath.Path{}, errors.New("too late")
	}
	start := time.Now()
	req := Request{
		Target:   netpath.Request{Target: netip.MustParseAddr("198.51.100.10")},
		Schedule: probe.Schedule{Count: 1, Interval: 10 * time.Millisecond},
		Start:    start,
		Timeout:  200 * time.Millisecond,
	}
	_, err := run(context.Background(), req, stuck)
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "finding the interface towards 198.51.100.10 took longer than the timeout, so no request was sent") {
		t.Fatalf("err = %v", err)
	}
	if took > 300*time.Millisecond {
		t.Fatalf("run returned after %v with a 200ms timeout", took)
	}
}

// stopped is a cancellation cause, as a signal handler gives one.
type stopped struct{ why string }

func (e *stopped) Error() string { return "stopped by " + e.why }

func TestCancellationCauseDuringRouteLookupIsReported(t *testing.T) {
	stuck := func(ctx context.Context, _ netpath.Request) (netpath.Path, error) {
		<-ctx.Done()
		return netpath.Path{}, ctx.Err()
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(20*time.Millisecond, func() { cancel(&stopped{"SIGTERM"}) })
	req := Request{
		Target:   netpath.Request{Target: netip.MustParseAddr("198.51.100.10")},
		Schedule: probe.Schedule{Count: 1, Interval: 10 * time.Millisecond},
		Start:    time.Now(),
		Timeout:  5 * time.Second,
	}
	_, err := run(ctx, req, stuck)
	var s *stopped
	if !errors.As(err, &s) || s.why != "SIGTERM" {
		t.Fatalf("err = %v, want the cancellation's cause", err)
	}
}

func TestPanicInTheRouteLookupIsAnError(t *testing.T) {
	boom := func(context.Context, netpath.Request) (netpath.Path, error) { panic("boom") }
	req := Request{Target: netpath.Request{Target: netip.MustParseAddr("198.51.100.10")}, Schedule: probe.Schedule{Count: 1, Interval: time.Second}, Start: time.Now(), Timeout: time.Second}
	_, err := run(context.Background(), req, boom)
	if err == nil || !strings.HasPrefix(err.Error(), "internal error in the route lookup: boom") {
		t.Fatalf("err = %v", err)
	}
}

// A panic anywhere in a run is an error the user can report, and a signal
// is reported as itself, not as the deadline or cancel it caused.
func TestPanicAndInterruption(t *testing.T) {
	err := func() (err error) {
		defer recoverInternal(&err)
		panic("index out of range")
	}()
	if err == nil || !strings.HasPrefix(err.Error(), "internal error: index out of range; please report") {
		t.Errorf("panic became %v", err)
	}

	signal := errors.New("interrupted by SIGTERM")
	ctx, cancel := context.WithCancelCause(context.Background())
	if err := interruption(ctx); err != nil {
		t.Errorf("running context: interruption = %v, want nil", err)
	}
	cancel(signal)
	if err := interruption(ctx); err != signal {
		t.Errorf("signalled context: interruption = %v, want %v", err, signal)
	}
	plain, stop := context.WithCancel(context.Background())
	stop()
	expired, done := context.WithDeadline(context.Background(), time.Now())
	defer done()
	for _, c := range []context.Context{plain, expired} {
		if err := interruption(c); err != nil {
			t.Errorf("interruption = %v for a context without a cause, want nil", err)
		}
	}
}
