// Command check_arp is a monitoring plugin that checks that an IPv4 or IPv6
// address is answered at Layer 2 (ARP, or NDP neighbor discovery for IPv6)
// by the machine(s) that should answer it.
package main

import (
	"context"
	"os"
	"time"

	"github.com/check-arp/check_arp/internal/check"
	"github.com/check-arp/check_arp/internal/cli"
	_ "github.com/check-arp/check_arp/internal/oneproc" // one P: less CPU per check
	"github.com/check-arp/check_arp/internal/report"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	defer report.OnPanic(os.Stdout, os.Exit)
	start := time.Now()
	cfg, err := cli.Parse(os.Args[1:], os.Stdout, version)
	if err != nil {
		os.Exit(report.Error(os.Stdout, err))
	}
	ctx, stop := check.WithSignals(context.Background())
	res, err := check.Run(ctx, cfg, start)
	stop()
	if err != nil {
		os.Exit(report.Error(os.Stdout, err))
	}
	os.Exit(report.Result(os.Stdout, res, cfg.Verbosity))
}
