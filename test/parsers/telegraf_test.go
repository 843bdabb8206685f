package parsers

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/nagios"
)

// testLogger is the telegraf.Logger the parser reports to; any error it
// logs fails the test.
type testLogger struct{ t *testing.T }

func (l testLogger) Level() telegraf.LogLevel          { return telegraf.Debug }
func (l testLogger) AddAttribute(string, interface{})  {}
func (l testLogger) Errorf(f string, a ...interface{}) { l.t.Errorf("telegraf error: "+f, a...) }
func (l testLogger) Error(a ...interface{}) {
	l.t.Error(append([]interface{}{"telegraf error:"}, a...)...)
}
func (l testLogger) Warnf(f string, a ...interface{}) { l.t.Logf("telegraf warning: "+f, a...) }
func (l testLogger) Warn(a ...interface{}) {
	l.t.Log(append([]interface{}{"telegraf warning:"}, a...)...)
}
func (l testLogger) Infof(f string, a ...interface{})  { l.t.Logf("telegraf: "+f, a...) }
func (l testLogger) Info(a ...interface{})             { l.t.Log(a...) }
func (l testLogger) Debugf(f string, a ...interface{}) { l.t.Logf("telegraf debug: "+f, a...) }
func (l testLogger) Debug(a ...interface{})            { l.t.Log(a...) }
func (l testLogger) Tracef(f string, a ...interface{}) { l.t.Logf("telegraf trace: "+f, a...) }
func (l testLogger) Trace(a ...interface{})            { l.t.Log(a...) }

// telegrafRead is what Telegraf's exec input stores for one run of a
// plugin with data_format = "nagios": the nagios_state metric and one
// "nagios" metric per performance data label.
type telegrafRead struct {
	State         int64
	ServiceOutput string
	LongOutput    *string  // nil: no long_service_output field
	Perf          []string // "label=value [unit] [thresholds] [min max]", in Telegraf's order
}

// readWithTelegraf parses a captured output with Telegraf's nagios parser
// and adds the state the way the exec input does, from the exit status of
// a real process that exited with the plugin's code.
func readWithTelegraf(t *testing.T, output []byte, exit int) telegrafRead {
	t.Helper()
	p := &nagios.Parser{Log: testLogger{t}}
	metrics, err := p.Parse(output)
	if err != nil {
		t.Fatalf("telegraf: %v", err)
	}
	runErr := exec.Command("/bin/sh", "-c", fmt.Sprintf("exit %d", exit)).Run()
	metrics = nagios.AddState(runErr, nil, metrics)

	var r telegrafRead
	seen := map[string]bool{}
	for _, m := range metrics {
		switch m.Name() {
		case "nagios_state":
			st, _ := m.GetField("state")
			r.State = toInt64(st)
			so, _ := m.GetField("service_output")
			r.ServiceOutput, _ = so.(string)
			if lo, ok := m.GetField("long_service_output"); ok {
				s, _ := lo.(string)
				r.LongOutput = &s
			}
		case "nagios":
			label, _ := m.GetTag("perfdata")
			if seen[label] {
				t.Errorf("telegraf read label %q twice", label)
			}
			seen[label] = true
			r.Perf = append(r.Perf, label+"="+describeFields(m))
		default:
			t.Errorf("unexpected metric %q", m.Name())
		}
	}
	return r
}

func toInt64(v interface{}) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case uint64:
		return int64(n)
	}
	return -1
}

