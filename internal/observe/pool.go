package observe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/check-arp/check_arp/internal/arpprobe"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ndpprobe"
	"github.com/check-arp/check_arp/internal/netpath"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/privilege"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/tick"
	"github.com/check-arp/check_arp/internal/verdict"
)

// PoolRequest is the observation of many addresses in one run.
type PoolRequest struct {
	// Targets are the addresses to probe and where to find them.
	Targets []netpath.Request
	// Schedule is each address's requests: Count of them, at least
	// Interval apart (more when the interface's share of Rate needs it),
	// and the unicast request if Unicast, in a slot the others leave
	// free (see demux.Endpoint.SendUnicast).
	Schedule probe.Schedule
	// Rate bounds the requests per second on each interface.
	Rate int
	// Start and Timeout bound the whole run, as in Request.
	Start   time.Time
	Timeout time.Duration
}

// Outcome is one address's observation, or why there is none.
type Outcome struct {
	Obs verdict.Observation
	Err error
}

// RunPool observes every address of req at once: one socket per
// interface, family and source (a group), every address's probe run on its
// own endpoint of it, requests paced by interface (see package pace). The
// outcomes are in the order of req.Targets; an address whose path or
// socket failed has its error, the others go on. The error is ctx's cause
// when ctx was cancelled (a signal): the run as a whole has no verdict.
func RunPool(ctx context.Context, req PoolRequest) (out []Outcome, err error) {
	out = make([]Outcome, len(req.Targets))
	defer recoverInternal(&err)
	ctx, cancel := context.WithDeadline(ctx, req.Start.Add(req.Timeout))
	defer cancel()
	defer func() {
		// An interrupted run has no verdict, even where addresses had one.
		if cause := interruption(ctx); cause != nil {
			err = cause
		}
	}()

	paths := resolveAll(ctx, req.Targets)
	groups := groupTargets(req.Targets, paths, out)

	// Closing the sockets takes an RCU grace period; stop probing early
	// enough that the whole run still ends by its deadline.
	probeCtx, cancelProbe := context.WithDeadline(ctx, req.Start.Add(req.Timeout-teardownReserve(req.Timeout)))
	defer cancelProbe()

	// The plan of each interface: its addresses of both families share
	// its rate.
	perIf := make(map[int]int)
	for _, g := range groups {
		perIf[g.ifi.Index] += len(g.members)
	}
	// The run wakes on one clock, a batch's slots apart (the same on every
	// interface: it depends on the rate only): the requests leave, the
	// sockets are read and the waits end on its ticks.
	// It ticks at the probes' deadline too, so that what arrived until
	// then is read.
	probeEnd, _ := probeCtx.Deadline()
	clock := tick.New(pace.NewPlan(1, req.Schedule.Interval, req.Rate).Tick(), probeEnd)
	defer clock.Stop()
	plans := make(map[int]pace.Plan, len(perIf))
	gates := make(map[int]*pace.Gate, len(perIf))
	for i, n := range perIf {
		plans[i] = pace.NewPlan(n, req.Schedule.Interval, req.Rate)
		gates[i] = plans[i].GateOn(clock)
	}

	var open []closer
	defer func() { closeAll(open) }()
	for _, g := range groups {
		c, eps, err := openGroup(probeCtx, g, gates[g.ifi.Index])
		if err != nil {
			for _, m := range g.members {
				out[m].Err = err
			}
			continue
		}
		open = append(open, c)
		g.eps = eps
	}
	// The sockets are open: nothing else needs privilege (see Run).
	if err := privilege.DropAll(); err != nil && !errors.Is(err, privilege.ErrUnsupported) {
		return out, err
	}
	// The first batch leaves now, the others on the clock's ticks.
	begin := time.Now()
	clock.Start(begin)
	for _, c := range open {
		c.Start(clock)
	}
	slot := make(map[int]int) // the next slot index on each interface
	var wg sync.WaitGroup
	for _, g := range groups {
		if g.eps == nil {
			continue
		}
		plan := plans[g.ifi.Index]
		local, _ := mac.FromSlice(g.ifi.HardwareAddr)
		for k, m := range g.members {
			o := &out[m]
			o.Obs = verdict.Observation{
				Protocol:  verdict.ProtocolOf(req.Targets[m].Target),
				Target:    req.Targets[m].Target,
				Interface: g.ifi.Name,
				Source:    g.source,
				LocalMAC:  local,
			}
			offset := plan.Offset(slot[g.ifi.Index])
			slot[g.ifi.Index]++
			ep := g.eps[k]
			wg.Add(1)
			go func() {
				defer wg.Done()
				o.Err = runStaggered(probeCtx, clock, clock.Grid().Up(begin.Add(offset)), ep, probe.Schedule{Count: req.Schedule.Count, Interval: plan.Interval, Unicast: req.Schedule.Unicast}, &o.Obs)
			}()
		}
	}
	wg.Wait()
	for _, g := range groups {
		for _, m := range g.members {
			if o := &out[m]; o.Err == nil && g.eps != nil && len(o.Obs.ProbesSent) == 0 {
				// As a lone check: the host stalled the run while it
				// started (-t was checked against the schedule).
				o.Err = nothingLeft(o.Obs.Protocol, o.Obs.Target, g.ifi.Name, begin.Sub(req.Start), req.Timeout)
			}
		}
	}
	addMacvlanChildren(ctx, groups, out)
	return out, nil
}

