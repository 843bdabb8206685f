// Package check runs one check: it finds the path to the target, opens the
// probe transport, runs the probe schedule and hands the observation to the
// verdict core.
package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/check-arp/check_arp/internal/arpprobe"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/netpath"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Config is a validated check configuration.
type Config struct {
	Target    netip.Addr
	Interface string     // "" to find it by route lookup
	Source    netip.Addr // zero to pick one; 0.0.0.0 for RFC 5227 probes
	Schedule  probe.Schedule
	Timeout   time.Duration // for the whole check, from its start
	Policy    verdict.Policy
	Verbosity int
}

// Run performs the check described by cfg; start is when the plugin
// started, so that cfg.Timeout bounds the whole run. An error means no
// verdict could be reached (UNKNOWN); its message says why and how to fix
// it. A panic inside is turned into such an error. Run leaves its packet
// socket for the process exit to close (see below): it is meant for a
// process that exits after one check.
func Run(ctx context.Context, cfg Config, start time.Time) (res verdict.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v; please report this with the command line that caused it", r)
		}
	}()
	ctx, cancel := context.WithDeadline(ctx, start.Add(cfg.Timeout))
	defer cancel()
	defer func() {
		// Whatever failed, a signal is the reason to report.
		var in *Interrupted
		if err != nil && errors.As(context.Cause(ctx), &in) {
			err = in
		}
	}()

	path, err := netpath.Resolve(ctx, netpath.Request{Target: cfg.Target, Interface: cfg.Interface, Source: cfg.Source})
	if err != nil {
		return res, err
	}
	t, err := arpprobe.Open(arpprobe.Config{Interface: path.Interface, Source: path.Source, Target: cfg.Target})
	if err != nil {
		if errors.Is(err, arpprobe.ErrPermission) {
			return res, permissionError(path.Interface.Name)
		}
		return res, err
	}
	// The socket is left open for the process exit to release: check_arp
	// exits right after one check. Releasing a packet socket waits for an
	// RCU grace period (packet_release calls synchronize_net), the largest
	// part of a check's wall time after its verdict. Closed here, while
	// the Go runtime's threads still run, that wait measured about 10 ms
	// longer and cost 0.5 ms more CPU than the same release in exit_group
	// (60 alternating runs each in the lab).

	local, _ := mac.FromSlice(path.Interface.HardwareAddr)
	obs := verdict.Observation{
		Protocol:  "ARP",
		Target:    cfg.Target,
		Interface: path.Interface.Name,
		Source:    path.Source,
		LocalMAC:  local,
	}
	if err := probe.Run(ctx, t, cfg.Schedule, &obs); err != nil {
		return res, err
	}
	return verdict.Decide(obs, cfg.Policy), nil
}

// PermissionError says how to grant what a raw socket needs.
type PermissionError struct{ Interface, Binary string }

func (e *PermissionError) Error() string {
	return fmt.Sprintf("no permission to open a raw ARP socket on %s: the check needs CAP_NET_RAW; run it as root or grant the capability once with 'setcap cap_net_raw+ep %s'", e.Interface, e.Binary)
}

func permissionError(ifName string) error {
	bin, err := os.Executable()
	if err != nil {
		bin = "/path/to/check_arp"
	}
	return &PermissionError{Interface: ifName, Binary: bin}
}

// WithSignals returns a context that is cancelled, with the signal as its
// cause, when SIGINT or SIGTERM arrives (a scheduler giving up on the
// check). stop releases the signal handler.
func WithSignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(&Interrupted{Signal: signalName(s)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// Interrupted is the error of a check stopped by a signal.
type Interrupted struct{ Signal string }

func (e *Interrupted) Error() string {
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