// describeFields renders a "nagios" metric compactly: value and unit tag,
// then any threshold, min and max fields, sorted by name.
func describeFields(m telegraf.Metric) string {
	var b strings.Builder
	v, _ := m.GetField("value")
	fmt.Fprintf(&b, "%v", v)
	if u, ok := m.GetTag("unit"); ok {
		b.WriteString(" " + u)
	}
	var names []string
	for _, f := range m.FieldList() {
		if f.Key != "value" {
			names = append(names, f.Key)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		v, _ := m.GetField(n)
		fmt.Fprintf(&b, " %s=%v", n, v)
	}
	return b.String()
}

// TestTelegrafReadsSamples feeds the output samples to Telegraf's nagios
// parser and states what it reads from each: the state, the service
// output and long output (times aside, and verbatim from the sample), and
// every metric in order with its unit tag, thresholds, min and max. A
// "<label>" in a metric is the time the sample prints for that label (see
// withTimings): Telegraf must store exactly that value.
//
// Units: Telegraf keeps each one as the metric's "unit" tag, as printed,
// without converting: ms, %, s, and owner_changes' c, the guidelines'
// continuous counter. Telegraf does not turn a c into a rate (nor does any
// parser here); that is left to the query, which is what a counter that
// never decreases is for.
func TestTelegrafReadsSamples(t *testing.T) {
	counts := func(sent, received, macs, unexpected, multi, changes string) []string {
		return []string{"sent=" + sent + " min=0", "received=" + received + " max=3 min=0", "macs=" + macs + " min=0",
			"unexpected_macs=" + unexpected + " min=0", "multi_mac_probes=" + multi + " min=0", "mac_changes=" + changes + " min=0",
			"gratuitous=0 min=0", "spoofed=0 min=0"}
	}
	// The thresholds of -w 200,40% -c 500,80% as ranges: outside 0..200
	// warns.
	const (
		rta = "rta=<rta> ms critical_gt=500 critical_lt=0 min=0 warning_gt=200 warning_lt=0"
		pl  = " % critical_gt=80 critical_lt=0 max=100 min=0 warning_gt=40 warning_lt=0"
	)
	cases := []struct {
		sample  string
		state   int64
		summary string  // times as <time>ms
		long    *string // times as <time>ms; nil: none
		perf    []string
	}{
		// OK: every label, unquoted; units as tags; no long output. The
		// first check with memory: no change of owner yet, and the owner
		// has held the address for the time the sample prints.
		{"ok", 0, "ARP OK - 198.51.100.10 is at 02:00:00:00:00:0a (node-a) on eth0: 3/3 replies, rta <time>ms", nil,
			concat([]string{rta, "rtmin=<rtmin> ms min=0", "rtmax=<rtmax> ms min=0", "pl=0" + pl},
				counts("3", "3", "1", "0", "0", "0"),
				[]string{"unicast=1 max=1 min=0", "owner_changes=0 c min=0", "owner_age=<owner_age> s min=0", "time=<time> s min=0"})},
		// WARNING with long output: the lines after the first, exactly, with
		// no trailing whitespace or empty line.
		{"warning-failover", 1, "ARP WARNING - 198.51.100.20 moved from 02:00:00:00:00:0a (node-a) to 02:00:00:00:00:0b (node-b) during the check (failover) on eth0: 3/3 replies, rta <time>ms",
			ptr("02:00:00:00:00:0a (node-a) answered probe 1 with 1 reply, rtt <time>ms\n" +
				"02:00:00:00:00:0b (node-b) answered probes 2-3 with 2 replies, rtt <time>ms\n" +
				"allowed: 02:00:00:00:00:0a (node-a), 02:00:00:00:00:0b (node-b) and 02:00:00:00:00:0c (node-c)"),
			concat([]string{rta, "rtmin=<rtmin> ms min=0", "rtmax=<rtmax> ms min=0", "pl=0" + pl},
				counts("3", "3", "2", "0", "0", "1"),
				[]string{"unicast=1 max=1 min=0", "owner_changes=0 c min=0", "owner_age=<owner_age> s min=0", "time=<time> s min=0"})},
		// CRITICAL, no reply: no round-trip metrics (there was no round
		// trip), no unicast (no owner to send it to), no owner_age (no
		// owner yet), every other one as usual.
		{"critical-no-reply", 2, "ARP CRITICAL - 198.51.100.11 did not answer on eth0: 0/3 replies in <time>ms",
			ptr("allowed: 02:00:00:00:00:0a (node-a), 02:00:00:00:00:0b (node-b) and 02:00:00:00:00:0c (node-c)"),
			concat([]string{"pl=100" + pl}, counts("3", "0", "0", "0", "0", "0"),
				[]string{"owner_changes=0 c min=0", "time=<time> s min=0"})},
		// UNKNOWN: the summary alone, no metrics.
		{"unknown-routed", 3, "ARP UNKNOWN - 203.0.113.5 is not on a directly connected network: the route goes via gateway 198.51.100.254 on eth0, and ARP does not cross routers; run check_arp on a host in the target's L2 segment, or name the interface with -I", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.sample, func(t *testing.T) {
			s := readSample(t, c.sample)
			got := readWithTelegraf(t, s.output, s.exit)
			t.Logf("Telegraf read %s:\n%s", c.sample, dump(got))
			summary, long, _ := s.parts()
			if got.State != c.state {
				t.Errorf("state %d, want %d", got.State, c.state)
			}
			if got.ServiceOutput != summary || untimedText(got.ServiceOutput) != c.summary {
				t.Errorf("service_output %q, want the sample's summary %q, times aside %q", got.ServiceOutput, summary, c.summary)
			}
			switch {
			case c.long == nil && got.LongOutput != nil:
				t.Errorf("long_service_output %q, want none", *got.LongOutput)
			case c.long != nil && got.LongOutput == nil:
				t.Errorf("no long_service_output, want %q", *c.long)
			case c.long != nil && (*got.LongOutput != long || untimedText(*got.LongOutput) != *c.long):
				t.Errorf("long_service_output %q, want the sample's long output %q, times aside %q", *got.LongOutput, long, *c.long)
			}
			sameList(t, "telegraf metrics", got.Perf, withTimings(t, s.printed(t), c.perf))
		})
	}
}

func ptr(s string) *string { return &s }

// concat joins lists of expectations.
func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func dump(r telegrafRead) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state %d\nservice_output %q\n", r.State, r.ServiceOutput)
	if r.LongOutput != nil {
		fmt.Fprintf(&b, "long_service_output %q\n", *r.LongOutput)
	}
	for _, p := range r.Perf {
		fmt.Fprintf(&b, "%s\n", p)
	}
	return b.String()
}
