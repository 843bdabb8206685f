package check

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
	cfg := Config{
		Target:   netip.MustParseAddr("198.51.100.10"),
		Schedule: probe.Schedule{Count: 1, Interval: 10 * time.Millisecond},
		Timeout:  200 * time.Millisecond,
	}
	start := time.Now()
	_, err := run(context.Background(), cfg, start, stuck)
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "finding the interface towards 198.51.100.10 took longer than the timeout; name it with -I") {
		t.Fatalf("err = %v", err)
	}
	if took > 300*time.Millisecond {
		t.Fatalf("run returned after %v with a 200ms timeout", took)
	}
}

func TestSignalDuringRouteLookupIsReported(t *testing.T) {
	stuck := func(ctx context.Context, _ netpath.Request) (netpath.Path, error) {
		<-ctx.Done()
		return netpath.Path{}, ctx.Err()
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(20*time.Millisecond, func() { cancel(&Interrupted{Signal: "SIGTERM"}) })
	cfg := Config{
		Target:   netip.MustParseAddr("198.51.100.10"),
		Schedule: probe.Schedule{Count: 1, Interval: 10 * time.Millisecond},
		Timeout:  5 * time.Second,
	}
	_, err := run(ctx, cfg, time.Now(), stuck)
	var in *Interrupted
	if !errors.As(err, &in) || in.Signal != "SIGTERM" {
		t.Fatalf("err = %v, want the interruption", err)
	}
}

func TestPanicInTheRouteLookupIsAnError(t *testing.T) {
	boom := func(context.Context, netpath.Request) (netpath.Path, error) { panic("boom") }
	cfg := Config{Target: netip.MustParseAddr("198.51.100.10"), Schedule: probe.Schedule{Count: 1, Interval: time.Second}, Timeout: time.Second}
	_, err := run(context.Background(), cfg, time.Now(), boom)
	if err == nil || !strings.HasPrefix(err.Error(), "internal error in the route lookup: boom") {
		t.Fatalf("err = %v", err)
	}
}
