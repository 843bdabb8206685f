// Package observe is the observation step of a check: it finds the path to
// the target (deadline-bounded), opens the probe transport of the target's
// protocol (ARP for IPv4, NDP for IPv6), runs the probe schedule and
// returns what it saw. It knows nothing of the policy the observation is
// judged by or of how the result is printed.
package observe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/check-arp/check_arp/internal/arpprobe"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ndpprobe"
	"github.com/check-arp/check_arp/internal/netpath"
	"github.com/check-arp/check_arp/internal/privilege"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Request is one observation to make.
type Request struct {
	// Target is the address to probe and where to find it.
	Target netpath.Request
	// Schedule is when to send the probes.
	Schedule probe.Schedule
	// Start is when the check started and Timeout its length: the whole
	// check, closing the sockets included, ends by Start+Timeout.
	Start   time.Time
	Timeout time.Duration
}

// Run makes the observation req describes. An error means there is nothing
// to judge; its message says why and how to fix it. When ctx was cancelled
// with a cause (a signal), that cause is the error. A panic inside is
// turned into an error.
func Run(ctx context.Context, req Request) (verdict.Observation, error) {
	return run(ctx, req, netpath.Resolve)
}

// resolver finds the path to the target; tests replace it.
type resolver func(context.Context, netpath.Request) (netpath.Path, error)

// recoverInternal, deferred, turns a panic into *err: a bug to report,
// never a crash that leaves the monitoring system without a result.
func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error: %v; please report this with the command line that caused it", r)
	}
}

// interruption is the reason ctx was cancelled when the caller gave one
// (a signal); nil when it was not cancelled, ran out of time or was
// cancelled without a reason.
func interruption(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, context.Canceled) {
		return nil
	}
	return cause
}

func run(ctx context.Context, req Request, resolve resolver) (obs verdict.Observation, err error) {
	defer recoverInternal(&err)
	ctx, cancel := context.WithDeadline(ctx, req.Start.Add(req.Timeout))
	defer cancel()
	defer func() {
		// Whatever failed, the reason the caller cancelled is the one to
		// report.
		if cause := interruption(ctx); err != nil && cause != nil {
			err = cause
		}
	}()

	target := req.Target.Target
	path, err := resolveWithin(ctx, resolve, req.Target)
	if err != nil {
		return obs, err
	}
	proto := verdict.ProtocolOf(target)
	t, err := open(proto, path, target)
	if err != nil {
		return obs, err
	}
	defer t.Close()
	// The sockets are open: nothing else needs privilege. A cgo build
	// cannot drop it for every thread and keeps it; release builds are
	// static.
	if err := privilege.DropAll(); err != nil && !errors.Is(err, privilege.ErrUnsupported) {
		return obs, err
	}

	local, _ := mac.FromSlice(path.Interface.HardwareAddr)
	obs = verdict.Observation{
		Protocol:  proto,
		Target:    target,
		Interface: path.Interface.Name,
		Source:    path.Source,
		LocalMAC:  local,
	}
	// Closing the sockets takes an RCU grace period; stop probing early
	// enough that the whole check still ends by its deadline.
	probeCtx, cancelProbe := context.WithDeadline(ctx, req.Start.Add(req.Timeout-teardownReserve(req.Timeout)))
	defer cancelProbe()
	began := time.Now()
	if err := probe.Run(probeCtx, t, req.Schedule, &obs); err != nil {
		return obs, err
	}
	if len(obs.ProbesSent) == 0 {
		// The deadline passed before the first request left: the host
		// stalled the check while it started. Nothing is known about
		// the target, so there is nothing to judge.
		return obs, nothingLeft(proto, target, path.Interface.Name, began.Sub(req.Start), req.Timeout)
	}
	if len(obs.Replies) == 0 {
		obs.MacvlanChildren = macvlanChildren(ctx, path.Interface.Index)
	}
	return obs, nil
}

// macvlanChildren names the macvlans on the interface with index ifIndex,
// or none if the lookup fails or outlasts ctx. It matters only when
// nothing answered (the kernel never delivers frames between a macvlan
// and its parent), so it is looked up only then: it dumps every interface
// of the host, hundreds on a Kubernetes node, which a check that got its
// answer does not need. It runs in the time kept for closing the sockets.
func macvlanChildren(ctx context.Context, ifIndex int) []string {
	done := make(chan []string, 1)
	go func() {
		defer func() {
			if recover() != nil {
				done <- nil
			}
		}()
		c, err := netpath.MacvlanChildren(ctx, ifIndex)
		if err != nil {
			c = nil
		}
		done <- c
	}()
	select {
	case c := <-done:
		return c
	case <-ctx.Done():
		return nil
	}
}

// nothingLeft is the error of a check whose deadline passed before its
// first request left: the host stalled it while it started (took startup
// of its timeout), so nothing is known about the target.
func nothingLeft(proto string, target netip.Addr, ifName string, startup, timeout time.Duration) error {
	return fmt.Errorf("no %s for %s left %s before the deadline: starting the check (opening its sockets) took %s of its %s timeout on this host, so nothing is known about the target; raise -t",
		requestWord(proto), target, ifName, startup.Round(time.Millisecond), timeout)
}

// requestWord names one request of the protocol.
func requestWord(proto string) string {
	if proto == verdict.ProtocolNDP {
		return "neighbor solicitation"
	}
	return "ARP request"
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
		return netpath.Path{}, fmt.Errorf("finding the interface towards %s took longer than the timeout, so no request was sent and nothing is known about the target; if this host is busy, raise -t, else name the interface with -I or check the host's routing (ip route get %s)", req.Target, req.Target)
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
