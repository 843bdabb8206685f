package parsers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sensuPoint is one metric point of Sensu's nagios_perfdata extractor.
type sensuPoint struct {
	Name  string
	Value float64
}

// sensuNonNumeric is the extractor's pattern of what it strips from a value.
var sensuNonNumeric = regexp.MustCompile(`[^-\d\.]`)

// sensuExtract restates, step by step, ParseNagios of Sensu Go's agent:
// agent/transformers/nagios.go in github.com/sensu/sensu-go (file version
// of commit 067ac45c1c866972395c8b098e0862b91be37fe7; the agent of 6.x
// runs it on a check's output when output_metric_format is
// nagios_perfdata). The package cannot be imported: the sensu-go main
// module (v6.12.0 and its agent packages) is refused by the Go module
// proxy. This is a transcription of its behaviour, not Sensu's code; what
// Sensu logs at error level is returned as errs, with the message ParseNagios
// logs.
func sensuExtract(output string) (points []sensuPoint, errs []string) {
	// The output must hold exactly one '|'.
	parts := strings.Split(output, "|")
	if len(parts) != 2 {
		return nil, []string{"nagios perfdata format requires at least one performance data metric"}
	}
	// Everything after it, trimmed, split at single spaces.
	for _, metric := range strings.Split(strings.TrimSpace(parts[1]), " ") {
		if metric = strings.TrimSpace(metric); metric == "" {
			continue
		}
		// Label and value: the text before the first ';', split at '='.
		kv := strings.Split(strings.Split(metric, ";")[0], "=")
		if len(kv) != 2 {
			errs = append(errs, fmt.Sprintf("invalid nagios perfdata metric: %q", metric))
			continue
		}
		label := strings.ReplaceAll(kv[0], " ", "_")
		value, err := strconv.ParseFloat(sensuNonNumeric.ReplaceAllString(kv[1], ""), 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("invalid nagios perfdata metric value: %q", kv[1]))
			continue
		}
		points = append(points, sensuPoint{label, value})
	}
	return points, errs
}

// TestSensuExtractorTranscription pins the transcription to the cases of
// the upstream file's own test (TestParseNagios in
// agent/transformers/nagios_test.go, commit 0660638e01dd), plus the quoted
// label that made Sensu's metric names carry quotes and the units the
// extractor strips (a counter's c among them), so that it says what Sensu
// does rather than what this project would like.
func TestSensuExtractorTranscription(t *testing.T) {
	for _, c := range []struct {
		output string
		want   []sensuPoint
		errs   int
	}{
		{"PING ok - Packet loss = 0%, RTA = 0.80 ms", nil, 1},
		{"PING ok - Packet loss = 0% | percent_packet_loss=0", []sensuPoint{{"percent_packet_loss", 0}}, 0},
		{"PING ok - Packet loss = 0% | percent_packet_loss=0\n", []sensuPoint{{"percent_packet_loss", 0}}, 0},
		{"PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss=0, rta=0.80", []sensuPoint{{"percent_packet_loss", 0}, {"rta", 0.8}}, 0},
		{"PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss=0, foo", []sensuPoint{{"percent_packet_loss", 0}}, 1},
		{"PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss", nil, 1},
		{"PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss=a", nil, 1},
		{"CRITICAL - load average: 0.01, 0.04, 0.05|load1=0.010;0.010;0.010;0; load5=0.040;0.010;0.010;0; load15=0.050;0.010;0.010;0; \n",
			[]sensuPoint{{"load1", 0.01}, {"load5", 0.04}, {"load15", 0.05}}, 0},
		{"OK | 'rta'=0.1ms;;;0", []sensuPoint{{"'rta'", 0.1}}, 0},
		{"OK | pl=5%;40;80;0;100 owner_changes=12c;;;0 time=0.2s", []sensuPoint{{"pl", 5}, {"owner_changes", 12}, {"time", 0.2}}, 0},
	} {
		got, errs := sensuExtract(c.output)
		if fmt.Sprint(got) != fmt.Sprint(c.want) || len(errs) != c.errs {
			t.Errorf("sensuExtract(%q) = %v, errors %q; want %v and %d errors", c.output, got, errs, c.want, c.errs)
		}
	}
}

// TestSensuExtractsSamples feeds the output samples to the extractor as
// Sensu's agent does (the whole output of the check) and states the
// metric points it makes, in order. It takes everything after the output's
// first '|' as performance data, so the performance data must end the
// text: then it reads every metric and logs no error, with long output too
// (WARNING and CRITICAL have some). An UNKNOWN without performance data is
// the one complaint left. A "<label>" is the time the sample prints for
// that label (see withTimings): Sensu must store exactly that value.
//
// Units: a point is a name and a number; the extractor strips every
// character that is not a digit, '.' or '-', so rta's ms, pl's %, time's s
// and owner_changes' c are gone. For c that loses that the value is a
// counter (a handler must know owner_changes is one to graph its rate); the
// others lose only their unit, which the label's documentation gives.
func TestSensuExtractsSamples(t *testing.T) {
	counts := func(sent, received, macs, unexpected, multi, changes string) []string {
		return []string{"sent=" + sent, "received=" + received, "macs=" + macs, "unexpected_macs=" + unexpected,
			"multi_mac_probes=" + multi, "mac_changes=" + changes, "gratuitous=0", "spoofed=0"}
	}
	memory := []string{"unicast=1", "owner_changes=0", "owner_age=<owner_age>", "time=<time>"}
	cases := []struct {
		sample    string
		want      []string // name=value, in order
		noMetrics bool
	}{
		{"ok", concat([]string{"rta=<rta>", "rtmin=<rtmin>", "rtmax=<rtmax>", "pl=0"}, counts("3", "3", "1", "0", "0", "0"), memory), false},
		{"warning-failover", concat([]string{"rta=<rta>", "rtmin=<rtmin>", "rtmax=<rtmax>", "pl=0"}, counts("3", "3", "2", "0", "0", "1"), memory), false},
		// No round trip, no unicast request, no owner: those are absent.
		{"critical-no-reply", concat([]string{"pl=100"}, counts("3", "0", "0", "0", "0", "0"), []string{"owner_changes=0", "time=<time>"}), false},
		{"unknown-routed", nil, true},
	}
	for _, c := range cases {
		t.Run(c.sample, func(t *testing.T) {
			s := readSample(t, c.sample)
			if _, long, _ := s.parts(); long == "" && c.sample != "ok" && c.sample != "unknown-routed" {
				t.Errorf("%s has no long output: the sample no longer shows Sensu reading past it", c.sample)
			}
			points, errs := sensuExtract(string(s.output))
			var got []string
			for _, p := range points {
				got = append(got, fmt.Sprintf("%s=%v", p.Name, p.Value))
			}
			t.Logf("Sensu's nagios_perfdata extractor made %d points from %s: %s", len(got), c.sample, strings.Join(got, " "))
			for _, e := range errs {
				t.Logf("Sensu's agent logs: %s", e)
			}
			sameList(t, "Sensu's points", got, withTimings(t, s.printed(t), c.want))
			if c.noMetrics {
				// A plugin may print no performance data; Sensu's agent
				// still logs it as an error.
				if len(errs) != 1 || !strings.Contains(errs[0], "requires at least one performance data metric") {
					t.Errorf("errors %q, want Sensu's one complaint about missing performance data", errs)
				}
			} else if len(errs) != 0 {
				t.Errorf("Sensu's agent logs %d errors, want none: %q", len(errs), errs)
			}
		})
	}
}
