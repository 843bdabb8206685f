// Package report prints a verdict, or the reason there is none, in the
// Monitoring Plugins format through go-nagios, and returns the exit code.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/atc0005/go-nagios"

	"github.com/check-arp/check_arp/internal/check"
	"github.com/check-arp/check_arp/internal/cli"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Result prints res with its long output at the given verbosity and its
// performance data, and returns the plugin's exit code.
func Result(w io.Writer, res verdict.Result, verbosity int) int {
	p := nagios.NewPlugin()
	p.SetOutputTarget(w)
	p.SkipOSExit()
	p.ServiceOutput = oneLine(res.Summary())
	p.LongServiceOutput = strings.ReplaceAll(res.LongOutput(verbosity), "|", "/")
	p.ExitStatusCode = int(res.State)
	perf := make([]nagios.PerformanceData, 0, 16)
	for _, m := range res.Perfdata() {
		perf = append(perf, nagios.PerformanceData{
			Label: m.Label, Value: m.Value, UnitOfMeasurement: m.UOM,
			Warn: m.Warn, Crit: m.Crit, Min: m.Min, Max: m.Max,
		})
	}
	// The values are formatted by the verdict core; go-nagios' own check
	// is looser than ours, so a failure here is a bug worth showing.
	if err := p.AddPerfData(false, perf...); err != nil {
		return Error(w, fmt.Errorf("internal error: invalid performance data: %w", err))
	}
	p.ReturnCheckResults()
	return p.ExitStatusCode
}

// Error prints the reason a check reached no verdict as one UNKNOWN line
// and returns the UNKNOWN exit code. Command line mistakes start with
// "UNKNOWN -", failures while checking with the check's protocol ("ARP
// UNKNOWN -", "NDP UNKNOWN -"); help or version output already printed
// adds nothing.
func Error(w io.Writer, err error) int {
	if errors.Is(err, cli.ErrShown) {
		return int(verdict.Unknown)
	}
	prefix := "ARP UNKNOWN - "
	var ce *check.Error
	if errors.As(err, &ce) && ce.Protocol != "" {
		prefix = ce.Protocol + " UNKNOWN - "
	}
	var ue *cli.UsageError
	if errors.As(err, &ue) {
		prefix = "UNKNOWN - "
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
// line and exit code 3: a crashed check knows nothing about the target, so
// it must not claim CRITICAL (go-nagios' choice) or OK.
func OnPanic(w io.Writer, exit func(int)) {
	r := recover()
	if r == nil {
		return
	}
	exit(Error(w, fmt.Errorf("internal error: %v; please report this with the command line that caused it", r)))
}
