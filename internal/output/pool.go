package output

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/check-arp/check_arp/internal/verdict"
)

// Entry is one address of a run: its verdict, or why it has none.
type Entry struct {
	// Label names the address in the output (a service name); "" if none.
	Label string
	// Result is the verdict, when Failure.Err is nil.
	Result verdict.Result
	// Failure says why the address reached no verdict.
	Failure Failure
}

// Failed reports whether the address reached no verdict.
func (e Entry) Failed() bool { return e.Failure.Err != nil }

// State is the address's state: UNKNOWN without a verdict.
func (e Entry) State() verdict.State {
	if e.Failed() {
		return verdict.Unknown
	}
	return e.Result.State
}

func (e Entry) address() string {
	if e.Failed() {
		return e.Failure.Target.String()
	}
	return e.Result.Facts.Target.String()
}

func resultEntries(results []verdict.Result) []Entry {
	out := make([]Entry, len(results))
	for i, r := range results {
		out[i] = Entry{Result: r}
	}
	return out
}

// severity orders states for a run of several addresses as the Monitoring
// Plugins combine them (max_state_alt): CRITICAL, then WARNING, then
// UNKNOWN, then OK. An address that could not be checked says less than
// one found broken, and more than one found fine.
func severity(s verdict.State) int {
	switch s {
	case verdict.Critical:
		return 3
	case verdict.Warning:
		return 2
	case verdict.Unknown:
		return 1
	}
	return 0
}

// Worst returns the worst state of the entries (OK for none): the run's
// state and exit code.
func Worst(entries []Entry) verdict.State {
	worst := verdict.OK
	for _, e := range entries {
		if severity(e.State()) > severity(worst) {
			worst = e.State()
		}
	}
	return worst
}

// worstFirst returns the entries ordered by state, worst first, and in
// their given order within a state: pointers into entries, since an entry
// is large and a pool has thousands.
func worstFirst(entries []Entry) []*Entry {
	out := make([]*Entry, 0, len(entries))
	for sev := severity(verdict.Critical); sev >= 0; sev-- {
		for i := range entries {
			if severity(entries[i].State()) == sev {
				out = append(out, &entries[i])
			}
		}
	}
	return out
}

// protocolOf names the protocols of a run: ARP, NDP, or ARP/NDP when both
// families are checked.
func protocolOf(entries []Entry) string {
	var v4, v6 bool
	for _, e := range entries {
		a := e.Result.Facts.Target
		if e.Failed() {
			a = e.Failure.Target
		}
		if a.Is6() {
			v6 = true
		} else {
			v4 = true
		}
	}
	switch {
	case v4 && v6:
		return verdict.ProtocolARP + "/" + verdict.ProtocolNDP
	case v6:
		return verdict.ProtocolNDP
	}
	return verdict.ProtocolARP
}

// namedInSummary is how many addresses of each state the summary names.
const namedInSummary = 3

// PoolSummary is the first line's text of a run of several addresses,
// without performance data: the worst state leads, then the count of each
// state, worst first, naming the first addresses of each state but OK with
// their worst finding:
//
//	ARP CRITICAL - 1 of 24 addresses CRITICAL: 198.51.100.13 is answered by 2 MACs at once in 3 of 3 probes (split brain); 23 OK
func PoolSummary(entries []Entry) string {
	worst := Worst(entries)
	sorted := worstFirst(entries)
	var parts []string
	for i := 0; i < len(sorted); {
		st := sorted[i].State()
		j := i
		for j < len(sorted) && sorted[j].State() == st {
			j++
		}
		n := j - i
		part := strconv.Itoa(n)
		if i == 0 {
			part += fmt.Sprintf(" of %d addresses", len(entries))
		}
		part += " " + st.String()
		if st != verdict.OK {
			var names []string
			for _, e := range sorted[i:min(j, i+namedInSummary)] {
				names = append(names, named(e.address(), e.Label)+" "+shortFinding(*e))
			}
			if more := n - len(names); more > 0 {
				names = append(names, fmt.Sprintf("%d more", more))
			}
			part += ": " + joinAnd(names)
		}
		parts = append(parts, part)
		i = j
	}
	return oneLine(protocolOf(entries) + " " + worst.String() + " - " + strings.Join(parts, "; "))
}

// shortFinding is an address's worst finding, without the details after
// its first colon: "is answered by 2 MACs at once in 3 of 3 probes (split
// brain)".
func shortFinding(e Entry) string {
	var text string
	if e.Failed() {
		text = strings.TrimPrefix(e.Failure.Err.Error(), e.address()+" ")
	} else if len(e.Result.Findings) > 0 {
		text = e.Result.Findings[0].Text
	}
	if before, _, ok := strings.Cut(text, ": "); ok {
		text = before
	}
	if before, _, ok := strings.Cut(text, "; "); ok {
		text = before
	}
	return text
}

