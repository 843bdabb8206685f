// Package output prints a verdict, or the reason there is none, for the
// monitoring engine: the Monitoring Plugins format through go-nagios
// (nagios.go), from text that text.go and perfdata.go build from the
// verdict's facts. It decides nothing; every number and sentence it prints
// comes from the verdict.
package output

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/ownership"
	"github.com/check-arp/check_arp/internal/threshold"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Summary returns the one-line plugin summary, e.g.
// "ARP OK - 198.51.100.10 is at 02:00:00:00:00:10 (node-a) on eth0: 3/3 replies, rta 0.041ms"
// or, for IPv6, "NDP OK - 2001:db8::10 is at ...": the findings, worst
// first, as one sentence about the target.
func Summary(r verdict.Result) string { return summaryNamed(r, "") }

// summaryNamed is Summary with the address's label after it, if any:
// "198.51.100.13 (web) is answered by ...".
func summaryNamed(r verdict.Result, label string) string {
	texts := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		texts[i] = f.Text
	}
	f := &r.Facts
	return fmt.Sprintf("%s %s - %s %s on %s: %s",
		f.Protocol, r.State, named(f.Target.String(), label), strings.Join(texts, "; "), f.Interface, counts(f))
}

// named is an address with its label, if any.
func named(address, label string) string {
	if label == "" {
		return address
	}
	return address + " (" + label + ")"
}

func counts(f *verdict.Facts) string {
	if f.Received == 0 {
		return fmt.Sprintf("0/%d replies in %s", f.Sent, formatDuration(f.Elapsed))
	}
	return fmt.Sprintf("%d/%d replies, rta %s", f.Received, f.Sent, formatMS(f.RTA))
}

// maxListed is how many MACs the long output names one by one, in a list
// of answerers, of announcers or of one request's answers: a flood of
// thousands of MACs must not push the performance data past what Nagios
// (8 KB) or NRPE (1 KB packets) carry. The summary and the counts in the
// performance data still cover every MAC.
const maxListed = 16

// LongOutput returns the lines that follow the summary. At verbosity 0 it
// explains non-OK results (who answered which probes); -v adds a per-probe
// timeline, -vv the sending side.
func LongOutput(r verdict.Result, verbosity int) string {
	f := &r.Facts
	quiet := r.State == verdict.OK && len(f.Answerers) <= 1 && len(f.Announcers) == 0 && f.Unrecorded == 0 && f.Memory.Reset == ""
	if verbosity == 0 && quiet {
		return ""
	}
	var lines []string
	for i, a := range f.Answerers {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("and %d more MACs answered", len(f.Answerers)-maxListed))
			break
		}
		lines = append(lines, fmt.Sprintf("%s answered probe%s %s with %d repl%s, rtt %s",
			a.MAC, plural(len(a.Probes), "", "s"), probeRanges(a.Probes), a.Replies, plural(a.Replies, "y", "ies"), rttSpan(a.MinRTT, a.MaxRTT)))
	}
	for i, a := range f.Announcers {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("and %d more MACs announced %s", len(f.Announcers)-maxListed, f.Target))
			break
		}
		lines = append(lines, fmt.Sprintf("%s sent %d %s%s for %s, first at +%s",
			a.MAC, a.Count, announcement(f.Protocol), plural(a.Count, "", "s"), f.Target, formatMS(a.First)))
	}
	if f.Unrecorded > 0 {
		lines = append(lines, fmt.Sprintf("%d further replies or announcements arrived after the recording limit and were only counted", f.Unrecorded))
	}
	if r.State != verdict.OK && len(f.Allowed) > 0 {
		lines = append(lines, "allowed: "+verdict.ListMACs(f.Allowed))
	}
	lines = append(lines, r.Notes...)
	if f.Memory.Reset != "" {
		lines = append(lines, "memory reset: "+f.Memory.Reset)
	}
	if verbosity >= 1 {
		lines = append(lines, timeline(f)...)
		if f.Memory.Used {
			lines = append(lines, memoryLine(f))
		}
	}
	if verbosity >= 2 {
		lines = append(lines, fmt.Sprintf("probes sent from %s (%s) on %s; the run took %s",
			f.Source, f.LocalMAC, f.Interface, formatDuration(f.Elapsed)))
	}
	return strings.Join(lines, "\n")
}

