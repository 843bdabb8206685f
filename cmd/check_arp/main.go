// Command check_arp is a monitoring plugin that checks that an IPv4 or IPv6
// address is answered at Layer 2 (ARP, or NDP neighbor discovery for IPv6)
// by the machine(s) that should answer it.
//
// main is where the steps meet: parse the command line, observe the
// target, derive the facts, record the run's outcome in memory, decide
// with what memory adds, render, exit. Each step is a package that knows
// nothing of the others' inputs beyond what main hands it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/check-arp/check_arp/internal/atomicfile"
	"github.com/check-arp/check_arp/internal/cli"
	"github.com/check-arp/check_arp/internal/interrupt"
	"github.com/check-arp/check_arp/internal/netpath"
	"github.com/check-arp/check_arp/internal/observe"
	_ "github.com/check-arp/check_arp/internal/oneproc" // one P: less CPU per check
	"github.com/check-arp/check_arp/internal/output"
	"github.com/check-arp/check_arp/internal/ownership"
	"github.com/check-arp/check_arp/internal/probe"
	"github.com/check-arp/check_arp/internal/state"
	"github.com/check-arp/check_arp/internal/verdict"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// Before anything is known about the target, a crash reads as ARP's.
	defer output.OnPanic(os.Stdout, verdict.ProtocolARP, os.Exit)
	os.Exit(run(os.Args[1:], os.Stdout, time.Now()))
}

// run checks what args ask for, prints the result to w (or writes it to
// the --write file) and returns the exit code; start is when the plugin
// started, so that -t bounds the whole run.
func run(args []string, w io.Writer, start time.Time) int {
	cfg, err := cli.Parse(args, w, version)
	switch {
	case errors.Is(err, cli.ErrShown):
		return int(verdict.Unknown) // help or version: nothing to add
	case err != nil:
		// A usage error: "UNKNOWN - ..." in the chosen format.
		return fail(w, cfg, output.Failure{Target: cfg.Target, Err: err})
	}

	if len(cfg.Targets) > 1 {
		return runPool(w, cfg, start)
	}
	ctx, stop := interrupt.OnSignal(context.Background(), cfg.Timeout)
	obs, err := observe.Run(ctx, observe.Request{
		Target:   netpath.Request{Target: cfg.Target, Interface: cfg.Interface, Source: cfg.Source},
		Schedule: probe.Schedule{Count: cfg.Count, Interval: cfg.Interval, Unicast: cfg.Unicast},
		Start:    start,
		Timeout:  cfg.Timeout,
	})
	stop()
	if err != nil {
		// "ARP UNKNOWN - ..." for the target.
		return fail(w, cfg, output.Failure{Protocol: cfg.Protocol(), Target: cfg.Target, Interface: cfg.Interface, Err: err})
	}

	store, storeErr := openState(cfg)
	if store != nil {
		defer store.Close()
	}
	r := decide(cfg, store, storeErr, obs, start)
	if cfg.Output == output.FormatNagios {
		return output.Nagios(w, r, cfg.Verbosity) // go-nagios prints the plugin result
	}
	doc, err := output.Render(cfg.Output, r, cfg.Verbosity)
	if err != nil {
		return output.Unknown(w, cfg.Protocol(), fmt.Errorf("internal error: rendering %s output: %w", cfg.Output, err))
	}
	return deliver(w, cfg, doc)
}

// runPool checks several addresses in one run: each is observed through
// its interface's shared socket and judged alone, by the same rules and
// allowlist; the output has one entry per address and the exit code is the
// worst state.
func runPool(w io.Writer, cfg cli.Config, start time.Time) int {
	reqs := make([]netpath.Request, len(cfg.Targets))
	for i, t := range cfg.Targets {
		reqs[i] = netpath.Request{Target: t.Addr, Interface: t.Interface, Source: cfg.Source}
	}
	ctx, stop := interrupt.OnSignal(context.Background(), cfg.Timeout)
	outcomes, err := observe.RunPool(ctx, observe.PoolRequest{
		Targets:  reqs,
		Schedule: probe.Schedule{Count: cfg.Count, Interval: cfg.Interval, Unicast: cfg.Unicast},
		Rate:     cfg.Rate,
		Start:    start,
		Timeout:  cfg.Timeout,
	})
	stop()
	if err != nil {
		// Interrupted: no address has a verdict.
		return fail(w, cfg, output.Failure{Err: err})
	}
	store, storeErr := openState(cfg)
	if store != nil {
		defer store.Close()
	}
	entries := make([]output.Entry, len(outcomes))
	for i, o := range outcomes {
		t := cfg.Targets[i]
		entries[i].Label = t.Label
		if o.Err != nil {
			entries[i].Failure = output.Failure{Protocol: verdict.ProtocolOf(t.Addr), Target: t.Addr, Interface: t.Interface, Err: o.Err}
			continue
		}
		entries[i].Result = decide(cfg, store, storeErr, o.Obs, start)
	}
	if cfg.Output == output.FormatNagios {
		return output.NagiosPool(w, entries, cfg.Verbosity)
	}
	doc, err := output.RenderPool(cfg.Output, entries, cfg.Verbosity)
	if err != nil {
		return output.Unknown(w, "", fmt.Errorf("internal error: rendering %s output: %w", cfg.Output, err))
	}
	return deliver(w, cfg, doc)
}

