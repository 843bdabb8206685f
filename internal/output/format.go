package output

import (
	"fmt"
	"net/netip"

	"github.com/check-arp/check_arp/internal/verdict"
)

// Format names an output format, as --output takes it.
type Format string

// The output formats.
const (
	// FormatNagios is the Monitoring Plugins text (the default).
	FormatNagios Format = "nagios"
	// FormatCheckmk is one Checkmk local check line per address.
	FormatCheckmk Format = "checkmk"
	// FormatJSON is one JSON document, versioned by JSONSchema.
	FormatJSON Format = "json"
	// FormatOpenMetrics is the Prometheus text format that
	// node_exporter's textfile collector reads.
	FormatOpenMetrics Format = "openmetrics"
)

// Formats lists every format, the default first.
var Formats = []Format{FormatNagios, FormatCheckmk, FormatJSON, FormatOpenMetrics}

// Document is a rendered result: what to print or write, and how the
// plugin ends.
type Document struct {
	// Body is the output in the chosen format.
	Body []byte
	// Summary is the one-line summary of the Nagios format, for the
	// terminal or the journal when Body goes to a file.
	Summary string
	// State is the worst state; its value is the exit code.
	State verdict.State
	// Complete is false when Body says nothing about any address (a
	// failure before the target was known): a file of metrics is then
	// better left as it was, to age visibly, than replaced by nothing.
	Complete bool
}

// Failure is a check that reached no verdict: the address, when it was
// known, and why.
type Failure struct {
	// Protocol starts the UNKNOWN line as Unknown's protocol does: ""
	// for a mistake on the command line.
	Protocol string
	// Target is the address to check, the zero Addr when it is unknown.
	Target netip.Addr
	// Interface is the interface, "" when it is unknown.
	Interface string
	Err       error
}

// Render renders a verdict in format f. verbosity is the number of -v.
func Render(f Format, r verdict.Result, verbosity int) (Document, error) {
	doc := Document{Summary: oneLine(Summary(r)), State: r.State, Complete: true}
	switch f {
	case FormatNagios, "":
		doc.Body = []byte(NagiosText(r, verbosity))
	case FormatCheckmk:
		doc.Body = []byte(Checkmk(r, verbosity))
	case FormatJSON:
		b, err := JSON([]verdict.Result{r}, verbosity)
		if err != nil {
			return doc, err
		}
		doc.Body = b
	case FormatOpenMetrics:
		doc.Body = []byte(OpenMetrics([]verdict.Result{r}))
	default:
		return doc, fmt.Errorf("unknown output format %q", f)
	}
	return doc, nil
}

// RenderFailure renders a check without verdict in format f: UNKNOWN,
// for the address when it is known.
func RenderFailure(f Format, fail Failure) Document {
	line := UnknownLine(fail.Protocol, fail.Err)
	doc := Document{Summary: line, State: verdict.Unknown, Complete: fail.Target.IsValid()}
	switch f {
	case FormatCheckmk:
		doc.Body = []byte(checkmkFailure(fail))
	case FormatJSON:
		doc.Body = jsonFailure(fail, line)
	case FormatOpenMetrics:
		doc.Body = []byte(openMetricsFailure(fail, line))
	default:
		doc.Body = []byte(line + "\n")
	}
	return doc
}
