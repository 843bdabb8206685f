package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/verdict"
)

// localCheck is Checkmk's local check line syntax, as
// cmk/plugins/collection/agent_based/local.py splits it: state, optionally
// quoted service name, metrics ("-" for none), text.
var localCheck = regexp.MustCompile(`^([^ ]+) (("([^"']+)")|('([^"']+)')|([^ "']+)) ([^ ]+)( +(.*))?$`)

type cmkService struct {
	state, item string
	metrics     map[string][]string // name: value, warn, crit, min, max
	lines       []string            // the text, split where Checkmk splits it
}

// parseCheckmk reads local check output as Checkmk does.
func parseCheckmk(t *testing.T, out string) cmkService {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("not one line: %q", out)
	}
	m := localCheck.FindStringSubmatch(strings.TrimSuffix(out, "\n"))
	if m == nil {
		t.Fatalf("Checkmk would not read %q", out)
	}
	s := cmkService{state: m[1], item: m[4] + m[6] + m[7], metrics: map[string][]string{}}
	if m[8] != "-" {
		for _, e := range strings.Split(m[8], "|") {
			name, raw, ok := strings.Cut(e, "=")
			if !ok {
				t.Fatalf("metric %q has no '='", e)
			}
			f := strings.Split(raw, ";")
			if _, err := strconv.ParseFloat(f[0], 64); err != nil {
				t.Errorf("metric %s: value %q is no number", name, f[0])
			}
			s.metrics[name] = f
		}
	}
	s.lines = strings.Split(strings.ReplaceAll(m[10], `\n`, "\n"), "\n")
	return s
}

func TestCheckmk(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		s := parseCheckmk(t, Checkmk(verdict.Decide(observe(3, healthy3(macA)...), policy("200,40%", "500,80%", nodeA)), 0))
		if s.state != "0" || s.item != "ARP 198.51.100.10" {
			t.Errorf("state %q, service %q", s.state, s.item)
		}
		// Checkmk's rta is in seconds: 0.4 ms is 0.0004.
		for name, want := range map[string]string{"rta": "0.0004", "rtmin": "0.0003", "rtmax": "0.0005", "pl": "0", "macs": "1", "received": "3", "time": "1"} {
			if got := s.metrics[name]; len(got) == 0 || got[0] != want {
				t.Errorf("metric %s = %v, want %s", name, got, want)
			}
		}
		if want := []string{"198.51.100.10 is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms"}; !equal(s.lines, want) {
			t.Errorf("text %q, want %q", s.lines, want)
		}
	})
	t.Run("warning with long output", func(t *testing.T) {
		s := parseCheckmk(t, Checkmk(verdict.Decide(observe(2, rep(0, macA, us(400))), policy("", "", nodeA)), 1))
		want := []string{
			"198.51.100.10 lost 1 of 2 probes (50%); is at " + sA + " (node-a) on eth0: 1/2 replies, rta 0.4ms",
			sA + " (node-a) answered probe 1 with 1 reply, rtt 0.4ms",
			"allowed: " + sA + " (node-a)",
			"probe 1 at +0ms: " + sA + " (node-a) in 0.4ms",
			"probe 2 at +100ms: no reply",
		}
		if s.state != "1" || !equal(s.lines, want) {
			t.Errorf("state %s, text\n%q\nwant\n%q", s.state, s.lines, want)
		}
	})
	t.Run("silent IPv6", func(t *testing.T) {
		s := parseCheckmk(t, Checkmk(verdict.Decide(asNDP(observe(3)), verdict.Policy{}), 0))
		if s.state != "2" || s.item != "NDP 2001:db8::10" {
			t.Errorf("state %q, service %q", s.state, s.item)
		}
		if _, ok := s.metrics["rta"]; ok || s.metrics["pl"][0] != "100" {
			t.Errorf("metrics %v: want no round trips and 100%% loss", s.metrics)
		}
	})
	t.Run("UNKNOWN", func(t *testing.T) {
		s := parseCheckmk(t, string(RenderFailure(FormatCheckmk, Failure{Protocol: "ARP", Target: testTarget, Interface: "eth9", Err: errors.New("interface eth9 does not exist")}).Body))
		if s.state != "3" || s.item != "ARP 198.51.100.10" || s.lines[0] != "interface eth9 does not exist" || len(s.metrics) != 0 {
			t.Errorf("%+v", s)
		}
		s = parseCheckmk(t, string(RenderFailure(FormatCheckmk, Failure{Err: errors.New("no target")}).Body))
		if s.state != "3" || s.item != "check_arp" {
			t.Errorf("%+v", s)
		}
	})
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// jsonOut is what a consumer of the JSON reads.
type jsonOut struct {
	Schema    int    `json:"schema"`
	State     string `json:"state"`
	ExitCode  int    `json:"exit_code"`
	Error     string `json:"error"`
	Addresses []struct {
		Address, Family, Protocol, Interface, State, Summary, Error string
		Findings                                                    []struct{ State, Rule, Text string }
		Owner                                                       *struct {
			MAC, Label string
			Allowed    bool
		}
		MACs []struct {
			MAC, Label string
			Replies    int
			Probes     []int
		} `json:"macs"`
		RTT      *struct{ Avg, Min, Max float64 } `json:"rtt_seconds"`
		Requests struct {
			Sent, Answered int
			LossPercent    float64 `json:"loss_percent"`
		}
		Timeline []struct {
			At      float64 `json:"at_seconds"`
			Answers []struct {
				MAC string
				RTT float64 `json:"rtt_seconds"`
			}
		}
	}
}

