package verdict

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/threshold"
)

// Result is the verdict on one observation.
type Result struct {
	// State is the worst state among the findings.
	State State
	// Findings are ordered worst first; the first one leads the summary.
	Findings []Finding

	obs   Observation
	pol   Policy
	stats stats
	unexp int
}

// Summary returns the one-line plugin summary, e.g.
// "ARP OK - 198.51.100.10 is at 02:00:00:00:00:10 (node-a) on eth0: 3/3 replies, rta 0.041ms"
// or, for IPv6, "NDP OK - 2001:db8::10 is at ...".
func (r Result) Summary() string {
	texts := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		texts[i] = f.Text
	}
	return fmt.Sprintf("%s %s - %s %s on %s: %s",
		r.obs.Protocol, r.State, r.obs.Target, strings.Join(texts, "; "), r.obs.Interface, r.counts())
}

func (r Result) counts() string {
	s := r.stats
	if s.answered == 0 {
		return fmt.Sprintf("0/%d replies in %s", s.sent, formatDuration(r.obs.Elapsed))
	}
	return fmt.Sprintf("%d/%d replies, rta %s", s.answered, s.sent, formatMS(s.rta))
}

// LongOutput returns the lines that follow the summary. At verbosity 0 it
// explains non-OK results (who answered which probes); -v adds a per-probe
// timeline, -vv the sending side.
func (r Result) LongOutput(verbosity int) string {
	s := r.stats
	quiet := r.State == OK && len(s.macOrder) <= 1 && len(s.announcers) == 0 && r.obs.Unrecorded == 0
	if verbosity == 0 && quiet {
		return ""
	}
	var lines []string
	name := func(a mac.Addr) string { return describeMAC(a, r.pol.Allowed) }
	for _, m := range s.macOrder {
		st := s.perMAC[m]
		lines = append(lines, fmt.Sprintf("%s answered probe%s %s with %d repl%s, rtt %s",
			name(m), plural(len(st.probes), "", "s"), probeRanges(st.probes), st.replies, plural(st.replies, "y", "ies"), rttSpan(st.minRTT, st.maxRTT)))
	}
	for _, m := range s.announcers {
		var n int
		var first time.Duration
		for _, a := range r.obs.Announcements {
			if a.MAC == m {
				if n == 0 {
					first = a.At
				}
				n++
			}
		}
		lines = append(lines, fmt.Sprintf("%s sent %d %s%s for %s, first at +%s",
			name(m), n, wordsFor(r.obs.Protocol).announcement, plural(n, "", "s"), r.obs.Target, formatMS(first)))
	}
	if r.obs.Unrecorded > 0 {
		lines = append(lines, fmt.Sprintf("%d further replies or announcements arrived after the recording limit and were only counted", r.obs.Unrecorded))
	}
	if r.State != OK && r.pol.Allowed.Len() > 0 {
		lines = append(lines, "allowed: "+listMACs(r.pol.Allowed.Addrs(), name))
	}
	if verbosity >= 1 {
		lines = append(lines, r.timeline()...)
	}
	if verbosity >= 2 {
		lines = append(lines, fmt.Sprintf("probes sent from %s (%s) on %s; the run took %s",
			r.obs.Source, r.obs.LocalMAC, r.obs.Interface, formatDuration(r.obs.Elapsed)))
	}
	return strings.Join(lines, "\n")
}

// timeline lists each probe with the replies it drew.
func (r Result) timeline() []string {
	perProbe := make([][]Reply, len(r.obs.ProbesSent))
	for _, rep := range r.obs.Replies {
		if rep.Probe >= 0 && rep.Probe < len(perProbe) {
			perProbe[rep.Probe] = append(perProbe[rep.Probe], rep)
		}
	}
	lines := make([]string, 0, len(perProbe))
	for i, at := range r.obs.ProbesSent {
		reps := perProbe[i]
		if len(reps) == 0 {
			lines = append(lines, fmt.Sprintf("probe %d at +%s: no reply", i+1, formatMS(at)))
			continue
		}
		var parts []string
		seen := map[mac.Addr]int{}
		for _, rep := range reps {
			seen[rep.MAC]++
			if seen[rep.MAC] == 1 {
				parts = append(parts, fmt.Sprintf("%s in %s", describeMAC(rep.MAC, r.pol.Allowed), formatMS(rep.RTT)))
			}
		}
		dups := len(reps) - len(seen)
		line := fmt.Sprintf("probe %d at +%s: %s", i+1, formatMS(at), strings.Join(parts, ", "))
		if dups > 0 {
			line += fmt.Sprintf(" (+%d duplicate%s)", dups, plural(dups, "", "s"))
		}
		lines = append(lines, line)
	}
	return lines
}

// Metric is one performance data value, formatted and ready to print as
// 'label'=value[uom];warn;crit;min;max.
type Metric struct {
	Label, Value, UOM, Warn, Crit, Min, Max string
}

// Perfdata returns the performance data: check_icmp's rta, rtmin, rtmax and
// pl, then the counts that matter for address ownership. The labels are
// the same for ARP and NDP (an unsolicited neighbor advertisement counts as
// "gratuitous"), so graphs of dual-stack VIPs line up.
func (r Result) Perfdata() []Metric {
	s := r.stats
	rtt := func(label string, d time.Duration, warn, crit string) Metric {
		if s.answered == 0 {
			return Metric{Label: label, Value: "U", Warn: warn, Crit: crit, Min: "0"}
		}
		return Metric{Label: label, Value: threshold.FormatNumber(ms(d)), UOM: "ms", Warn: warn, Crit: crit, Min: "0"}
	}
	count := func(label string, n int) Metric {
		return Metric{Label: label, Value: strconv.Itoa(n), Min: "0"}
	}
	received := count("received", s.answered)
	received.Max = strconv.Itoa(s.sent)
	return []Metric{
		rtt("rta", s.rta, rangeOf(r.pol.Warn.HasRTA, r.pol.Warn.RTA), rangeOf(r.pol.Crit.HasRTA, r.pol.Crit.RTA)),
		rtt("rtmin", s.rtmin, "", ""),
		rtt("rtmax", s.rtmax, "", ""),
		{Label: "pl", Value: threshold.FormatNumber(s.lossPercent()), UOM: "%",
			Warn: rangeOf(r.pol.Warn.HasPL, r.pol.Warn.PL), Crit: rangeOf(r.pol.Crit.HasPL, r.pol.Crit.PL), Min: "0", Max: "100"},
		count("sent", s.sent),
		received,
		count("macs", len(s.macOrder)),
		count("unexpected_macs", r.unexp),
		count("multi_mac_probes", s.multiMACProbes),
		count("mac_changes", s.changes),
		count("gratuitous", len(r.obs.Announcements)),
		count("spoofed", r.stats.spoofed),
		{Label: "time", Value: threshold.FormatNumber(r.obs.Elapsed.Seconds()), UOM: "s", Min: "0"},
	}
}

func rangeOf(has bool, r threshold.Range) string {
	if !has {
		return ""
	}
	return r.String()
}

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
