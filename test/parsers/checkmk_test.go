package parsers

// Checkmk's reading of check_arp, transcribed. Checkmk is Python, in
// neither Debian nor a registry this project can reach, so its parsing is
// restated here step by step from the files named below (github.com/
// Checkmk/checkmk), each function with the one it follows. It is a
// transcription of their behaviour, not Checkmk's code; where Python and Go
// differ (str.split() also splits at \x1c-\x1f, float() also takes "1_0")
// the difference is outside what check_arp prints.
//
//   - agents/check_mk_agent.linux (commit 004b2769617f): run_remote_plugins,
//     run_mrpe and run_cached, which turn an mrpe.cfg line and the plugin's
//     run into a line of the <<<mrpe>>> section, and run_local_checks.
//   - cmk/plugins/collection/agent_based/mrpe.py (commit 610a58f05638):
//     parse_mrpe, check_mrpe, _parse_nagios_perfstring.
//   - cmk/plugins/collection/agent_based/local.py (commit 68e2975af275):
//     parse_local_pure, _split_check_result, _parse_perfentry, check_local.
//   - packages/cmk-agent-based/cmk/agent_based/v1/_checking_classes.py
//     (commit 610a58f05638): Metric's name check, Result's summary/notice.
//   - cmk/gui/graphing (_parse_check_command_from_api, parse_perf_data,
//     perfvar_translation): how a graphing translation such as
//     contrib/checkmk/check_arp_graphing.py scales an MRPE service's metrics.

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cmkResult is a Result of a Checkmk check function. A notice of an OK
// result has no summary: it shows in the details only.
type cmkResult struct {
	State   int
	Summary string
	Details string
}

// cmkMetric is a Metric of a Checkmk check function.
type cmkMetric struct {
	Name       string
	Value      float64
	Levels     [2]*float64 // warn, crit
	Boundaries [2]*float64 // min, max
}

func (m cmkMetric) String() string {
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	return fmt.Sprintf("%s=%s (levels %s/%s, boundaries %s..%s)", m.Name, strconv.FormatFloat(m.Value, 'g', -1, 64), f(m.Levels[0]), f(m.Levels[1]), f(m.Boundaries[0]), f(m.Boundaries[1]))
}

// cmkService is what Checkmk makes of one service's check: its results,
// metrics and, where the check function would raise (a crash report,
// the service UNKNOWN), the error.
type cmkService struct {
	Name    string
	Results []cmkResult
	Metrics []cmkMetric
	Crash   string
}

// pyFloat is Python's float() on the strings check_arp prints.
func pyFloat(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil
}

func optFloat(s string) *float64 {
	if v, ok := pyFloat(s); ok {
		return &v
	}
	return nil
}