func decodeJSON(t *testing.T, b []byte) jsonOut {
	t.Helper()
	var out jsonOut
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return out
}

func TestJSON(t *testing.T) {
	healthy := verdict.Decide(observe(3, healthy3(macA)...), policy("", "", nodeA))
	split := verdict.Decide(observe(2, rep(0, macA, us(400)), rep(0, macB, us(500)), rep(1, macA, us(400)), rep(1, macB, us(600))), policy("", "", nodeA, nodeB))
	b, err := JSON([]verdict.Result{healthy}, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := decodeJSON(t, b)
	a := out.Addresses
	if out.Schema != 1 || out.State != "OK" || out.ExitCode != 0 || len(a) != 1 {
		t.Fatalf("%+v", out)
	}
	if a[0].Address != "198.51.100.10" || a[0].Family != "ipv4" || a[0].State != "OK" || a[0].Owner == nil ||
		a[0].Owner.MAC != sA || a[0].Owner.Label != "node-a" || a[0].RTT == nil || a[0].RTT.Avg != 0.0004 ||
		a[0].Requests.Sent != 3 || a[0].Requests.Answered != 3 || len(a[0].MACs) != 1 || a[0].MACs[0].Probes[2] != 3 {
		t.Errorf("address %+v", a[0])
	}
	if a[0].Timeline != nil {
		t.Errorf("a timeline without -v")
	}

	b, _ = JSON([]verdict.Result{healthy, split}, 1)
	out = decodeJSON(t, b)
	if out.State != "CRITICAL" || out.ExitCode != 2 || len(out.Addresses) != 2 {
		t.Fatalf("worst state %s/%d of %d addresses", out.State, out.ExitCode, len(out.Addresses))
	}
	s := out.Addresses[1]
	if s.Owner != nil || len(s.MACs) != 2 || s.Findings[0].State != "CRITICAL" || s.Findings[0].Rule == "" {
		t.Errorf("split brain %+v", s)
	}
	if len(s.Timeline) != 2 || len(s.Timeline[0].Answers) != 2 || s.Timeline[1].At != 0.1 || s.Timeline[1].Answers[1].RTT != 0.0006 {
		t.Errorf("timeline %+v", s.Timeline)
	}

	silent := decodeJSON(t, must(JSON([]verdict.Result{verdict.Decide(observe(3), verdict.Policy{})}, 0)))
	if s := silent.Addresses[0]; s.RTT != nil || s.Owner != nil || s.Requests.LossPercent != 100 || silent.ExitCode != 2 {
		t.Errorf("silent %+v", s)
	}

	fail := decodeJSON(t, RenderFailure(FormatJSON, Failure{Err: errors.New("-p 0 is out of range")}).Body)
	if fail.State != "UNKNOWN" || fail.ExitCode != 3 || fail.Error != "-p 0 is out of range" || len(fail.Addresses) != 0 {
		t.Errorf("usage error %+v", fail)
	}
	fail = decodeJSON(t, RenderFailure(FormatJSON, Failure{Protocol: "NDP", Target: testTarget6, Err: errors.New("IPv6 is disabled")}).Body)
	if fail.ExitCode != 3 || len(fail.Addresses) != 1 || fail.Addresses[0].State != "UNKNOWN" || fail.Addresses[0].Error != "IPv6 is disabled" || fail.Addresses[0].Family != "ipv6" {
		t.Errorf("failure %+v", fail)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// sampleLine is one series of the text format.
var sampleLine = regexp.MustCompile(`^([a-z_]+)\{([^}]*)\} (\S+)$`)

// series reads the text format into "name{labels}" -> value.
func series(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a sample: %q", l)
		}
		out[m[1]+"{"+m[2]+"}"] = m[3]
	}
	return out
}

func TestOpenMetrics(t *testing.T) {
	split := verdict.Decide(announce(observe(2, rep(0, macA, us(400)), rep(0, macB, us(500)), rep(1, macA, us(400))), macB, time.Millisecond), policy("", "", nodeA, nodeB))
	text := OpenMetrics([]verdict.Result{
		verdict.Decide(observe(3, healthy3(macA)...), policy("", "", entry{macA, "node-a.rack:1"})),
		verdict.Decide(asNDP(observe(3)), verdict.Policy{}),
	})
	promtool(t, text)
	got := series(t, text)
	v4 := `address="198.51.100.10",interface="eth0",family="ipv4"`
	v6 := `address="2001:db8::10",interface="eth0",family="ipv6"`
	for k, want := range map[string]string{
		"check_arp_state{" + v4 + "}": "0",
		"check_arp_state{" + v6 + "}": "2",
		"check_arp_info{" + v4 + `,owner_mac="` + sA + `",owner_label="node-a.rack:1"}`: "1",
		"check_arp_info{" + v6 + `,owner_mac="",owner_label=""}`:                        "1",
		"check_arp_macs{" + v4 + "}":                                                    "1",
		"check_arp_rtt_seconds{" + v4 + `,stat="avg"}`:                                  "0.0004",
		"check_arp_rtt_seconds{" + v4 + `,stat="max"}`:                                  "0.0005",
		"check_arp_loss_ratio{" + v6 + "}":                                              "1",
		"check_arp_requests_sent{" + v6 + "}":                                           "3",
		"check_arp_duration_seconds{" + v4 + "}":                                        "1",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %s", k, got[k], want)
		}
	}
	if _, ok := got["check_arp_rtt_seconds{"+v6+`,stat="avg"}`]; ok {
		t.Errorf("a round trip for the silent address")
	}
	// Each family is declared once, before its series.
	if n := strings.Count(text, "# TYPE check_arp_state gauge\n"); n != 1 {
		t.Errorf("check_arp_state declared %d times", n)
	}

	text = OpenMetrics([]verdict.Result{split})
	promtool(t, text)
	got = series(t, text)
	if got[`check_arp_macs{address="198.51.100.10",interface="eth0",family="ipv4"}`] != "2" ||
		got[`check_arp_multi_mac_requests{address="198.51.100.10",interface="eth0",family="ipv4"}`] != "1" ||
		got[`check_arp_announcements{address="198.51.100.10",interface="eth0",family="ipv4"}`] != "1" {
		t.Errorf("split brain series:\n%s", text)
	}

	fail := string(RenderFailure(FormatOpenMetrics, Failure{Protocol: "ARP", Target: testTarget, Interface: "eth9", Err: errors.New("no such interface")}).Body)
	promtool(t, fail)
	if got := series(t, fail); len(got) != 1 || got[`check_arp_state{address="198.51.100.10",interface="eth9",family="ipv4"}`] != "3" {
		t.Errorf("failure series %v", got)
	}
	if d := RenderFailure(FormatOpenMetrics, Failure{Err: errors.New("no target")}); d.Complete || len(series(t, string(d.Body))) != 0 {
		t.Errorf("a usage error claims metrics: %+v", d)
	}
}

// promtool runs Prometheus' own linter (Debian package prometheus) on a
// text: what node_exporter's textfile collector reads, promtool accepts.
// Without it the test says so on stderr and goes on; under CI=true it
// fails.
func promtool(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is missing (apt-get install prometheus)")
		}
		fmt.Fprintln(os.Stderr, "NOTICE: promtool is missing (apt-get install prometheus): the OpenMetrics output is not checked by Prometheus' linter")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s\non:\n%s", err, out, text)
	}
}