func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// PoolPerfMetrics are the performance data of each address in a run of
// several, labelled METRIC_ADDRESS (rta_198.51.100.13, pl_2001:db8::13):
// bare labels without spaces or quotes, which Icinga 2, Nagios, Sensu's
// nagios_perfdata and Telegraf's nagios parser read unchanged. Each
// address gets the three that graph its health (round trip, loss, and how
// many MACs answered); the full set per address is in the checkmk, json
// and openmetrics formats, and NRPE and Nagios cut long plugin output.
var PoolPerfMetrics = []string{"rta", "pl", "macs"}

// PoolPerfdata returns the performance data of a run of several
// addresses: the count of addresses in each state, then each address's
// PoolPerfMetrics, in the order given.
func PoolPerfdata(entries []Entry) []Metric {
	counts := map[verdict.State]int{}
	for _, e := range entries {
		counts[e.State()]++
	}
	out := []Metric{
		{Label: "addresses", Value: strconv.Itoa(len(entries)), Min: "0"},
		{Label: "ok", Value: strconv.Itoa(counts[verdict.OK]), Min: "0", Max: strconv.Itoa(len(entries))},
		{Label: "warning", Value: strconv.Itoa(counts[verdict.Warning]), Min: "0", Max: strconv.Itoa(len(entries))},
		{Label: "critical", Value: strconv.Itoa(counts[verdict.Critical]), Min: "0", Max: strconv.Itoa(len(entries))},
		{Label: "unknown", Value: strconv.Itoa(counts[verdict.Unknown]), Min: "0", Max: strconv.Itoa(len(entries))},
	}
	// The metrics of PerfTable that a pool reports, computed for those
	// only: a pool has thousands of addresses.
	var table []PerfMetric
	for _, pm := range PerfTable {
		if slices.Contains(PoolPerfMetrics, pm.Label) {
			table = append(table, pm)
		}
	}
	out = slices.Grow(out, len(table)*len(entries))
	for i := range entries {
		e := &entries[i]
		if e.Failed() {
			continue
		}
		for _, pm := range table {
			m := pm.value(&e.Result.Facts)
			if m.Value == "" {
				continue
			}
			m.Label = pm.Label + "_" + e.address()
			out = append(out, m)
		}
	}
	return out
}

// NagiosPoolText is the Monitoring Plugins text of a run of several
// addresses, ending in a newline: the summary, then one line per address,
// worst first, each the summary it would have checked alone (with its
// label); -v adds each address's long output under its line, indented.
// The performance data follow the last line, as nagiosLayout lays out.
func NagiosPoolText(entries []Entry, verbosity int) string {
	var lines []string
	for _, e := range worstFirst(entries) {
		if e.Failed() {
			lines = append(lines, UnknownLine(verdict.ProtocolOf(e.Failure.Target), labelledError(*e)))
			continue
		}
		lines = append(lines, oneLine(summaryNamed(e.Result, e.Label)))
		if verbosity > 0 {
			if long := cleanLines(LongOutput(e.Result, verbosity)); long != "" {
				lines = append(lines, "  "+strings.ReplaceAll(long, "\n", "\n  "))
			}
		}
	}
	return nagiosLayout(PoolSummary(entries), FormatPerfdata(PoolPerfdata(entries)), cleanLines(strings.Join(lines, "\n")))
}

// labelledError is a failed entry's error, with its label after the
// address when the message starts with it.
func labelledError(e Entry) error {
	msg := e.Failure.Err.Error()
	if e.Label != "" {
		if rest, ok := strings.CutPrefix(msg, e.address()+" "); ok {
			msg = named(e.address(), e.Label) + " " + rest
		} else {
			msg = named(e.address(), e.Label) + ": " + msg
		}
	}
	return fmt.Errorf("%s", msg)
}

// RenderPool renders a run of several addresses in format f.
func RenderPool(f Format, entries []Entry, verbosity int) (Document, error) {
	doc := Document{Summary: PoolSummary(entries), State: Worst(entries), Complete: true}
	switch f {
	case FormatNagios, "":
		doc.Body = []byte(NagiosPoolText(entries, verbosity))
	case FormatCheckmk:
		var b strings.Builder
		for _, e := range entries {
			if e.Failed() {
				fail := e.Failure
				fail.Err = labelledError(e)
				b.WriteString(checkmkFailure(fail))
				continue
			}
			b.WriteString(checkmkResult(e.Result, e.Label, verbosity))
		}
		doc.Body = []byte(b.String())
	case FormatJSON:
		body, err := jsonEntries(entries, verbosity)
		if err != nil {
			return doc, err
		}
		doc.Body = body
	case FormatOpenMetrics:
		doc.Body = []byte(openMetricsEntries(entries))
	default:
		return doc, fmt.Errorf("unknown output format %q", f)
	}
	return doc, nil
}

// NagiosPool prints a run of several addresses in the Monitoring Plugins
// format through go-nagios, as Nagios does one, and returns the exit code.
func NagiosPool(w io.Writer, entries []Entry, verbosity int) int {
	return emit(w, strings.TrimSuffix(NagiosPoolText(entries, verbosity), "\n"), Worst(entries))
}
