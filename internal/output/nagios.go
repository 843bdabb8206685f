package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/atc0005/go-nagios"

	"github.com/check-arp/check_arp/internal/verdict"
)

// Nagios prints a verdict in the Monitoring Plugins format and returns
// the plugin's exit code. The layout is nagiosLayout's.
func Nagios(w io.Writer, r verdict.Result, verbosity int) int {
	return emit(w, strings.TrimSuffix(NagiosText(r, verbosity), "\n"), r.State)
}

// NagiosText is the text Nagios prints, ending in a newline.
func NagiosText(r verdict.Result, verbosity int) string {
	return nagiosLayout(oneLine(Summary(r)), FormatPerfdata(Perfdata(r)), cleanLines(LongOutput(r, verbosity)))
}

// nagiosLayout lays out a plugin's text as the Monitoring Plugins
// guidelines, go-nagios and Perl's Monitoring::Plugin do: without long
// output one line "SUMMARY|PERF"; with it the summary alone on the first
// line, the long output under it, and the performance data after the last
// long output line ("LONG N|PERF"). Engines that read performance data
// from the first line only still find none in the long output (cleanLines
// keeps '|' out of it), and Sensu's nagios_perfdata extractor, which takes
// everything after the output's first '|' as performance data, reads no
// long output words as metrics. No spaces around the '|': Icinga 2 keeps
// the one before it as part of the output. The ending newline is added
// here; summary, perf and long carry none.
func nagiosLayout(summary, perf, long string) string {
	text := summary
	if long != "" {
		text += "\n" + long
	}
	if perf != "" {
		text += "|" + perf
	}
	return text + "\n"
}

// Unknown prints why a check reached no verdict as one UNKNOWN line and
// returns the UNKNOWN exit code. protocol is the one the check speaks
// (verdict.ProtocolARP or ProtocolNDP), so that a failure while checking
// starts as the check's verdicts do ("ARP UNKNOWN -"); "" marks a mistake
// on the command line ("UNKNOWN -"), made before any protocol was chosen.
func Unknown(w io.Writer, protocol string, err error) int {
	return emit(w, UnknownLine(protocol, err), verdict.Unknown)
}

// UnknownLine is the one line Unknown prints, for formats that carry it
// elsewhere.
func UnknownLine(protocol string, err error) string {
	prefix := "UNKNOWN - "
	if protocol != "" {
		prefix = protocol + " " + prefix
	}
	return oneLine(prefix + err.Error())
}

// emit hands the finished text to go-nagios, which prints it and carries
// the exit state. The text is complete: go-nagios' own layout ends every
// line with " \n", starts long output with a line holding a space and
// quotes every performance data label, with no option to change that
// (v0.19.0), so the plugin lays out the lines and the library only prints
// its ServiceOutput, which it trims and leaves unchanged otherwise. A
// Plugin built without NewPlugin has no start time, so go-nagios adds no
// 'time' metric of its own.
func emit(w io.Writer, text string, state verdict.State) int {
	p := &nagios.Plugin{ExitStatusCode: int(state)}
	p.SetOutputTarget(w)
	p.SkipOSExit()
	p.ServiceOutput = text
	p.ReturnCheckResults()
	// Without performance data of its own go-nagios ends the text without
	// a newline.
	fmt.Fprintln(w)
	return p.ExitStatusCode
}

// cleanLines readies long output: no "|" (which would start performance
// data), no trailing whitespace, no empty lines.
func cleanLines(s string) string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "|", "/"), "\n") {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// oneLine keeps a summary on one line and out of the performance data.
func oneLine(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "|", "/").Replace(s)
	return strings.TrimSpace(s)
}

// OnPanic, deferred first in main, turns a panic anywhere into an UNKNOWN
// line (see Unknown for protocol) and exit code 3: a crashed check knows
// nothing about the target, so it must not claim CRITICAL (go-nagios'
// choice) or OK.
func OnPanic(w io.Writer, protocol string, exit func(int)) {
	r := recover()
	if r == nil {
		return
	}
	exit(Unknown(w, protocol, fmt.Errorf("internal error: %v; please report this with the command line that caused it", r)))
}
