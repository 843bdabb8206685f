package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/atc0005/go-nagios"

	"github.com/check-arp/check_arp/internal/verdict"
)

// Nagios prints a verdict in the Monitoring Plugins format and returns
// the plugin's exit code. The first line is the summary and the
// performance data ("TEXT | PERF"), the long output follows on lines of
// its own. Performance data on the first line is read by every engine
// (Nagios, Icinga, NRPE, Sensu, Telegraf, Checkmk) and survives NRPE v2
// cutting long -v output at 1 KB, where data after the long output would
// be lost with the end of the text.
func Nagios(w io.Writer, r verdict.Result, verbosity int) int {
	return emit(w, strings.TrimSuffix(NagiosText(r, verbosity), "\n"), r.State)
}

// NagiosText is the text Nagios prints, ending in a newline.
func NagiosText(r verdict.Result, verbosity int) string {
	text := oneLine(Summary(r))
	if perf := FormatPerfdata(Perfdata(r)); perf != "" {
		text += " | " + perf
	}
	if long := cleanLines(LongOutput(r, verbosity)); long != "" {
		text += "\n" + long
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
