package output

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/verdict"
)

// Checkmk renders a verdict as one line of a Checkmk local check
// (cmk/plugins/collection/agent_based/local.py parses it):
//
//	STATE "SERVICE" METRICS TEXT
//
// The state is the plugin's own (0-3; never P, which would make Checkmk
// judge the metrics' levels instead); the service is named for the
// protocol and address ("ARP 198.51.100.13"), one service per address;
// the metrics are name=value;;;min;max joined by "|", in Checkmk's units:
// its rta, rtmin and rtmax are seconds, where the Nagios format follows
// check_icmp's milliseconds. Warn and crit are left out: outside P Checkmk
// does not apply them, and check_arp's ranges (@, ~) are not its levels.
// The text is the summary without the state (Checkmk shows its own), then
// the long output, joined by a literal \n that Checkmk turns into lines.
func Checkmk(r verdict.Result, verbosity int) string { return checkmkResult(r, "", verbosity) }

// checkmkResult is Checkmk with the address's label in the text.
func checkmkResult(r verdict.Result, label string, verbosity int) string {
	f := &r.Facts
	text := strings.TrimPrefix(oneLine(summaryNamed(r, label)), f.Protocol+" "+r.State.String()+" - ")
	if long := cleanLines(LongOutput(r, verbosity)); long != "" {
		text += "\n" + long
	}
	return checkmkLine(r.State, checkmkService(f.Protocol, f.Target.String()), checkmkMetrics(r), text)
}

// checkmkService names the service of one address. Checkmk forbids
// quotes in service names; an address has none.
func checkmkService(protocol, address string) string { return protocol + " " + address }

func checkmkLine(state verdict.State, service, metrics, text string) string {
	if metrics == "" {
		metrics = "-"
	}
	// Checkmk turns a backslash and "n" into a line break. The text holds
	// no backslash of its own: allowlist labels are letters, digits and
	// ".-_:".
	text = strings.ReplaceAll(text, "\n", `\n`)
	return strconv.Itoa(int(state)) + ` "` + service + `" ` + metrics + " " + text + "\n"
}

// checkmkMetrics are the performance data (Perfdata, so the same metrics
// and the same ones left out) in Checkmk's units: round trips in seconds
// instead of ms, loss in percent, counts and seconds as they are; units
// themselves are dropped, as Checkmk drops them without converting.
func checkmkMetrics(r verdict.Result) string {
	var items []string
	for _, m := range Perfdata(r) {
		value := m.Value
		if m.UOM == "ms" {
			if v, err := strconv.ParseFloat(m.Value, 64); err == nil {
				value = strconv.FormatFloat(math.Round(v*1000)/1e6, 'f', -1, 64)
			}
		}
		item := m.Label + "=" + value + ";;;" + m.Min
		if m.Max != "" {
			item += ";" + m.Max
		}
		items = append(items, item)
	}
	return strings.Join(items, "|")
}

// checkmkFailure is the UNKNOWN line of a check without verdict: the
// address's service when the address is known, else a service named
// check_arp, so that a broken local check shows up instead of vanishing.
func checkmkFailure(fail Failure) string {
	service := "check_arp"
	if fail.Target.IsValid() {
		service = checkmkService(verdict.ProtocolOf(fail.Target), fail.Target.String())
	}
	return checkmkLine(verdict.Unknown, service, "", oneLine(fail.Err.Error()))
}

// seconds prints a duration in seconds, to the microsecond as the Nagios
// format prints milliseconds to three decimals.
func seconds(d time.Duration) string { return strconv.FormatFloat(sec(d), 'f', -1, 64) }

// sec is a duration in seconds, rounded to the microsecond.
func sec(d time.Duration) float64 { return d.Round(time.Microsecond).Seconds() }
