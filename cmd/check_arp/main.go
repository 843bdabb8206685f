// Command check_arp is a monitoring plugin that checks that an IPv4 or IPv6
// address is answered at Layer 2 (ARP, or NDP neighbor discovery for IPv6)
// by the machine(s) that should answer it.
//
// main is where the steps meet: parse the command line, observe the
// target, decide, render, exit. Each step is a package that knows nothing
// of the others' inputs beyond what main hands it.
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
	"github.com/check-arp/check_arp/internal/probe"
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

	ctx, stop := interrupt.OnSignal(context.Background())
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

	r := verdict.Decide(obs, cfg.Policy)
	if cfg.Output == output.FormatNagios {
		return output.Nagios(w, r, cfg.Verbosity) // go-nagios prints the plugin result
	}
	doc, err := output.Render(cfg.Output, r, cfg.Verbosity)
	if err != nil {
		return output.Unknown(w, cfg.Protocol(), fmt.Errorf("internal error: rendering %s output: %w", cfg.Output, err))
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