// addMacvlanChildren names, for each address that got no reply, the
// macvlans of its interface, as a lone check does (see macvlanChildren):
// one lookup per interface, only when one of its addresses was silent.
func addMacvlanChildren(ctx context.Context, groups []*group, out []Outcome) {
	children := make(map[int][]string)
	for _, g := range groups {
		for _, m := range g.members {
			o := &out[m]
			if o.Err != nil || len(o.Obs.ProbesSent) == 0 || len(o.Obs.Replies) > 0 {
				continue
			}
			c, ok := children[g.ifi.Index]
			if !ok {
				c = macvlanChildren(ctx, g.ifi.Index)
				children[g.ifi.Index] = c
			}
			o.Obs.MacvlanChildren = c
		}
	}
}

// runStaggered waits until at (a tick of clock), then runs the probe
// schedule on t.
func runStaggered(ctx context.Context, clock *tick.Clock, at time.Time, t probe.Transport, s probe.Schedule, obs *verdict.Observation) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v; please report this with the command line that caused it", r)
		}
	}()
	s.Start = at
	_ = clock.Sleep(ctx, at) // at ctx's end Run ends at once
	err = probe.Run(ctx, t, s, obs)
	if ep, ok := t.(interface {
		Close()
		Dropped() int
	}); ok {
		ep.Close()
		obs.Unrecorded += ep.Dropped()
	}
	return err
}

// resolveAll finds every target's path, giving up on those left at ctx's
// deadline.
func resolveAll(ctx context.Context, targets []netpath.Request) []pathOrError {
	type result struct {
		i int
		p pathOrError
	}
	results := make(chan result, len(targets))
	go func() {
		defer func() {
			if r := recover(); r != nil {
				results <- result{-1, pathOrError{err: fmt.Errorf("internal error in the route lookup: %v; please report this with the command line that caused it", r)}}
			}
		}()
		r, err := netpath.NewResolver(ctx)
		if err != nil {
			for i := range targets {
				results <- result{i, pathOrError{err: err}}
			}
			return
		}
		defer r.Close()
		r.LookUpRoutes(targets)
		for i, t := range targets {
			if ctx.Err() != nil {
				return
			}
			p, err := r.Resolve(ctx, t)
			results <- result{i, pathOrError{p, err}}
		}
	}()
	out := make([]pathOrError, len(targets))
	for i, t := range targets {
		out[i].err = fmt.Errorf("finding the interface towards %s took longer than the timeout, so no request was sent and nothing is known about the target; if this host is busy, raise -t, else name the interface with -I or check the host's routing (ip route get %s)", t.Target, t.Target)
	}
	for range targets {
		select {
		case r := <-results:
			if r.i < 0 {
				for i := range out {
					out[i] = r.p
				}
				return out
			}
			out[r.i] = r.p
		case <-ctx.Done():
			return out
		}
	}
	return out
}

type pathOrError struct {
	path netpath.Path
	err  error
}

// group is the addresses probed through one socket.
type group struct {
	ifi     *net.Interface
	source  netip.Addr
	ipv6    bool
	members []int // indexes into the targets
	addrs   []netip.Addr
	eps     []probe.Transport
}

// groupTargets sorts the resolved targets into groups, in the order of
// their first member, and records the errors of the others in out.
func groupTargets(targets []netpath.Request, paths []pathOrError, out []Outcome) []*group {
	type key struct {
		ifIndex int
		source  netip.Addr
		ipv6    bool
	}
	index := make(map[key]*group)
	var groups []*group
	for i, p := range paths {
		if p.err != nil {
			out[i].Err = p.err
			continue
		}
		k := key{p.path.Interface.Index, p.path.Source, targets[i].Target.Is6()}
		g := index[k]
		if g == nil {
			g = &group{ifi: p.path.Interface, source: p.path.Source, ipv6: k.ipv6}
			index[k] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, i)
		g.addrs = append(g.addrs, targets[i].Target)
	}
	return groups
}

// socketsPerGroup is the most sockets a group holds: ARP's listener and
// sender; NDP's ICMPv6 socket and its packet socket.
const socketsPerGroup = 2

// closer is an open group.
type closer interface {
	Start(*tick.Clock)
	Close() error
}

// openGroup opens g's socket.
func openGroup(ctx context.Context, g *group, gate *pace.Gate) (closer, []probe.Transport, error) {
	var (
		c      closer
		eps    []probe.Transport
		err    error
		socket = "ARP"
	)
	if g.ipv6 {
		socket = "ICMPv6"
		c, eps, err = openNDP(ctx, g, gate)
	} else {
		c, eps, err = openARP(ctx, g, gate)
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, nil, permissionError(socket, g.ifi.Name)
	}
	return c, eps, err
}

func openARP(ctx context.Context, g *group, gate *pace.Gate) (closer, []probe.Transport, error) {
	c, eps, err := arpprobe.OpenGroup(ctx, g.ifi, g.source, g.addrs, gate)
	if err != nil {
		return nil, nil, err
	}
	return c, eps, nil
}

func openNDP(ctx context.Context, g *group, gate *pace.Gate) (closer, []probe.Transport, error) {
	c, eps, err := ndpprobe.OpenGroup(ctx, g.ifi, g.source, g.addrs, gate)
	if err != nil {
		return nil, nil, err
	}
	return c, eps, nil
}

// closeAll closes the groups at once: each close waits for an RCU grace
// period, and closing them together waits about once.
//
// That needs a thread per socket in close(2) at the same time. On one P
// (package oneproc) the runtime starts the second thread only when its
// monitor notices the first blocked, and after a busy pool run the monitor
// sleeps 10 ms between looks: the closes ran one after the other, 25 ms
// instead of 10. With a P per socket, each close goroutine gets a thread at
// once.
func closeAll(open []closer) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(socketsPerGroup * len(open)))
	var wg sync.WaitGroup
	for _, c := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
		}()
	}
	wg.Wait()
}
