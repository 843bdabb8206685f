// Package interrupt turns SIGINT and SIGTERM (a scheduler giving up on the
// check) into the cancellation of a context, with the signal as its cause,
// so that the check stops probing and says why instead of dying silently.
package interrupt

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// OnSignal returns a context that is cancelled, with an *Error as its
// cause, when SIGINT or SIGTERM arrives. stop releases the signal handler
// (a later signal then ends the process as usual).
func OnSignal(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
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
