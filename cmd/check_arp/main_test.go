package main

// End-to-end tests: the real binary against the namespace lab's kernel
// hosts and scripted responders. They need root and the lab's tools; without
// them they skip and say so (in CI, CI=true, they fail instead).
//
// They assert what a monitoring engine sees (exit code, state, perfdata) and
// a keyword that names the finding; the exact sentences belong to the
// decision core's unit tests.

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/check-arp/check_arp/test/lab"
)

var (
	seg          *lab.Segment
	checkBin     string
	responderBin string
	floodBin     string
	peakRSSBin   string
	// labDir is the lab's temporary directory, removed at the end.
	labDir string
	labErr error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run() // listing the tests needs no lab
	}
	if labErr = lab.Available(); labErr != nil {
		if lab.Unavailable(os.Stderr, "check_arp end-to-end tests", labErr) {
			return 1
		}
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "check_arp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	labDir = dir
	// World-readable, so that the unprivileged tests can run the binary.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	checkBin = filepath.Join(dir, "check_arp")
	responderBin = filepath.Join(dir, "arpresponder")
	floodBin = filepath.Join(dir, "arpflood")
	peakRSSBin = filepath.Join(dir, "peakrss")
	for bin, pkg := range map[string]string{checkBin: ".", responderBin: "../../test/lab/cmd/arpresponder", floodBin: "../../test/lab/cmd/arpflood", peakRSSBin: "../../test/lab/cmd/peakrss"} {
		// Static, as released: only then can the check drop its
		// capabilities on every thread.
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	seg, labErr = lab.NewSegment(responderBin, dir)
	if labErr != nil {
		fmt.Fprintln(os.Stderr, "building the lab:", labErr)
		return 1
	}
	defer seg.Close()
	before := lab.StateDirs()
	code := m.Run()
	if msg := lab.StateDirsCreated(before); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
		return 1
	}
	return code
}

// needLab skips (fails, in CI) a test that needs the lab when there is none.
func needLab(t *testing.T) {
	t.Helper()
	if seg == nil {
		lab.Missing(t, labErr)
	}
}
