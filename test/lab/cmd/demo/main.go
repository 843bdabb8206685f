// Command demo builds the standard namespace lab, runs check_arp against
// each of its scenarios (showing the command, its output and exit code) and
// tears the lab down again. It needs root; it sends nothing outside the
// namespaces it creates.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/check-arp/check_arp/internal/verdict"
	"github.com/check-arp/check_arp/test/lab"
)

func main() {
	checkBin := flag.String("check", "bin/check_arp", "path of the check_arp binary")
	responder := flag.String("responder", "bin/arpresponder", "path of the arpresponder binary")
	extra := flag.String("args", "", "arguments added to every check, space-separated (e.g. \"--output checkmk\")")
	flag.Parse()
	if err := run(*checkBin, *responder, strings.Fields(*extra)); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(checkBin, responder string, extra []string) error {
	if err := lab.Available(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "check_arp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Print("Building the lab: a bridge, a client and six hosts in network namespaces (198.51.100.0/24, 2001:db8::/64)...\n\n")
	seg, err := lab.NewSegment(responder, dir)
	if err != nil {
		return err
	}
	defer seg.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	allow, err := os.ReadFile(seg.Allowlist)
	if err != nil {
		return err
	}
	fmt.Printf("The allowlist %s:\n%s\n", seg.Allowlist, allow)
	scenarios := seg.Scenarios()
	fmt.Print("Adding peers that behave as real responders do: a MetalLB-like speaker, keepalived with a virtual MAC split by a partition, a proxy-ARP router...\n\n")
	peers, skipped := seg.PeerScenarios()
	for _, err := range skipped {
		fmt.Printf("(left out: %v)\n", err)
	}
	scenarios = append(scenarios, peers...)
	for i, sc := range scenarios {
		if ctx.Err() != nil {
			break
		}
		args := append(append([]string(nil), sc.Args...), extra...)
		fmt.Printf("== %d. %s\n$ check_arp %s\n", i+1, sc.Name, strings.Join(args, " "))
		runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cmd := seg.Command(runCtx, seg.Client, append([]string{checkBin}, args...)...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		cancel()
		fmt.Print(string(out))
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			return err
		}
		fmt.Printf("(exit %d: %s)\n\n", code, verdict.State(code).String())
	}
	fmt.Println("Tearing the lab down.")
	return nil
}
