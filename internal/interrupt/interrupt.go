// Package interrupt turns SIGINT and SIGTERM (a scheduler giving up on the
// check, a person pressing Ctrl-C) into the cancellation of a context, with
// the signal as its cause, so that a long check stops probing and says why
// instead of dying silently.
package interrupt

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Brief is the longest run that is left to the signals' default action: a
// check whose deadline is at most this far away ends by itself before a
// person or a scheduler would interrupt it, and catching signals is not
// free. Go's os/signal starts a goroutine locked to a thread of its own to
// manage signal masks (two more threads, since locking one starts the
// runtime's template thread) and hands control between them for every
// signal it enables: measured, 0.5 ms of CPU and a fifth of the context
// switches of a default check, an eighth of its CPU time.
const Brief = time.Second

// OnSignal returns a context that is cancelled, with an *Error as its
// cause, when SIGINT or SIGTERM arrives, if the run may last longer than
// Brief (timeout); a briefer run keeps the default action (the signal
// ends the process at once) and ctx is cancelled only by stop. stop
// releases the signal handler (a later signal then ends the process as
// usual).
func OnSignal(parent context.Context, timeout time.Duration) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	if timeout <= Brief {
		return ctx, func() { cancel(nil) }
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(&Error{Signal: signalName(s)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// Error is the error of a check stopped by a signal.
type Error struct{ Signal string }

func (e *Error) Error() string {
	return fmt.Sprintf("check interrupted by %s before a verdict; if the scheduler's timeout killed it, give the check more time than -t", e.Signal)
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}
