package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// samplesDir holds the committed samples of the plugin's output that the
// ecosystem's parsers read (test/parsers); `make samples` writes them.
const samplesDir = "../../test/parsers/testdata/outputs"

var (
	// timedValue is a perfdata value that is a time: round trips and the
	// run's duration, in ms (Nagios) or seconds (Checkmk).
	timedValue = regexp.MustCompile(`\b(rta|rtmin|rtmax|time|owner_age)=[0-9.]+(ms|s)?`)
	// timedText is a time or a range of times in the text, in ms, or in
	// seconds from a second on (a silent target's wait on a busy machine).
	timedText = regexp.MustCompile(`\b[0-9.]+(-[0-9.]+)?m?s\b`)
)

// untimed blanks the times of an output, the only part of a sample that
// changes from run to run.
func untimed(s string) string {
	s = timedValue.ReplaceAllString(s, "$1=<time>")
	return timedText.ReplaceAllString(s, "<time>")
}

// TestSamplesMatchTheBinary runs every sample's scenario and compares what
// the plugin prints now with the committed sample, times aside, so that
// the parser tests never read outputs the plugin no longer prints. On a
// mismatch, `make samples` rewrites them; the parser tests then say what
// the ecosystem reads from the new output.
func TestSamplesMatchTheBinary(t *testing.T) {
	needLab(t)
	samples := seg.Samples()
	files, err := filepath.Glob(filepath.Join(samplesDir, "*.exit"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(samples) {
		t.Errorf("%s has %d samples, the lab defines %d: run make samples", samplesDir, len(files), len(samples))
	}
	for _, sample := range samples {
		t.Run(sample.Name, func(t *testing.T) {
			exit, err := os.ReadFile(filepath.Join(samplesDir, sample.Name+".exit"))
			if err != nil {
				t.Fatalf("%v: run make samples", err)
			}
			for _, f := range []struct{ suffix, output string }{{".txt", ""}, {".checkmk.txt", "checkmk"}} {
				args := sample.Args
				if f.output != "" {
					args = append(append([]string(nil), args...), "--output", f.output)
				}
				want, err := os.ReadFile(filepath.Join(samplesDir, sample.Name+f.suffix))
				if err != nil {
					t.Fatalf("%v: run make samples", err)
				}
				// A scripted responder starts its MAC sequence again only
				// after it has been idle for its reset time: wait that out,
				// so that each format's run sees the scenario from its start.
				time.Sleep(lab.ResponderReset + 100*time.Millisecond)
				// Each sample is a target's first check with memory on
				// (test/lab/cmd/demo captureSamples): a fresh state
				// directory for each run, never the user's own.
				got := runInvocation(invocation{memory: true, args: append(append([]string(nil), args...), "--state-dir", t.TempDir())})
				if untimed(got.stdout) != untimed(string(want)) {
					t.Errorf("check_arp %s prints\n%s\nbut %s%s is\n%s\n(times aside); run make samples", strings.Join(args, " "), got.stdout, sample.Name, f.suffix, want)
				}
				if f.output == "" && strconv.Itoa(got.code) != strings.TrimSpace(string(exit)) {
					t.Errorf("check_arp %s exits %d, but %s.exit says %s; run make samples", strings.Join(args, " "), got.code, sample.Name, strings.TrimSpace(string(exit)))
				}
			}
		})
	}
}

// TestUntimed pins what the sample comparison ignores: times, and nothing
// else.
func TestUntimed(t *testing.T) {
	for in, want := range map[string]string{
		"rta 0.099ms|rta=0.099ms;200;500;0 rtmax=0.11ms;;;0 pl=0%;40;80;0;100 time=0.202s;;;0": "rta <time>|rta=<time>;200;500;0 rtmax=<time>;;;0 pl=0%;40;80;0;100 time=<time>;;;0",
		"0/3 replies in 979ms":  "0/3 replies in <time>",
		"0/3 replies in 1.007s": "0/3 replies in <time>",
		"rtt 0.492-0.864ms\nallowed: 02:00:00:00:00:0a (node-a)|rta=0.58ms;200;500;0": "rtt <time>\nallowed: 02:00:00:00:00:0a (node-a)|rta=<time>;200;500;0",
		`0 "ARP 198.51.100.10" rta=0.000121;;;0|sent=3;;;0|time=0.202459;;;0 x`:       `0 "ARP 198.51.100.10" rta=<time>;;;0|sent=3;;;0|time=<time>;;;0 x`,
		"owner_changes=0c;;;0 owner_age=110s;;;0":                                     "owner_changes=0c;;;0 owner_age=<time>;;;0",
		"received=3;;;0;3 macs=1;;;0":                                                 "received=3;;;0;3 macs=1;;;0",
	} {
		if got := untimed(in); got != want {
			t.Errorf("untimed(%q) = %q, want %q", in, got, want)
		}
	}
}
