package parsers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sample is one committed output sample (testdata/outputs, made by `make
// samples`): what check_arp printed in the lab and its exit code.
type sample struct {
	output  []byte // the Nagios output (NAME.txt)
	exit    int    // NAME.exit
	checkmk []byte // the same check with --output checkmk (NAME.checkmk.txt)
}

func readSample(t *testing.T, name string) sample {
	t.Helper()
	dir := filepath.Join("testdata", "outputs")
	read := func(suffix string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name+suffix))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := sample{output: read(".txt"), checkmk: read(".checkmk.txt")}
	exit, err := strconv.Atoi(strings.TrimSpace(string(read(".exit"))))
	if err != nil {
		t.Fatalf("%s.exit: %v", name, err)
	}
	s.exit = exit
	return s
}

// parts splits the Nagios sample as its layout promises (TestSamplesAreClean
// holds the samples to it): the summary on the first line, the long output
// on the lines after it, the performance data after the one '|', which
// ends the text ("SUMMARY|PERF", or "SUMMARY\nLONG...\nLAST LONG|PERF").
func (s sample) parts() (summary, long, perf string) {
	text, perf, _ := strings.Cut(strings.TrimSuffix(string(s.output), "\n"), "|")
	summary, long, _ = strings.Cut(text, "\n")
	return summary, long, perf
}

// TestSamplesAreClean asserts the plain-text properties every parser
// relies on: no line ends in whitespace, no empty line, no quoted
// performance data label; in the Nagios output at most one '|', at the
// end of the text (the last line), without spaces around it, and in the
// Checkmk output one line.
func TestSamplesAreClean(t *testing.T) {
	for _, name := range []string{"ok", "warning-failover", "critical-no-reply", "unknown-routed"} {
		s := readSample(t, name)
		for _, out := range [][]byte{s.output, s.checkmk} {
			text := string(out)
			if !strings.HasSuffix(text, "\n") {
				t.Errorf("%s: the output does not end with a newline: %q", name, text)
			}
			for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
				if l == "" || strings.TrimRight(l, " \t") != l {
					t.Errorf("%s line %d is empty or ends in whitespace: %q", name, i+1, l)
				}
			}
		}
		if n := strings.Count(string(s.checkmk), "\n"); n != 1 {
			t.Errorf("%s: the Checkmk output has %d lines, want 1", name, n)
		}
		lines := strings.Split(strings.TrimSuffix(string(s.output), "\n"), "\n")
		switch n := strings.Count(string(s.output), "|"); {
		case n > 1:
			t.Errorf("%s: %d '|' in the output, want performance data once", name, n)
		case n == 1 && !strings.Contains(lines[len(lines)-1], "|"):
			t.Errorf("%s: the performance data do not follow the last line of text: %q", name, s.output)
		case strings.Contains(string(s.output), " |") || strings.Contains(string(s.output), "| "):
			t.Errorf("%s: spaces around the '|': %q", name, s.output)
		}
		if _, _, perf := s.parts(); strings.ContainsAny(perf, `'"`) {
			t.Errorf("%s: quoted performance data labels: %q", name, perf)
		}
	}
}
