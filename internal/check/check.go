// Package check runs one check: it finds the path to the target, opens the
// probe transport of the target's family (ARP for IPv4, NDP for IPv6), runs
// the probe schedule and hands the observation to the verdict core.
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
	"github.com/check-arp/check_arp/internal/ndpprobe"
	"github.com/check-arp/check_arp/internal/netpath"
	"github.com/check-arp/check_arp/internal/privilege"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Config is a validated check configuration.
type Config struct {
	Target    netip.Addr // IPv4 (ARP) or IPv6 (NDP), without zone
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
// it; it is an *Error naming the protocol. A panic inside is turned into
// such an error.
func Run(ctx context.Context, cfg Config, start time.Time) (verdict.Result, error) {
	return run(ctx, cfg, start, netpath.Resolve)
}

// resolver finds the path to the target; tests replace it.
type resolver func(context.Context, netpath.Request) (netpath.Path, error)

func run(ctx context.Context, cfg Config, start time.Time, resolve resolver) (res verdict.Result, err error) {
	proto := verdict.ProtocolARP
	if cfg.Target.Is6() {
		proto = verdict.ProtocolNDP
	}
	defer func() {
		if err != nil {
			err = &Error{Protocol: proto, Err: err}
		}
	}()
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

	path, err := resolveWithin(ctx, resolve, netpath.Request{Target: cfg.Target, Interface: cfg.Interface, Source: cfg.Source})
	if err != nil {
		return res, err
	}
	t, err := open(proto, path, cfg.Target)
	if err != nil {
		return res, err
	}
	defer t.Close()
	// The sockets are open: nothing else needs privilege. A cgo build
	// cannot drop it for every thread and keeps it; release builds are
	// static.
	if err := privilege.DropAll(); err != nil && !errors.Is(err, privilege.ErrUnsupported) {
		return res, err
	}

	local, _ := mac.FromSlice(path.Interface.HardwareAddr)
	obs := verdict.Observation{
		Protocol:  proto,
		Target:    cfg.Target,
		Interface: path.Interface.Name,
		Source:    path.Source,
		LocalMAC:  local,
	}
	// Closing the sockets takes an RCU grace period; stop probing early
	// enough that the whole check still ends by its deadline.
	probeCtx, cancelProbe := context.WithDeadline(ctx, start.Add(cfg.Timeout-teardownReserve(cfg.Timeout)))
	defer cancelProbe()
	if err := probe.Run(probeCtx, t, cfg.Schedule, &obs); err != nil {
		return res, err
	}
	return verdict.Decide(obs, cfg.Policy), nil
}

// resolveWithin runs the route lookup but gives up at ctx's deadline even
// if the lookup does not: netlink calls honour a socket timeout, but the
// deadline must hold whatever the kernel does.
func resolveWithin(ctx context.Context, resolve resolver, req netpath.Request) (netpath.Path, error) {
	type result struct {
		path netpath.Path
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// A panic here would bypass Run's recover and crash the plugin.
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("internal error in the route lookup: %v; please report this with the command line that caused it", r)}
			}
		}()
		p, err := resolve(ctx, req)
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.path, r.err
	case <-ctx.Done():
		return netpath.Path{}, fmt.Errorf("finding the interface towards %s took longer than the timeout; name it with -I, or check the host's routing (ip route get %s)", req.Target, req.Target)
	}
}

// teardownReserve is the end of the timeout kept for closing the sockets,
// which waits for the kernel (an RCU grace period, 5-30 ms).
func teardownReserve(timeout time.Duration) time.Duration {
	return min(20*time.Millisecond, timeout/4)
}

// transport is a probe transport that holds a socket.
type transport interface {
	probe.Transport
	Close() error
}

// open opens the transport of the protocol on path.
func open(proto string, path netpath.Path, target netip.Addr) (t transport, err error) {
	link := probe.Link{Interface: path.Interface, Source: path.Source, Target: target}
	socket := "ARP"
	if proto == verdict.ProtocolNDP {
		socket = "ICMPv6"
		t, err = ndpprobe.Open(link)
	} else {
		t, err = arpprobe.Open(link)
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, permissionError(socket, path.Interface.Name)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Error is why a check reached no verdict. Protocol names the protocol the
// check speaks (verdict.ProtocolARP or ProtocolNDP), so that the UNKNOWN
// line starts as the check's verdicts do.
type Error struct {
	Protocol string
	Err      error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// PermissionError says how to grant what a raw socket needs.
type PermissionError struct{ Socket, Interface, Binary string }

func (e *PermissionError) Error() string {
	return fmt.Sprintf("no permission to open a raw %s socket on %s: the check needs CAP_NET_RAW; run it as root or grant the capability once with 'setcap cap_net_raw+ep %s'", e.Socket, e.Interface, e.Binary)
}

func permissionError(socket, ifName string) error {
	bin, err := os.Executable()
	if err != nil {
		bin = "/path/to/check_arp"
	}
	return &PermissionError{Socket: socket, Interface: ifName, Binary: bin}
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
