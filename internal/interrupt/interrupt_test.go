package interrupt

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestSignalCancelsWithItsName(t *testing.T) {
	ctx, stop := OnSignal(context.Background(), time.Minute)
	defer stop()
	// The handler is installed, so the signal reaches the channel, not the
	// default action.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	var e *Error
	if !errors.As(context.Cause(ctx), &e) || e.Signal != "SIGTERM" {
		t.Fatalf("cause %v, want the SIGTERM interruption", context.Cause(ctx))
	}
}

func TestStopCancelsWithoutACause(t *testing.T) {
	ctx, stop := OnSignal(context.Background(), time.Minute)
	stop()
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Fatalf("cause %v after stop, want context.Canceled", context.Cause(ctx))
	}
}
