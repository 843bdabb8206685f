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
	"io"
	"os"
	"time"

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

// run checks what args ask for, prints the result to w and returns the
// exit code; start is when the plugin started, so that -t bounds the whole
// run.
func run(args []string, w io.Writer, start time.Time) int {
	cfg, err := cli.Parse(args, w, version)
	switch {
	case errors.Is(err, cli.ErrShown):
		return int(verdict.Unknown) // help or version: nothing to add
	case err != nil:
		return output.Unknown(w, "", err) // a usage error: "UNKNOWN - ..."
	}

	ctx, stop := interrupt.OnSignal(context.Background())
	obs, err := observe.Run(ctx, observe.Request{
		Target:   netpath.Request{Target: cfg.Target, Interface: cfg.Interface, Source: cfg.Source},
		Schedule: probe.Schedule{Count: cfg.Count, Interval: cfg.Interval},
		Start:    start,
		Timeout:  cfg.Timeout,
	})
	stop()
	if err != nil {
		return output.Unknown(w, cfg.Protocol(), err) // "ARP UNKNOWN - ..."
	}

	observed := time.Now()
	draft := verdict.Prepare(obs, cfg.Policy)
	mem := remember(cfg, obs, draft.RecordedAt(observed), start.Add(cfg.Timeout))
	return output.Nagios(w, draft.Decide(mem), cfg.Verbosity)
}

// remember records run, this check's outcome, in the state directory and
// returns what memory makes of it, waiting for other checks of the target
// no longer than deadline (one attempt at the lock is always made). A
// state problem is part of the Memory, never an error: the verdict on the
// wire stands. With --no-state nothing is read or written.
func remember(cfg cli.Config, obs verdict.Observation, run ownership.Run, deadline time.Time) verdict.Memory {
	if cfg.StateDir == "" {
		return verdict.Memory{}
	}
	store, err := state.Open(cfg.StateDir)
	if err != nil {
		return verdict.Memory{Problem: "state not saved: " + err.Error()}
	}
	defer store.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	mem := verdict.Memory{At: run.At}
	key := state.Key{Target: obs.Target, Interface: obs.Interface}
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
	if err != nil {
		// When only the write failed, this run's events are still true:
		// they are shown beside the problem.
		mem.Problem = "state not saved: " + err.Error()
	}
	return mem
}