// memoryLine says what memory holds after this run: the owner and for how
// long, the changes, and the check before this one.
func memoryLine(f *verdict.Facts) string {
	m, ev := &f.Memory, &f.Memory.Events
	var b strings.Builder
	b.WriteString("memory: ")
	if ev.OwnerKnown {
		atLeast := ""
		if !ev.OwnerSinceObserved {
			atLeast = "at least "
		}
		fmt.Fprintf(&b, "owner %s for %s%s, ", f.Describe(ev.Owner), atLeast, verdict.Span(ev.OwnerAge))
	} else {
		b.WriteString("no owner seen yet, ")
	}
	fmt.Fprintf(&b, "%d change%s of owner within %s, %d in total; ",
		len(ev.WindowChanges), plural(len(ev.WindowChanges), "", "s"), verdict.Span(ev.Flap.Window), ev.OwnerChanges)
	if !ev.Remembered {
		b.WriteString("this is the first check remembered")
	} else {
		fmt.Fprintf(&b, "the last check at %s saw %s", verdict.Ago(ev.PrevRun, m.At), outcomeWords(ev.PrevOutcome))
	}
	return b.String()
}

// outcomeWords says what a remembered run saw.
func outcomeWords(o ownership.Outcome) string {
	switch o {
	case ownership.OutcomeOwner:
		return "one owner"
	case ownership.OutcomeNoReply:
		return "no reply"
	case ownership.OutcomeSplitBrain:
		return "a split brain"
	case ownership.OutcomeFlood:
		return "a flood"
	}
	return string(o)
}

// announcement names one unsolicited claim of the target in the
// protocol's words.
func announcement(protocol string) string {
	if protocol == verdict.ProtocolNDP {
		return "unsolicited advertisement"
	}
	return "gratuitous announcement"
}

// timeline lists each probe with the replies it drew.
func timeline(f *verdict.Facts) []string {
	lines := make([]string, 0, len(f.Probes))
	for i, p := range f.Probes {
		if len(p.Answers) == 0 {
			lines = append(lines, fmt.Sprintf("probe %d at +%s: no reply", i+1, formatMS(p.At)))
			continue
		}
		parts := make([]string, 0, min(len(p.Answers), maxListed)+1)
		for j, a := range p.Answers {
			if j == maxListed {
				parts = append(parts, fmt.Sprintf("and %d more MACs", len(p.Answers)-maxListed))
				break
			}
			parts = append(parts, fmt.Sprintf("%s in %s", a.MAC, formatMS(a.RTT)))
		}
		line := fmt.Sprintf("probe %d at +%s: %s", i+1, formatMS(p.At), strings.Join(parts, ", "))
		if dups := p.Replies - len(p.Answers); dups > 0 {
			line += fmt.Sprintf(" (+%d duplicate%s)", dups, plural(dups, "", "s"))
		}
		lines = append(lines, line)
	}
	return lines
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func formatMS(d time.Duration) string { return threshold.FormatNumber(ms(d)) + "ms" }

// formatDuration prints a run's length: whole milliseconds below a second,
// seconds above.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Millisecond)
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return threshold.FormatNumber(d.Seconds()) + "s"
}

func rttSpan(lo, hi time.Duration) string {
	if lo == hi {
		return formatMS(lo)
	}
	return threshold.FormatNumber(ms(lo)) + "-" + formatMS(hi)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// probeRanges prints ascending 0-based probe indexes 1-based and folded into
// ranges: [0 1 2 4] becomes "1-3,5".
func probeRanges(probes []int) string {
	var b strings.Builder
	for i := 0; i < len(probes); {
		j := i
		for j+1 < len(probes) && probes[j+1] == probes[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(probes[i] + 1))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(probes[j] + 1))
		}
		i = j + 1
	}
	return b.String()
}
