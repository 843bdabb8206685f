package output

import (
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/threshold"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Metric is one performance data value, formatted and ready to print as
// label=value[uom];warn;crit;min;max (see String).
type Metric struct {
	Label, Value, UOM, Warn, Crit, Min, Max string
}

// PerfMetric is one series of the performance data: its label and how its
// value is read from a verdict's facts.
type PerfMetric struct {
	Label string
	value func(f *verdict.Facts) Metric
}

// PerfTable is the performance data, in the order the plugin emits it:
// check_icmp's rta, rtmin, rtmax and pl, then the counts that matter for
// address ownership. The labels are the same for ARP and NDP (an
// unsolicited neighbor advertisement counts as "gratuitous"), so graphs of
// dual-stack VIPs line up. The man page lists its labels.
var PerfTable = []PerfMetric{
	{"rta", func(f *verdict.Facts) Metric {
		return rtt(f, f.RTA, f.Warn.HasRTA, f.Warn.RTA, f.Crit.HasRTA, f.Crit.RTA)
	}},
	{"rtmin", func(f *verdict.Facts) Metric {
		return rtt(f, f.RTMin, false, threshold.Range{}, false, threshold.Range{})
	}},
	{"rtmax", func(f *verdict.Facts) Metric {
		return rtt(f, f.RTMax, false, threshold.Range{}, false, threshold.Range{})
	}},
	{"pl", func(f *verdict.Facts) Metric {
		return Metric{Value: threshold.FormatNumber(f.LossPercent), UOM: "%",
			Warn: rangeOf(f.Warn.HasPL, f.Warn.PL), Crit: rangeOf(f.Crit.HasPL, f.Crit.PL), Min: "0", Max: "100"}
	}},
	{"sent", func(f *verdict.Facts) Metric { return count(f.Sent) }},
	{"received", func(f *verdict.Facts) Metric {
		m := count(f.Received)
		m.Max = strconv.Itoa(f.Sent)
		return m
	}},
	{"macs", func(f *verdict.Facts) Metric { return count(len(f.Answerers)) }},
	{"unexpected_macs", func(f *verdict.Facts) Metric { return count(len(f.Unexpected)) }},
	{"multi_mac_probes", func(f *verdict.Facts) Metric { return count(f.MultiMACProbes) }},
	{"mac_changes", func(f *verdict.Facts) Metric { return count(f.MACChanges) }},
	{"gratuitous", func(f *verdict.Facts) Metric { return count(f.Announcements) }},
	{"spoofed", func(f *verdict.Facts) Metric { return count(f.Spoofed) }},
	{"unicast", func(f *verdict.Facts) Metric {
		// 1 answered, 0 ignored; left out when not sent or unknown.
		switch f.Unicast {
		case verdict.UnicastAnswered:
			return Metric{Value: "1", Min: "0", Max: "1"}
		case verdict.UnicastIgnored:
			return Metric{Value: "0", Min: "0", Max: "1"}
		}
		return Metric{}
	}},
	// Memory between runs: every change of owner since memory began (a
	// counter that never decreases, so a graph's rate shows the changes),
	// and how long the current owner has held the address. Left out
	// without memory, as the round trips are when nothing answered.
	{"owner_changes", func(f *verdict.Facts) Metric {
		if !f.Memory.Used {
			return Metric{}
		}
		return Metric{Value: strconv.FormatUint(f.Memory.Events.OwnerChanges, 10), UOM: "c", Min: "0"}
	}},
	{"owner_age", func(f *verdict.Facts) Metric {
		if !f.Memory.Used || !f.Memory.Events.OwnerKnown {
			return Metric{}
		}
		return Metric{Value: strconv.FormatInt(int64(f.Memory.Events.OwnerAge/time.Second), 10), UOM: "s", Min: "0"}
	}},
	{"time", func(f *verdict.Facts) Metric {
		return Metric{Value: threshold.FormatNumber(f.Elapsed.Seconds()), UOM: "s", Min: "0"}
	}},
}

// Perfdata returns the performance data of a verdict, as PerfTable lists
// it. The round trips (rta, rtmin, rtmax) are left out when nothing
// answered: there is no round trip to report, and the guidelines' "U"
// makes Checkmk add "Undefined metric" to the service text and Sensu log
// an error per value, while a missing value is a gap in every graph.
func Perfdata(r verdict.Result) []Metric {
	out := make([]Metric, 0, len(PerfTable))
	for _, pm := range PerfTable {
		m := pm.value(&r.Facts)
		if m.Value == "" {
			continue
		}
		m.Label = pm.Label
		out = append(out, m)
	}
	return out
}

// String prints the metric as the Monitoring Plugins guidelines write it:
// label=value[uom];warn;crit;min;max, the label quoted only when it must
// be (Sensu's nagios_perfdata keeps quotes in metric names) and trailing
// empty fields dropped, as the guidelines allow.
func (m Metric) String() string {
	fields := []string{perfLabel(m.Label) + "=" + m.Value + m.UOM, m.Warn, m.Crit, m.Min, m.Max}
	for len(fields) > 1 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	return strings.Join(fields, ";")
}

// FormatPerfdata joins metrics into the text after a plugin's "|".
func FormatPerfdata(metrics []Metric) string {
	items := make([]string, len(metrics))
	for i, m := range metrics {
		items[i] = m.String()
	}
	return strings.Join(items, " ")
}

// perfLabel quotes a label that holds a space, '=' or a quote, doubling
// its quotes as the guidelines say; any other label stays bare.
func perfLabel(l string) string {
	if !strings.ContainsAny(l, " ='") {
		return l
	}
	return "'" + strings.ReplaceAll(l, "'", "''") + "'"
}

// rtt is a round-trip metric in ms; its Value is empty (the metric is left
// out) when nothing answered.
func rtt(f *verdict.Facts, d time.Duration, hasWarn bool, warn threshold.Range, hasCrit bool, crit threshold.Range) Metric {
	if f.Received == 0 {
		return Metric{}
	}
	return Metric{Value: threshold.FormatNumber(ms(d)), UOM: "ms",
		Warn: rangeOf(hasWarn, warn), Crit: rangeOf(hasCrit, crit), Min: "0"}
}

func count(n int) Metric { return Metric{Value: strconv.Itoa(n), Min: "0"} }

func rangeOf(has bool, r threshold.Range) string {
	if !has {
		return ""
	}
	return r.String()
}
