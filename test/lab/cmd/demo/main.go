// Command demo builds the standard namespace lab, runs check_arp against
// each of its scenarios (showing the command, its output and exit code) and
// tears the lab down again. It needs root; it sends nothing outside the
// namespaces it creates.
//
// With -capture DIR it runs the lab's samples instead (one scenario per
// state) and writes their outputs into DIR, byte for byte: the committed
// samples in test/parsers/testdata/outputs are made this way (make samples).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
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
	capture := flag.String("capture", "", "write the samples' outputs into this directory instead of showing every scenario")
	flag.Parse()
	var err error
	if *capture != "" {
		err = captureSamples(*checkBin, *responder, *capture)
	} else {
		err = run(*checkBin, *responder, strings.Fields(*extra))
	}
	if err != nil {
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
		// Memory between runs lives in the demo's directory and goes
		// with it, not in the user's own state directory.
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+dir)
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

// captureSamples writes, for each of the lab's samples, the Nagios output
// (NAME.txt), its exit code (NAME.exit) and the output with --output
// checkmk (NAME.checkmk.txt) into dir.
func captureSamples(checkBin, responder, dir string) error {
	if err := lab.Available(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "check_arp-samples-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	seg, err := lab.NewSegment(responder, tmp)
	if err != nil {
		return err
	}
	defer seg.Close()
	for _, sample := range seg.Samples() {
		for _, format := range []struct{ suffix, flag string }{{".txt", ""}, {".checkmk.txt", "checkmk"}} {
			args := sample.Args
			if format.flag != "" {
				args = append(append([]string(nil), args...), "--output", format.flag)
			}
			// A scripted responder starts its MAC sequence over only
			// after a pause in requests.
			time.Sleep(lab.ResponderReset + 50*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			cmd := seg.Command(ctx, seg.Client, append([]string{checkBin}, args...)...)
			// Each sample is a target's first check with memory on, as
			// the plugin runs by default: a fresh state directory each.
			state, err := os.MkdirTemp(tmp, "state-")
			if err != nil {
				cancel()
				return err
			}
			cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
			out, err := cmd.Output()
			cancel()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				return fmt.Errorf("check_arp %s: %w", strings.Join(args, " "), err)
			}
			name := filepath.Join(dir, sample.Name+format.suffix)
			if err := os.WriteFile(name, out, 0o644); err != nil {
				return err
			}
			fmt.Printf("%s: check_arp %s (exit %d)\n", name, strings.Join(args, " "), code)
			if format.flag == "" {
				if err := os.WriteFile(filepath.Join(dir, sample.Name+".exit"), []byte(fmt.Sprintln(code)), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
