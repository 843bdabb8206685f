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

// TestSamplesAreClean asserts the plain-text properties every parser
// relies on: no line ends in whitespace, no empty line, no quoted
// performance data label, and performance data on the first line only.
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
				if i > 0 && strings.Contains(l, "|") {
					t.Errorf("%s line %d has a '|': performance data belong on the first line: %q", name, i+1, l)
				}
			}
		}
		first, _, _ := strings.Cut(string(s.output), "\n")
		if _, perf, ok := strings.Cut(first, "|"); ok && strings.ContainsAny(perf, `'"`) {
			t.Errorf("%s: quoted performance data labels: %q", name, perf)
		}
	}
}
