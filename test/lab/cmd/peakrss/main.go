// Command peakrss runs a command and writes the command's own peak
// resident set size (ru_maxrss, in KiB) to a file, as GNU time -f %M does.
//
// A test cannot read that from the rusage of a process it starts itself:
// Go starts children with vfork, so the child runs in the test's memory
// until it calls exec, and the kernel carries that memory's high-water
// mark into the child's ru_maxrss. A check started late in a lab run would
// show the test binary's peak (tens of MiB after 200 concurrent checks),
// not its own. peakrss is small, so the command it starts inherits only
// peakrss' few MiB.
//
// Usage: peakrss FILE -- COMMAND [ARG...]. The command shares peakrss'
// standard input and output; peakrss exits with its exit code (128+N when
// signal N ended it), and the command dies with peakrss.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) < 3 || args[1] != "--" {
		fmt.Fprintln(os.Stderr, "usage: peakrss FILE -- COMMAND [ARG...]")
		return 125
	}
	cmd := exec.Command(args[2], args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		return 125
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "peakrss: no rusage")
		return 125
	}
	if err := os.WriteFile(args[0], []byte(strconv.FormatInt(ru.Maxrss, 10)+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		return 125
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
