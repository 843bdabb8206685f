package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/atc0005/go-nagios"

	"github.com/check-arp/check_arp/internal/verdict"
)

// Nagios prints a verdict in the Monitoring Plugins format: the summary,
// the long output at the given verbosity and the performance data. It
// returns the plugin's exit code.
func Nagios(w io.Writer, r verdict.Result, verbosity int) int {
	p := nagios.NewPlugin()
	p.SetOutputTarget(w)
	p.SkipOSExit()
	p.ServiceOutput = oneLine(Summary(r))
	p.LongServiceOutput = strings.ReplaceAll(LongOutput(r, verbosity), "|", "/")
	p.ExitStatusCode = int(r.State)
	metrics := Perfdata(r)
	perf := make([]nagios.PerformanceData, 0, len(metrics))
	for _, m := range metrics {
		perf = append(perf, nagios.PerformanceData{
			Label: m.Label, Value: m.Value, UnitOfMeasurement: m.UOM,
			Warn: m.Warn, Crit: m.Crit, Min: m.Min, Max: m.Max,
		})
	}
	// The values are formatted in perfdata.go; go-nagios' own check is
	// looser than ours, so a failure here is a bug worth showing.
	if err := p.AddPerfData(false, perf...); err != nil {
		return Unknown(w, r.Facts.Protocol, fmt.Errorf("internal error: invalid performance data: %w", err))
	}
	p.ReturnCheckResults()
	return p.ExitStatusCode
}

// Unknown prints why a check reached no verdict as one UNKNOWN line and
// returns the UNKNOWN exit code. protocol is the one the check speaks
// (verdict.ProtocolARP or ProtocolNDP), so that a failure while checking
// starts as the check's verdicts do ("ARP UNKNOWN -"); "" marks a mistake
// on the command line ("UNKNOWN -"), made before any protocol was chosen.
func Unknown(w io.Writer, protocol string, err error) int {
	prefix := "UNKNOWN - "
	if protocol != "" {
		prefix = protocol + " " + prefix
	}
	// A Plugin built without NewPlugin has no start time, so go-nagios adds
	// no 'time' metric: an UNKNOWN line carries no performance data.
	p := &nagios.Plugin{ExitStatusCode: int(verdict.Unknown)}
	p.SetOutputTarget(w)
	p.SkipOSExit()
	p.ServiceOutput = oneLine(prefix + err.Error())
	p.ReturnCheckResults()
	// Without performance data go-nagios ends the line without a newline.
	fmt.Fprintln(w)
	return p.ExitStatusCode
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
