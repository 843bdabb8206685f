package parsers

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// printed reads the performance data of the Nagios output.
func (s sample) printed(t *testing.T) []printedMetric {
	t.Helper()
	_, _, perf := s.parts()
	return readPrinted(t, perf, " ")
}

// printedCheckmk reads the metrics of the Checkmk local check line
// (STATE "SERVICE" METRICS TEXT; "-" for none).
func (s sample) printedCheckmk(t *testing.T) []printedMetric {
	t.Helper()
	_, rest, ok := strings.Cut(strings.TrimSuffix(string(s.checkmk), "\n"), `" `)
	if !ok {
		t.Fatalf("no quoted service in the Checkmk line %q", s.checkmk)
	}
	metrics, _, _ := strings.Cut(rest, " ")
	if metrics == "-" {
		return nil
	}
	return readPrinted(t, metrics, "|")
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

// printedMetric is one performance data item as a sample prints it:
// label, number, unit, then warn, crit, min and max as printed ("" when
// left out).
type printedMetric struct {
	Label, Number, Unit, Warn, Crit, Min, Max string
}

// printedNumber is a perfdata value as check_arp prints it: a plain
// decimal number, then the unit, if any.
var printedNumber = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?)([a-zA-Z%]*)$`)

// readPrinted reads the performance data items of a sample, separated by
// sep (" " in the Nagios output, "|" in a Checkmk local check line), with
// a reader of this test's own: the parsers under test must read what it
// reads, and none of them is trusted to say what the sample holds. Labels
// are bare (TestSamplesAreClean holds the samples to that).
func readPrinted(t *testing.T, perf, sep string) []printedMetric {
	t.Helper()
	var out []printedMetric
	if perf == "" {
		return nil
	}
	for _, item := range strings.Split(perf, sep) {
		label, rest, ok := strings.Cut(item, "=")
		if !ok || label == "" {
			t.Fatalf("performance data item %q has no label=value", item)
		}
		fields := append(strings.Split(rest, ";"), "", "", "", "")
		m := printedNumber.FindStringSubmatch(fields[0])
		if m == nil {
			t.Fatalf("performance data item %q: value %q is not a number with a unit", item, fields[0])
		}
		out = append(out, printedMetric{label, m[1], m[2], fields[1], fields[2], fields[3], fields[4]})
	}
	return out
}

// timings are the metrics whose values are times, which differ from run
// to run of the lab: the tests take them from the sample, and only them.
var timings = map[string]bool{"rta": true, "rtmin": true, "rtmax": true, "time": true, "owner_age": true}

// timingPlaceholder is "<label>" in an expectation: the value the sample
// prints for that timing metric.
var timingPlaceholder = regexp.MustCompile(`<(\w+)>`)

// withTimings fills each "<label>" of the expectations with the value the
// sample prints for that timing metric, as a float64 formatted the way Go
// formats one (strconv 'g', shortest): what a parser that read the value
// right stores. A placeholder for a metric that is not a timing, or that
// the sample does not print, fails the test.
func withTimings(t *testing.T, printed []printedMetric, want []string) []string {
	t.Helper()
	values := map[string]string{}
	for _, p := range printed {
		if timings[p.Label] {
			f, err := strconv.ParseFloat(p.Number, 64)
			if err != nil {
				t.Fatalf("%s=%s: %v", p.Label, p.Number, err)
			}
			values[p.Label] = strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	out := make([]string, len(want))
	for i, w := range want {
		out[i] = timingPlaceholder.ReplaceAllStringFunc(w, func(ph string) string {
			label := ph[1 : len(ph)-1]
			v, ok := values[label]
			if !ok {
				t.Errorf("expectation %q: the sample prints no timing %s", w, label)
			}
			return v
		})
	}
	return out
}

// untimedText blanks the times in a text (the summary's "rta 0.162ms",
// the long output's "rtt 0.284-0.291ms"), which differ from run to run and
// between the Nagios and the Checkmk run of a sample.
func untimedText(s string) string {
	return regexp.MustCompile(`[0-9.]+(-[0-9.]+)?ms\b`).ReplaceAllString(s, "<time>ms")
}

// sameList reports a difference between two ordered lists, one item a
// line.
func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestReadPrinted pins this file's reader, which every expectation of a
// timing relies on.
func TestReadPrinted(t *testing.T) {
	got := readPrinted(t, "rta=0.162ms;200;500;0 pl=0%;40;80;0;100 owner_changes=12c;;;0 sent=3", " ")
	want := []printedMetric{
		{"rta", "0.162", "ms", "200", "500", "0", ""},
		{"pl", "0", "%", "40", "80", "0", "100"},
		{"owner_changes", "12", "c", "", "", "0", ""},
		{"sent", "3", "", "", "", "", ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readPrinted = %v, want %v", got, want)
	}
	if got := withTimings(t, got, []string{"rta=<rta> ms", "sent=3"}); fmt.Sprint(got) != "[rta=0.162 ms sent=3]" {
		t.Errorf("withTimings = %q", got)
	}
	if got := readPrinted(t, "rta=0.000099;;;0|time=0.207632;;;0", "|"); len(got) != 2 || got[0].Number != "0.000099" || got[1].Min != "0" {
		t.Errorf("readPrinted of a local check's metrics = %v", got)
	}
}
