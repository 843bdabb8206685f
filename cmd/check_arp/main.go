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
	"io"
	"os"
	"time"

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

	return output.Nagios(w, verdict.Decide(obs, cfg.Policy), cfg.Verbosity)
}