// fail reports a check without verdict in the chosen format.
func fail(w io.Writer, cfg cli.Config, f output.Failure) int {
	if cfg.Output == output.FormatNagios {
		return output.Unknown(w, f.Protocol, f.Err)
	}
	return deliver(w, cfg, output.RenderFailure(cfg.Output, f))
}

// deliver prints doc to w or, with --write, writes it to the file and
// prints its summary to w. A document that names no address leaves the
// file as it was: stale metrics age visibly, no metrics vanish silently.
// It returns the exit code.
func deliver(w io.Writer, cfg cli.Config, doc output.Document) int {
	if cfg.Write == "" {
		if _, err := w.Write(doc.Body); err != nil {
			return int(verdict.Unknown) // nowhere left to say so
		}
		return int(doc.State)
	}
	if doc.Complete {
		if err := atomicfile.Write(cfg.Write, doc.Body, 0o644); err != nil {
			return output.Unknown(w, "", fmt.Errorf("--write %s: %w; the check's result was: %s", cfg.Write, err, doc.Summary))
		}
	}
	fmt.Fprintln(w, doc.Summary)
	return int(doc.State)
}

// openState opens the state directory, unless --no-state turned memory
// off (nil, nil). Its error is not the check's: decide reports it beside
// the verdict on the wire.
func openState(cfg cli.Config) (*state.Store, error) {
	if cfg.StateDir == "" {
		return nil, nil
	}
	return state.Open(cfg.StateDir)
}

// decide judges one address's observation with what memory adds to it:
// the facts first, then this run's outcome recorded in the state store,
// then the verdict.
func decide(cfg cli.Config, store *state.Store, storeErr error, obs verdict.Observation, start time.Time) verdict.Result {
	observed := time.Now()
	draft := verdict.Prepare(obs, cfg.Policy)
	mem := remember(cfg, store, storeErr, obs, draft.RecordedAt(observed), start.Add(cfg.Timeout))
	return draft.Decide(mem)
}

// remember records run, this check's outcome, in the state directory and
// returns what memory makes of it. A run that finds what the last one
// found waits for nobody; one with a change to record waits for other
// checks of the target no longer than deadline (one attempt at the lock
// is always made). A state problem is part of the Memory, never an error:
// the verdict on the wire stands. With --no-state nothing is read or
// written.
func remember(cfg cli.Config, store *state.Store, storeErr error, obs verdict.Observation, run ownership.Run, deadline time.Time) verdict.Memory {
	if cfg.StateDir == "" {
		return verdict.Memory{}
	}
	if storeErr != nil {
		return verdict.Memory{Problem: "state not saved: " + storeErr.Error()}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	mem := verdict.Memory{At: run.At}
	key := state.Key{Target: obs.Target, Interface: obs.Interface}
	// Update may call this more than once, on ever newer records (the
	// one read without the lock, then the one under it): the last call's
	// events are this run's.
	loaded, err := store.Update(ctx, key, func(l state.Loaded) ownership.Record {
		mem.Used = true
		// A check that waited for the lock while a later check of the
		// target wrote saw an older state of the wire than memory holds.
		if ownership.Stale(l.Record, run, cfg.Timeout) {
			mem.Events = ownership.Current(l.Record, run.At, cfg.Flap)
			return l.Record
		}
		next, ev := ownership.Observe(l.Record, run, cfg.Flap)
		mem.Events = ev
		return next
	})
	mem.Reset = loaded.Reset
	switch {
	case errors.Is(err, state.ErrBusy):
		// Only a run with a change to record waits for the lock, and
		// only checks of this target by this user (the directory is
		// theirs alone) take it, each for one write, releasing it when
		// they exit. A wait that runs out means many checks of the target
		// at once, one of them recording: nothing the operator could fix,
		// so no WARNING that would send them to a sound directory. The
		// events derived from the latest record stand (a move seen is
		// still reported), and what this run saw is recorded by the next
		// check that sees it, if the check holding the lock did not.
		mem.Note = "memory not updated: " + err.Error() + "; the next check records what this one saw"
	case err != nil:
		// When only the write failed, this run's events are still true:
		// they are shown beside the problem.
		mem.Problem = "state not saved: " + err.Error()
	}
	return mem
}
