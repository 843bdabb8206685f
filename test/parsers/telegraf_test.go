package parsers

import (
	"fmt"
	"os/exec"
	"reflect"
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
	LongOutput    *string           // nil: no long_service_output field
	Perf          map[string]string // label -> "value unit [thresholds] [min max]"
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

	r := telegrafRead{Perf: map[string]string{}}
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
			if _, dup := r.Perf[label]; dup {
				t.Errorf("telegraf read label %q twice", label)
			}
			r.Perf[label] = describeFields(m)
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

func ptr(s string) *string { return &s }

// TestTelegrafReadsSamples feeds the output samples to Telegraf's nagios
// parser and states what it reads from each.
func TestTelegrafReadsSamples(t *testing.T) {
	cases := []struct {
		sample string
		want   telegrafRead
	}{
		// OK: every label, unquoted; units as tags; the thresholds of
		// -w 200,40% -c 500,80% as ranges (outside 0..200 warns); no long
		// output.
		{"ok", telegrafRead{
			State:         0,
			ServiceOutput: "ARP OK - 198.51.100.10 is at 02:00:00:00:00:0a (node-a) on eth0: 3/3 replies, rta 0.26ms",
			Perf: map[string]string{
				"rta":              "0.26 ms critical_gt=500 critical_lt=0 min=0 warning_gt=200 warning_lt=0",
				"rtmin":            "0.24 ms min=0",
				"rtmax":            "0.282 ms min=0",
				"pl":               "0 % critical_gt=80 critical_lt=0 max=100 min=0 warning_gt=40 warning_lt=0",
				"sent":             "3 min=0",
				"received":         "3 max=3 min=0",
				"macs":             "1 min=0",
				"unexpected_macs":  "0 min=0",
				"multi_mac_probes": "0 min=0",
				"mac_changes":      "0 min=0",
				"gratuitous":       "0 min=0",
				"spoofed":          "0 min=0",
				"time":             "0.203 s min=0",
			},
		}},
		// WARNING with long output: the lines after the first, exactly, with
		// no trailing whitespace or empty line.
		{"warning-failover", telegrafRead{
			State:         1,
			ServiceOutput: "ARP WARNING - 198.51.100.20 moved from 02:00:00:00:00:0a (node-a) to 02:00:00:00:00:0b (node-b) during the check (failover) on eth0: 3/3 replies, rta 1.275ms",
			LongOutput: ptr("02:00:00:00:00:0a (node-a) answered probe 1 with 1 reply, rtt 1.181ms\n" +
				"02:00:00:00:00:0b (node-b) answered probes 2-3 with 2 replies, rtt 0.819-1.824ms\n" +
				"allowed: 02:00:00:00:00:0a (node-a), 02:00:00:00:00:0b (node-b) and 02:00:00:00:00:0c (node-c)"),
			Perf: map[string]string{
				"rta":              "1.275 ms critical_gt=500 critical_lt=0 min=0 warning_gt=200 warning_lt=0",
				"rtmin":            "0.819 ms min=0",
				"rtmax":            "1.824 ms min=0",
				"pl":               "0 % critical_gt=80 critical_lt=0 max=100 min=0 warning_gt=40 warning_lt=0",
				"sent":             "3 min=0",
				"received":         "3 max=3 min=0",
				"macs":             "2 min=0",
				"unexpected_macs":  "0 min=0",
				"multi_mac_probes": "0 min=0",
				"mac_changes":      "1 min=0",
				"gratuitous":       "0 min=0",
				"spoofed":          "0 min=0",
				"time":             "0.208 s min=0",
			},
		}},
		// CRITICAL, no reply: no round-trip metrics at all (there was no
		// round trip), every other one as usual.
		{"critical-no-reply", telegrafRead{
			State:         2,
			ServiceOutput: "ARP CRITICAL - 198.51.100.11 did not answer on eth0: 0/3 replies in 978ms",
			LongOutput:    ptr("allowed: 02:00:00:00:00:0a (node-a), 02:00:00:00:00:0b (node-b) and 02:00:00:00:00:0c (node-c)"),
			Perf: map[string]string{
				"pl":               "100 % critical_gt=80 critical_lt=0 max=100 min=0 warning_gt=40 warning_lt=0",
				"sent":             "3 min=0",
				"received":         "0 max=3 min=0",
				"macs":             "0 min=0",
				"unexpected_macs":  "0 min=0",
				"multi_mac_probes": "0 min=0",
				"mac_changes":      "0 min=0",
				"gratuitous":       "0 min=0",
				"spoofed":          "0 min=0",
				"time":             "0.978 s min=0",
			},
		}},
		// UNKNOWN: the summary alone, no metrics.
		{"unknown-routed", telegrafRead{
			State:         3,
			ServiceOutput: "ARP UNKNOWN - 203.0.113.5 is not on a directly connected network: the route goes via gateway 198.51.100.254 on eth0, and ARP does not cross routers; run check_arp on a host in the target's L2 segment, or name the interface with -I",
			Perf:          map[string]string{},
		}},
	}
	for _, c := range cases {
		t.Run(c.sample, func(t *testing.T) {
			s := readSample(t, c.sample)
			got := readWithTelegraf(t, s.output, s.exit)
			t.Logf("Telegraf read %s:\n%s", c.sample, dump(got))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("telegraf read\n%s\nwant\n%s", dump(got), dump(c.want))
			}
		})
	}
}

func dump(r telegrafRead) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state %d\nservice_output %q\n", r.State, r.ServiceOutput)
	if r.LongOutput != nil {
		fmt.Fprintf(&b, "long_service_output %q\n", *r.LongOutput)
	}
	var labels []string
	for l := range r.Perf {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		fmt.Fprintf(&b, "%q: %q,\n", l, r.Perf[l])
	}
	return b.String()
}
