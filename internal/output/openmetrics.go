package output

import (
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/threshold"
	"github.com/check-arp/check_arp/internal/verdict"
)

// openMetric is one metric family of the OpenMetrics output: its name,
// help, and its samples for one address (none leaves the address out).
type openMetric struct {
	name, help string
	values     func(r verdict.Result) []sample
}

// sample is one value, with labels beyond the address's own.
type sample struct {
	labels [][2]string
	value  string
}

func one(v string) []sample { return []sample{{value: v}} }

func gauge(n int) []sample { return one(strconv.Itoa(n)) }

func secs(d time.Duration) string { return seconds(d) }

// openMetrics are the families, in output order. All are gauges: each
// run reports its own values, which are no running totals.
var openMetrics = []openMetric{
	{"check_arp_state", "Monitoring state of the address: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
		func(r verdict.Result) []sample { return gauge(int(r.State)) }},
	{"check_arp_info", "Who holds the address: the MAC that alone answered the last request answered by one MAC, and its allowlist label; empty when there is none. Always 1.",
		func(r verdict.Result) []sample {
			var owner, label string
			if r.Facts.HasOwner {
				owner, label = r.Facts.Owner.Addr.String(), r.Facts.Owner.Label
			}
			return []sample{{labels: [][2]string{{"owner_mac", owner}, {"owner_label", label}}, value: "1"}}
		}},
	{"check_arp_macs", "Distinct MAC addresses that answered the address.",
		func(r verdict.Result) []sample { return gauge(len(r.Facts.Answerers)) }},
	{"check_arp_unexpected_macs", "MAC addresses outside the allowlist that claimed the address.",
		func(r verdict.Result) []sample { return gauge(len(r.Facts.Unexpected)) }},
	{"check_arp_rtt_seconds", "Round trip of the first reply to each answered request: average, minimum and maximum. Absent when nothing answered.",
		func(r verdict.Result) []sample {
			f := &r.Facts
			if f.Received == 0 {
				return nil
			}
			stat := func(s string, d time.Duration) sample {
				return sample{labels: [][2]string{{"stat", s}}, value: secs(d)}
			}
			return []sample{stat("avg", f.RTA), stat("min", f.RTMin), stat("max", f.RTMax)}
		}},
	{"check_arp_requests_sent", "Requests sent (ARP requests, IPv6 neighbor solicitations).",
		func(r verdict.Result) []sample { return gauge(r.Facts.Sent) }},
	{"check_arp_requests_answered", "Requests answered at least once.",
		func(r verdict.Result) []sample { return gauge(r.Facts.Received) }},
	{"check_arp_loss_ratio", "Share of the requests without an answer, 0 to 1.",
		func(r verdict.Result) []sample { return one(threshold.FormatNumber(r.Facts.LossPercent / 100)) }},
	{"check_arp_multi_mac_requests", "Requests answered by more than one MAC (split brain).",
		func(r verdict.Result) []sample { return gauge(r.Facts.MultiMACProbes) }},
	{"check_arp_mac_changes", "Changes of the answering MAC between consecutive requests.",
		func(r verdict.Result) []sample { return gauge(r.Facts.MACChanges) }},
	{"check_arp_announcements", "Announcements of the address (gratuitous ARP, unsolicited neighbor advertisements): a MAC's frames within 100 ms count once.",
		func(r verdict.Result) []sample { return gauge(r.Facts.Announcements) }},
	{"check_arp_spoofed", "Replies and announcements sent from another MAC than the one they claim.",
		func(r verdict.Result) []sample { return gauge(r.Facts.Spoofed) }},
	{"check_arp_unicast_answered", "Whether the owner answered the request sent to its MAC alone, as routers refresh their neighbor entries: 1 yes, 0 no. Absent when none was sent or the answer may have been another process's.",
		func(r verdict.Result) []sample {
			switch r.Facts.Unicast {
			case verdict.UnicastAnswered:
				return one("1")
			case verdict.UnicastIgnored:
				return one("0")
			}
			return nil
		}},
	{"check_arp_duration_seconds", "Duration of the check.",
		func(r verdict.Result) []sample { return one(secs(r.Facts.Elapsed)) }},
}

// OpenMetrics renders verdicts in the Prometheus text format that
// node_exporter's textfile collector and promtool read (the part of
// OpenMetrics that format shares): one gauge family per fact, one series
// per address, labelled address, interface and family (ipv4, ipv6).
func OpenMetrics(results []verdict.Result) string { return openMetricsEntries(resultEntries(results)) }

// openMetricsEntries is OpenMetrics of entries: an entry's label is a
// label of its check_arp_info series, and an address without verdict has
// only its check_arp_state series, 3 (UNKNOWN).
func openMetricsEntries(entries []Entry) string {
	var b strings.Builder
	for i, m := range openMetrics {
		header := false
		for _, e := range entries {
			if e.Failed() {
				if i == 0 {
					if !header {
						writeHeader(&b, m.name, m.help)
						header = true
					}
					writeSample(&b, m.name, addressLabels(e.Failure.Target.String(), e.Failure.Interface, e.Failure.Target.Is6()), strconv.Itoa(int(verdict.Unknown)))
				}
				continue
			}
			r := e.Result
			f := &r.Facts
			base := addressLabels(f.Target.String(), f.Interface, f.Target.Is6())
			for _, s := range m.values(r) {
				if e.Label != "" && m.name == "check_arp_info" {
					s.labels = append(s.labels, [2]string{"label", e.Label})
				}
				if !header {
					writeHeader(&b, m.name, m.help)
					header = true
				}
				writeSample(&b, m.name, append(base, s.labels...), s.value)
			}
		}
	}
	return b.String()
}

// openMetricsFailure is the state of a check without verdict: UNKNOWN for
// the address when it is known, else only a comment with the reason.
func openMetricsFailure(fail Failure, line string) string {
	var b strings.Builder
	b.WriteString("# " + line + "\n")
	if fail.Target.IsValid() {
		m := openMetrics[0]
		writeHeader(&b, m.name, m.help)
		writeSample(&b, m.name, addressLabels(fail.Target.String(), fail.Interface, fail.Target.Is6()), strconv.Itoa(int(verdict.Unknown)))
	}
	return b.String()
}

func addressLabels(address, ifname string, ipv6 bool) [][2]string {
	return [][2]string{{"address", address}, {"interface", ifname}, {"family", family(ipv6)}}
}

func writeHeader(b *strings.Builder, name, help string) {
	b.WriteString("# HELP " + name + " " + strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help) + "\n")
	b.WriteString("# TYPE " + name + " gauge\n")
}

func writeSample(b *strings.Builder, name string, labels [][2]string, value string) {
	b.WriteString(name + "{")
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l[0] + `="` + labelValue.Replace(l[1]) + `"`)
	}
	b.WriteString("} " + value + "\n")
}

// labelValue escapes a label value as the text format requires.
var labelValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