// validMetricName is Metric._validate_name: not empty, none of " :/\".
func validMetricName(name string) error {
	if name == "" {
		return fmt.Errorf("metric name must not be empty")
	}
	if strings.ContainsAny(name, ` :/\`) {
		return fmt.Errorf("invalid character(s) in metric name: %q", name)
	}
	return nil
}

// mrpeAgentLine is the agent's run_mrpe for one mrpe.cfg line ("NAME
// (interval=60) COMMAND"), given what the command printed and its exit
// status: "(PLUGIN) NAME STATUS OUTPUT" with the output's newlines as \x01
// ($(...) has dropped the trailing ones), prefixed by run_cached's
// "cached(MTIME,INTERVAL) " when the line has an interval.
func mrpeAgentLine(t *testing.T, cfgLine string, output []byte, status int, mtime int64) string {
	t.Helper()
	fields := strings.Fields(cfgLine)
	if len(fields) < 3 {
		t.Fatalf("mrpe.cfg line %q has no command", cfgLine)
	}
	descr, rest := fields[0], strings.TrimSpace(strings.TrimPrefix(cfgLine, fields[0]))
	interval := ""
	if m := regexp.MustCompile(`^\([^)]*\)`).FindString(rest); m != "" {
		if iv := regexp.MustCompile(`interval=[^:)]*`).FindString(m); iv != "" {
			interval = strings.TrimPrefix(iv, "interval=")
		}
		rest = strings.TrimPrefix(rest, m+" ")
	}
	plugin := strings.Fields(rest)[0]
	plugin = plugin[strings.LastIndex(plugin, "/")+1:]
	out := strings.TrimRight(string(output), "\n")
	line := strings.ReplaceAll(fmt.Sprintf("(%s) %s %d %s", plugin, descr, status, out), "\n", "\x01")
	if interval != "" {
		line = fmt.Sprintf("cached(%d,%s) %s", mtime, interval, line)
	}
	return line
}

var cmkCached = regexp.MustCompile(`^cached\((\d+),(\d+)\)$`)

// mrpeData is parse_mrpe's PluginData.
type mrpeData struct {
	name   string // the plugin, "" if the agent did not say
	state  int
	info   []string
	cached string
}

// parseMRPE is parse_mrpe on the section's lines, each split at
// whitespace (the section has no separator of its own).
func parseMRPE(sectionLines []string) map[string]mrpeData {
	parsed := map[string]mrpeData{}
	for _, l := range sectionLines {
		line := strings.Fields(l)
		var d mrpeData
		if len(line) > 0 && cmkCached.MatchString(line[0]) {
			d.cached, line = line[0], line[1:]
		}
		if len(line) > 0 && strings.HasPrefix(line[0], "(") {
			d.name, line = strings.Trim(line[0], "()"), line[1:]
		}
		if len(line) < 2 {
			continue
		}
		item, err := url.PathUnescape(line[0])
		if err != nil {
			item = line[0]
		}
		rawState := line[1]
		line = line[2:]
		if st, err := strconv.Atoi(rawState); err == nil && st >= 0 && st <= 3 {
			d.state = st
		} else {
			line = append([]string{fmt.Sprintf("Invalid plug-in status '%s'. Output is:", rawState)}, line...)
			d.state = 3
		}
		d.info = strings.Split(strings.Join(line, " "), "\x01")
		parsed[item] = d
	}
	return parsed
}

// checkMRPE is check_mrpe for one item.
func checkMRPE(item string, d mrpeData) cmkService {
	s := cmkService{Name: item}
	first := strings.SplitN(d.info[0], "|", 2)
	output := []string{strings.TrimSpace(first[0])}
	var perfdata []string
	if len(first) > 1 {
		perfdata = strings.Fields(first[1])
	}
	nowPerf := false
	for _, l := range d.info[1:] {
		if nowPerf {
			perfdata = append(perfdata, strings.Fields(l)...)
			continue
		}
		parts := strings.SplitN(l, "|", 2)
		output = append(output, strings.TrimSpace(parts[0]))
		if len(parts) > 1 {
			perfdata = append(perfdata, strings.Fields(parts[1])...)
			nowPerf = true
		}
	}
	if output[0] != "" {
		s.Results = append(s.Results, cmkResult{d.state, output[0], strings.Join(output, "\n")})
	} else {
		s.Results = append(s.Results, cmkResult{d.state, "No further information available", "No further information available"})
	}
	for _, p := range perfdata {
		m, err := parseNagiosPerfstring(p)
		if err != nil {
			s.Results = append(s.Results, cmkResult{3, "Undefined metric: " + err.Error(), "Undefined metric: " + err.Error()})
			continue
		}
		if err := validMetricName(m.Name); err != nil {
			s.Crash = err.Error()
			return s
		}
		s.Metrics = append(s.Metrics, m)
	}
	if d.cached != "" {
		// Checkmk renders the age and interval here; the text is not
		// transcribed.
		s.Results = append(s.Results, cmkResult{0, "(cache info of " + d.cached + ")", ""})
	}
	if d.name != "" {
		n := "Check command used in metric system: " + d.name
		s.Results = append(s.Results, cmkResult{0, "", n})
	}
	return s
}

// parseNagiosPerfstring is _parse_nagios_perfstring.
func parseNagiosPerfstring(perf string) (cmkMetric, error) {
	name, valueText, ok := strings.Cut(perf, "=")
	if !ok {
		return cmkMetric{}, fmt.Errorf("'%s'", perf)
	}
	if strings.HasPrefix(valueText, "U") {
		return cmkMetric{}, fmt.Errorf("Nagios style undefined value")
	}
	values := strings.Split(valueText, ";")
	for i, v := range values {
		parts := strings.Split(v, ":")
		values[i] = parts[len(parts)-1]
	}
	for len(values) < 5 {
		values = append(values, "")
	}
	values = values[:5]
	// _strip_unit_float: the longest prefix that is a number.
	value, found := 0.0, false
	for i := len(values[0]); i > 0 && !found; i-- {
		value, found = pyFloat(values[0][:i])
	}
	if !found {
		return cmkMetric{}, fmt.Errorf("invalid metric value '%s'", values[0])
	}
	return cmkMetric{name, value, [2]*float64{optFloat(values[1]), optFloat(values[2])}, [2]*float64{optFloat(values[3]), optFloat(values[4])}}, nil
}

// localSplit is _split_check_result's pattern: state, optionally quoted
// item, performance data, text.
var localSplit = regexp.MustCompile(`^([^ ]+) (("([^"']+)")|('([^"']+)')|([^ "']+)) ([^ ]+)( +(.*))?$`)

// checkLocal is parse_local_pure and check_local for one line of the
// <<<local:sep(0)>>> section (one line, one element).
func checkLocal(line string) (cmkService, error) {
	m := regexp.MustCompile(`^(cached\(\d+,\d+\))? *(.*) *$`).FindStringSubmatch(line)
	cached, raw := m[1], m[2]
	c := localSplit.FindStringSubmatch(raw)
	if c == nil {
		return cmkService{}, fmt.Errorf("not a local check line: %q", raw)
	}
	rawState, rawPerf, rawInfo := c[1], c[8], c[10]
	item := c[6]
	if item == "" {
		item = c[4]
	}
	if item == "" {
		item = c[2]
	}
	s := cmkService{Name: item}
	state, ok := map[string]int{"0": 0, "1": 1, "2": 2, "3": 3}[rawState]
	if !ok {
		// "P" (levels from the performance data) is not used by check_arp.
		return s, fmt.Errorf("invalid plug-in status %s", rawState)
	}
	var metrics []cmkMetric
	if rawPerf != "-" {
		for _, entry := range strings.Split(rawPerf, "|") {
			pm, err := parsePerfentry(entry)
			if err != nil {
				return s, fmt.Errorf("invalid performance data: %q", entry)
			}
			metrics = append(metrics, pm)
		}
	}
	text := strings.ReplaceAll(rawInfo, `\n`, "\n")
	summary, details, _ := strings.Cut(text, "\n")
	if text != "" {
		if details == "" {
			details = summary
		}
		s.Results = append(s.Results, cmkResult{state, summary, details})
	}
	for _, pm := range metrics {
		if err := validMetricName(pm.Name); err != nil {
			s.Results = append(s.Results, cmkResult{1, "Invalid metric name: " + pm.Name, err.Error()})
			continue
		}
		// check_levels with the line's own levels only for state P:
		// the metric carries the boundaries, no levels.
		pm.Levels = [2]*float64{}
		s.Metrics = append(s.Metrics, pm)
	}
	if cached != "" {
		s.Results = append(s.Results, cmkResult{0, "(cache info of " + cached + ")", ""})
	}
	return s, nil
}

// parsePerfentry is _parse_perfentry, as far as the metric goes: name,
// value without its unit (float_ignore_uom), min and max.
func parsePerfentry(entry string) (cmkMetric, error) {
	entry = strings.TrimRight(entry, ";")
	name, rawList, ok := strings.Cut(entry, "=")
	if !ok {
		return cmkMetric{}, fmt.Errorf("no '=' in %q", entry)
	}
	raw := strings.Split(rawList, ";")
	value := 0.0
	for v := raw[0]; v != ""; v = v[:len(v)-1] {
		if f, ok := pyFloat(v); ok {
			value = f
			break
		}
	}
	m := cmkMetric{Name: name, Value: value}
	if len(raw) >= 4 {
		m.Boundaries[0] = optFloat(raw[3])
	}
	if len(raw) >= 5 {
		m.Boundaries[1] = optFloat(raw[4])
	}
	return m, nil
}

// graphingScales reads the translations of contrib's graphing plug-in:
// the check command it applies to (NagiosPlugin("check_arp") is the check
// command "check_arp") and the factor of each metric.
func graphingScales(t *testing.T) (string, map[string]float64) {
	t.Helper()
	b, err := os.ReadFile("../../contrib/checkmk/check_arp_graphing.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := regexp.MustCompile(`translations\.NagiosPlugin\("([^"]+)"\)`).FindStringSubmatch(string(b))
	if cmd == nil {
		t.Fatal("check_arp_graphing.py names no NagiosPlugin")
	}
	command := cmd[1]
	if !strings.HasPrefix(command, "check_") {
		command = "check_" + command
	}
	scales := map[string]float64{}
	for _, m := range regexp.MustCompile(`"(\w+)":\s*translations\.ScaleBy\(([0-9.e-]+)\)`).FindAllStringSubmatch(string(b), -1) {
		f, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		scales[m[1]] = f
	}
	return command, scales
}

// mrpeCommandForGraphs is the check command Checkmk's graphs use for an
// MRPE service: the core appends "[NAME]" from the check's notice to the
// performance data, and parse_perf_data takes it from there.
func mrpeCommandForGraphs(s cmkService) string {
	for _, r := range s.Results {
		if name, ok := strings.CutPrefix(r.Details, "Check command used in metric system: "); ok {
			return name
		}
	}
	return ""
}

// TestCheckmkMRPEReadsSamples runs the samples through the agent's MRPE
// runner for the first line of contrib/checkmk/mrpe.cfg, Checkmk's MRPE
// section parser and check, and contrib's graphing translation, and states
// what Checkmk shows: the service, its state and text, and every metric in
// order with its levels and boundaries. A "<label>" is the time the sample
// prints for that label (see withTimings): Checkmk must store exactly that
// value.
//
// Units: a Checkmk metric has none. _parse_nagios_perfstring keeps the
// longest prefix of the value that is a number and drops the rest without
// converting (rta stays in ms until contrib's translation scales it). The
// c of owner_changes goes the same way: "0c" is the metric owner_changes=0,
// a valid name, no "Undefined metric". What is lost is that it is a
// counter: Checkmk graphs it as a level that steps up at each change of
// owner, not as a rate.
func TestCheckmkMRPEReadsSamples(t *testing.T) {
	cfg, err := os.ReadFile("../../contrib/checkmk/mrpe.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var cfgLine string
	for _, l := range strings.Split(string(cfg), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			cfgLine = l
			break
		}
	}
	command, scales := graphingScales(t)
	// count is a count's metric: no levels, never below 0.
	count := func(nameValue string) string { return nameValue + " (levels -/-, boundaries 0..-)" }
	counts := func(sent, received, macs, unexpected, multi, changes string) []string {
		return []string{count("sent=" + sent), "received=" + received + " (levels -/-, boundaries 0..3)", count("macs=" + macs),
			count("unexpected_macs=" + unexpected), count("multi_mac_probes=" + multi), count("mac_changes=" + changes),
			count("gratuitous=0"), count("spoofed=0")}
	}
	// The levels of -w 200,40% -c 500,80%, the upper end of each range.
	roundTrips := []string{"rta=<rta> (levels 200/500, boundaries 0..-)", count("rtmin=<rtmin>"), count("rtmax=<rtmax>")}
	pl := func(v string) string { return "pl=" + v + " (levels 40/80, boundaries 0..100)" }
	memory := []string{"unicast=1 (levels -/-, boundaries 0..1)", count("owner_changes=0"), count("owner_age=<owner_age>"), count("time=<time>")}
	for _, c := range []struct {
		sample  string
		metrics []string // as Checkmk stores them, in order
	}{
		{"ok", concat(roundTrips, []string{pl("0")}, counts("3", "3", "1", "0", "0", "0"), memory)},
		{"warning-failover", concat(roundTrips, []string{pl("0")}, counts("3", "3", "2", "0", "0", "1"), memory)},
		// No round trip, no unicast request, no owner: those are absent.
		{"critical-no-reply", concat([]string{pl("100")}, counts("3", "0", "0", "0", "0", "0"), []string{count("owner_changes=0"), count("time=<time>")})},
		{"unknown-routed", nil},
	} {
		t.Run(c.sample, func(t *testing.T) {
			s := readSample(t, c.sample)
			line := mrpeAgentLine(t, cfgLine, s.output, s.exit, 1767225600)
			t.Logf("agent's <<<mrpe>>> line: %q", line)
			parsed := parseMRPE([]string{line})
			if len(parsed) != 1 {
				t.Fatalf("parse_mrpe found %d items in %q", len(parsed), line)
			}
			var item string
			for item = range parsed {
			}
			svc := checkMRPE(item, parsed[item])
			logCheckmk(t, "MRPE", svc)
			if svc.Crash != "" {
				t.Fatalf("Checkmk's check would crash: %s", svc.Crash)
			}
			if want := strings.Fields(cfgLine)[0]; svc.Name != want {
				t.Errorf("service %q, want the mrpe.cfg name %q", svc.Name, want)
			}
			summary, long, _ := s.parts()
			main := svc.Results[0]
			if main.State != s.exit || main.Summary != summary {
				t.Errorf("result %+v, want state %d and summary %q", main, s.exit, summary)
			}
			wantDetails := summary
			if long != "" {
				wantDetails += "\n" + long
			}
			if main.Details != wantDetails {
				t.Errorf("details %q, want %q", main.Details, wantDetails)
			}
			for _, r := range svc.Results {
				if strings.HasPrefix(r.Summary, "Undefined metric") {
					t.Errorf("Checkmk adds %q to the service's text", r.Summary)
				}
			}
			for _, r := range svc.Results[1:] {
				if r.State != 0 {
					t.Errorf("Checkmk adds a problem to the service: %+v", r)
				}
			}
			sameList(t, "Checkmk's metrics", metricStrings(svc), withTimings(t, s.printed(t), c.metrics))
			// The graphs: the check command of the notice selects
			// contrib's translation, which turns the round trips into
			// seconds, the unit of Checkmk's rta, rtmin and rtmax.
			if got := mrpeCommandForGraphs(svc); got != command {
				t.Errorf("the graphs use check command %q, contrib's translation applies to %q", got, command)
			}
			for _, m := range svc.Metrics {
				scale, ok := scales[m.Name]
				switch m.Name {
				case "rta", "rtmin", "rtmax":
					if !ok || scale != 0.001 {
						t.Errorf("contrib's translation scales %s by %v, want 0.001 (ms to s)", m.Name, scale)
					}
					t.Logf("graphed: %s = %s s", m.Name, strconv.FormatFloat(m.Value*scale, 'g', -1, 64))
					if m.Name == "rta" && (m.Levels[0] == nil || m.Levels[1] == nil || math.Abs(*m.Levels[0]*scale-0.2) > 1e-12 || math.Abs(*m.Levels[1]*scale-0.5) > 1e-12) {
						t.Errorf("rta's levels %v scale to %v s, want 0.2 and 0.5", m.Levels, scale)
					}
				default:
					if ok {
						t.Errorf("contrib's translation also scales %s", m.Name)
					}
				}
			}
		})
	}
}

// TestCheckmkLocalReadsSamples reads the samples' --output checkmk lines as
// the agent delivers them from contrib's local check (local/60/, so cached)
// and as Checkmk's local check parser and check read them. A "<label>" is
// the time the line prints for that label, in seconds (see withTimings).
// The line carries the boundaries, no levels (check_arp's state is not P),
// and no units: the same metrics as the Nagios output, round trips in
// seconds, owner_changes' "c" dropped as Checkmk would drop it.
func TestCheckmkLocalReadsSamples(t *testing.T) {
	count := func(nameValue string) string { return nameValue + " (levels -/-, boundaries 0..-)" }
	counts := func(sent, received, macs, unexpected, multi, changes string) []string {
		return []string{count("sent=" + sent), "received=" + received + " (levels -/-, boundaries 0..3)", count("macs=" + macs),
			count("unexpected_macs=" + unexpected), count("multi_mac_probes=" + multi), count("mac_changes=" + changes),
			count("gratuitous=0"), count("spoofed=0")}
	}
	roundTrips := []string{count("rta=<rta>"), count("rtmin=<rtmin>"), count("rtmax=<rtmax>")}
	pl := func(v string) string { return "pl=" + v + " (levels -/-, boundaries 0..100)" }
	memory := []string{"unicast=1 (levels -/-, boundaries 0..1)", count("owner_changes=0"), count("owner_age=<owner_age>"), count("time=<time>")}
	for _, c := range []struct {
		sample  string
		service string
		metrics []string // as Checkmk stores them, in order
	}{
		{"ok", "ARP 198.51.100.10", concat(roundTrips, []string{pl("0")}, counts("3", "3", "1", "0", "0", "0"), memory)},
		{"warning-failover", "ARP 198.51.100.20", concat(roundTrips, []string{pl("0")}, counts("3", "3", "2", "0", "0", "1"), memory)},
		{"critical-no-reply", "ARP 198.51.100.11", concat([]string{pl("100")}, counts("3", "0", "0", "0", "0", "0"), []string{count("owner_changes=0"), count("time=<time>")})},
		{"unknown-routed", "ARP 203.0.113.5", nil},
	} {
		t.Run(c.sample, func(t *testing.T) {
			s := readSample(t, c.sample)
			lines := strings.Split(strings.TrimRight(string(s.checkmk), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("the local check printed %d lines, want one per address: %q", len(lines), s.checkmk)
			}
			line := "cached(1767225600,60) " + lines[0]
			svc, err := checkLocal(line)
			if err != nil {
				t.Fatalf("Checkmk: invalid local check line %q: %v", line, err)
			}
			logCheckmk(t, "local check", svc)
			if svc.Name != c.service {
				t.Errorf("service %q, want %q", svc.Name, c.service)
			}
			main := svc.Results[0]
			nagiosSummary, long, _ := s.parts()
			// The Nagios summary without its "ARP STATE - " prefix: the
			// service's state and name say that.
			_, want, _ := strings.Cut(nagiosSummary, " - ")
			if main.State != s.exit || untimedText(main.Summary) != untimedText(want) {
				t.Errorf("result %+v, want state %d and summary like %q", main, s.exit, want)
			}
			if long != "" && untimedText(main.Details) != untimedText(long) {
				t.Errorf("details %q, want the long output %q", main.Details, long)
			}
			sameList(t, "Checkmk's metrics", metricStrings(svc), withTimings(t, s.printedCheckmk(t), c.metrics))
			for _, r := range svc.Results {
				if r.State != 0 && r != main {
					t.Errorf("Checkmk adds a problem to the service: %+v", r)
				}
			}
		})
	}
}

// metricStrings are a service's metrics, each as cmkMetric.String.
func metricStrings(s cmkService) []string {
	var out []string
	for _, m := range s.Metrics {
		out = append(out, m.String())
	}
	return out
}

func logCheckmk(t *testing.T, kind string, s cmkService) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "Checkmk (%s) service %q:\n", kind, s.Name)
	for _, r := range s.Results {
		fmt.Fprintf(&b, "  result state %d summary %q details %q\n", r.State, r.Summary, r.Details)
	}
	for _, m := range s.Metrics {
		fmt.Fprintf(&b, "  metric %s\n", m)
	}
	t.Log(b.String())
}

// TestCheckmkTranscription pins the transcription to examples from the
// upstream files' doctests and to the behaviour the project had to fix:
// "U" values are "Undefined metric" results.
func TestCheckmkTranscription(t *testing.T) {
	svc := checkMRPE("x", parseMRPE([]string{"(check_icmp) x 2 CRITICAL - lost | rta=U;;;0; pl=100%;;;0;100"})["x"])
	if len(svc.Results) != 3 || svc.Results[1].Summary != "Undefined metric: Nagios style undefined value" || len(svc.Metrics) != 1 || svc.Metrics[0].String() != "pl=100 (levels -/-, boundaries 0..100)" {
		t.Errorf("check_mrpe of a U value: %+v", svc)
	}
	for line, want := range map[string]string{
		`0 "Service Name" temp=37.2;30|humidity=28;50:100 Some text`: "Service Name",
		"0 'Service Name' - Some text":                               "Service Name",
	} {
		s, err := checkLocal(line)
		if err != nil || s.Name != want {
			t.Errorf("checkLocal(%q) = %+v, %v; want service %q", line, s, err, want)
		}
	}
	if m, err := parsePerfentry("a=5;3:7;2:8;1;9"); err != nil || m.String() != "a=5 (levels -/-, boundaries 1..9)" {
		t.Errorf("parsePerfentry: %v, %v", m, err)
	}
	// Units are dropped, not converted, a counter's c too; the name
	// passes Metric's check.
	for perf, want := range map[string]string{
		"owner_changes=12c;;;0": "owner_changes=12 (levels -/-, boundaries 0..-)",
		"rta=0.162ms;200;500;0": "rta=0.162 (levels 200/500, boundaries 0..-)",
		"pl=40%;~:40;80;0;100":  "pl=40 (levels 40/80, boundaries 0..100)",
		"owner_age=3600s;;;0":   "owner_age=3600 (levels -/-, boundaries 0..-)",
	} {
		m, err := parseNagiosPerfstring(perf)
		if err != nil || m.String() != want || validMetricName(m.Name) != nil {
			t.Errorf("parseNagiosPerfstring(%q) = %v, %v; want %s", perf, m, err, want)
		}
	}
	if m, err := parsePerfentry("owner_changes=12c;;;0"); err != nil || m.String() != "owner_changes=12 (levels -/-, boundaries 0..-)" {
		t.Errorf("parsePerfentry of a counter: %v, %v", m, err)
	}
	if err := validMetricName("a b"); err == nil {
		t.Error("Checkmk rejects a metric name with a space")
	}
}
