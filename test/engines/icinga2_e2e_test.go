//go:build e2e

package engines

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// agentNode is the agent endpoint of contrib/icinga2/example-metallb.conf.
// The private instance takes its name, so it is both the config master
// and the agent in the VIPs' segment the example's command_endpoint names:
// Icinga runs a check locally when its command endpoint is itself.
const agentNode = "agent-seg1.example.com"

// TestIcinga2 loads contrib/icinga2 unchanged into a private Icinga 2 in the
// lab's client namespace (API on its loopback only), runs the example's
// checks of a healthy and a conflicting VIP, and reads the states and
// performance data Icinga recorded from its REST API.
func TestIcinga2(t *testing.T) {
	require(t, "icinga2", "ip")
	t.Parallel()
	seg := newSegment(t)
	dir := privateDir(t, "icinga2")
	password := randomHex(t)
	// The check's memory between runs, private to this test: the move
	// below must not reach the other engines' checks of the same address.
	stateDir := privateDir(t, "state")

	certs := newCerts(t, agentNode)
	main := fmt.Sprintf(`// Private test instance: the Debian defaults are not read.
const NodeName = %q
const ZoneName = "master"
const PluginDir = %q
include <itl>

object IcingaApplication "app" {
	// Unprefixed macros fall back to the application's variables.
	vars.arp_state_dir = %q
}
object CheckerComponent "checker" { }
object FileLogger "main-log" {
	path = %q
	severity = "information"
}
object Endpoint NodeName { }
object Zone "master" { endpoints = [ NodeName ] }
object Zone "global-templates" { global = true }
object ApiListener "api" {
	bind_host = "127.0.0.1"
	bind_port = 5665
	accept_config = false
	accept_commands = false
}
object ApiUser "e2e" {
	password = %q
	permissions = [ "*" ]
}
`, agentNode, pluginDir, stateDir, filepath.Join(dir, "log", "icinga2.log"), password)
	writeFiles(t, dir, map[string]string{
		"etc/icinga2.conf": main,
		// Where contrib/README.md says they go, byte for byte.
		"zones.d/global-templates/check_arp.conf": contrib(t, "icinga2/check_arp.conf"),
		"zones.d/master/example-metallb.conf":     contrib(t, "icinga2/example-metallb.conf"),
		"zones.d/master/scenarios.conf":           icingaScenarios,
		"data/certs/" + agentNode + ".crt":        certs.nodeCert,
		"data/certs/" + agentNode + ".key":        certs.nodeKey,
		"data/certs/ca.crt":                       certs.caCert,
		"log/.keep":                               "",
		"cache/.keep":                             "",
		"spool/.keep":                             "",
		"run/.keep":                               "",
	})
	// Every path the daemon writes is below dir, and it runs as nagios.
	defines := []string{"-c", filepath.Join(dir, "etc/icinga2.conf")}
	for k, v := range map[string]string{
		"ConfigDir": filepath.Join(dir, "etc"), "ZonesDir": filepath.Join(dir, "zones.d"),
		"DataDir": filepath.Join(dir, "data"), "LogDir": filepath.Join(dir, "log"),
		"CacheDir": filepath.Join(dir, "cache"), "SpoolDir": filepath.Join(dir, "spool"),
		"InitRunDir": filepath.Join(dir, "run"), "PidPath": filepath.Join(dir, "run/icinga2.pid"),
		"RunAsUser": "nagios", "RunAsGroup": "nagios",
	} {
		defines = append(defines, "-DConfiguration."+k+"="+v)
	}
	slices.Sort(defines[2:])

	out := mustRun(t, append([]string{"icinga2", "daemon", "-C"}, defines...)...)
	for _, l := range lines(out) {
		if strings.Contains(l, "warning/") || strings.Contains(l, "critical/") {
			t.Errorf("icinga2 daemon -C: %s", l)
		}
	}
	// The example's 2 hosts and 4 services, and the 3 of scenarios.conf.
	for _, want := range []string{"Instantiated 5 Hosts.", "Instantiated 7 Services.", "Finished validating the configuration file(s)."} {
		if !strings.Contains(out, want) {
			t.Errorf("icinga2 daemon -C does not say %q:\n%s", want, out)
		}
	}

	d := startDaemon(t, seg, "icinga2", append([]string{"icinga2", "daemon"}, defines...)...)
	api := newIcingaAPI(t, seg.Client, certs.pool, password)
	waitFor(t, d, 60*time.Second, "Icinga 2 API", func() error {
		_, err := api.do("GET", "/v1/status/IcingaApplication", nil)
		return err
	})
	// Check now rather than at the example's randomised first minute (the
	// scenarios' services run only when asked).
	if _, err := api.do("POST", "/v1/actions/reschedule-check", map[string]any{
		"type": "Service", "filter": `service.check_command == "arp"`, "force": true,
	}); err != nil {
		t.Fatal(err)
	}

	type checkResult struct {
		State           float64  `json:"state"`
		ExitStatus      float64  `json:"exit_status"`
		Output          string   `json:"output"`
		PerformanceData []string `json:"performance_data"`
		CheckSource     string   `json:"check_source"`
		Command         []string `json:"command"`
	}
	type service struct {
		Name  string `json:"name"`
		Attrs struct {
			State           float64      `json:"state"`
			LastCheckResult *checkResult `json:"last_check_result"`
		} `json:"attrs"`
	}
	results := map[string]service{}
	waitFor(t, d, 60*time.Second, "check results of both VIPs' addresses", func() error {
		body, err := api.do("GET", "/v1/objects/services?attrs=state&attrs=last_check_result", nil)
		if err != nil {
			return err
		}
		var resp struct{ Results []service }
		if err := json.Unmarshal(body, &resp); err != nil {
			return err
		}
		for _, s := range resp.Results {
			if s.Attrs.LastCheckResult == nil {
				return fmt.Errorf("%s has no check result yet", s.Name)
			}
			results[s.Name] = s
		}
		if len(results) != len(targets)+len(scenarioTargets) {
			return fmt.Errorf("services %v, want arp and arp-ipv6 of vip-ingress and vip-api, and arp of the scenarios", resp.Results)
		}
		return nil
	})

	allow := []string{"-e", "02:00:00:00:00:0a=node-a", "-e", "02:00:00:00:00:0b=node-b", "-e", "02:00:00:00:00:0c=node-c"}
	for _, tt := range slices.Concat(targets, scenarioTargets) {
		service := tt.host + "!arp"
		if tt.ipv6 {
			service += "-ipv6"
		}
		s, ok := results[service]
		if !ok {
			t.Errorf("Icinga has no service %s", service)
			continue
		}
		state := float64(tt.state)
		cr := s.Attrs.LastCheckResult
		t.Logf("Icinga 2 recorded %s: state %v, output %q, performance_data %q", service, s.Attrs.State, cr.Output, cr.PerformanceData)
		if s.Attrs.State != state || cr.State != state || cr.ExitStatus != state {
			t.Errorf("%s: state %v (check result state %v, exit status %v), want %v; output %q", service, s.Attrs.State, cr.State, cr.ExitStatus, state, cr.Output)
		}
		// Icinga keeps each line's text up to a '|' that performance
		// data follow (PluginUtility::ParseCheckOutput): the summary, and
		// the long output with its last line cut before the '|'. Nothing
		// may be left of the layout: no space that stood before the '|'
		// (checkText), no '|'.
		summary, long, _ := strings.Cut(cr.Output, "\n")
		if strings.Contains(cr.Output, "|") {
			t.Errorf("%s: output %q: Icinga kept a '|'", service, cr.Output)
		}
		checkText(t, "Icinga 2 ("+service+")", tt, summary, long)
		if cr.CheckSource != agentNode {
			t.Errorf("%s ran on %q, want the command endpoint %s", service, cr.CheckSource, agentNode)
		}
		// Every argument of the CheckCommand, the allowlist array repeated with -e.
		// Icinga orders them by key: "--state-dir" before "-H".
		wantCmd := slices.Concat([]string{filepath.Join(pluginDir, "check_arp"), "--state-dir", stateDir, "-H", tt.address, "-c", "500,80%"}, allow, []string{"-w", "200,40%"})
		if !slices.Equal(cr.Command, wantCmd) {
			t.Errorf("%s: Icinga ran %q, want %q", service, cr.Command, wantCmd)
		}
		checkPerfdata(t, "Icinga 2 ("+service+")", strings.Join(cr.PerformanceData, " "), tt.counts)

		// The values and units as Icinga reads them (what its metric
		// writers send): parse_performance_data on the stored result.
		host, svc, _ := strings.Cut(service, "!")
		body, err := api.do("POST", "/v1/console/execute-script", map[string]any{
			"command": fmt.Sprintf(`get_service(%q, %q).last_check_result.performance_data.map(p => parse_performance_data(p))`, host, svc),
		})
		if err != nil {
			t.Fatal(err)
		}
		var parsed struct {
			Results []struct {
				Code   float64
				Result []icingaPerf
			}
		}
		if err := json.Unmarshal(body, &parsed); err != nil || len(parsed.Results) != 1 || parsed.Results[0].Code != 200 {
			t.Fatalf("console: %v: %s", err, body)
		}
		byLabel := map[string]icingaPerf{}
		for _, p := range parsed.Results[0].Result {
			byLabel[p.Label] = p
		}
		t.Logf("Icinga 2 parsed %s: %s", service, icingaPerfString(parsed.Results[0].Result))
		checkIcingaPerf(t, service, byLabel, tt.counts)
	}

	icingaMoveBetweenChecks(t, api, seg, d)
}

// icingaScenarios are test-only services of the states the example's VIPs
// never reach (scenarioTargets), with contrib's CheckCommand and the
// example's allowlist and thresholds. Their active checks are off: they
// run once, when the test asks, so the lab's scripted failover sees one
// check at a time.
const icingaScenarios = `template Service "scenario" {
	check_command = "arp"
	command_endpoint = "agent-seg1.example.com"
	enable_active_checks = false
	vars.arp_expect = [ "02:00:00:00:00:0a=node-a", "02:00:00:00:00:0b=node-b", "02:00:00:00:00:0c=node-c" ]
	vars.arp_warning = "200,40%"
	vars.arp_critical = "500,80%"
}
object Host "vip-failover" { check_command = "dummy"; address = "198.51.100.20" }
object Host "vip-silent" { check_command = "dummy"; address = "198.51.100.11" }
object Host "vip-routed" { check_command = "dummy"; address = "203.0.113.5" }
object Service "arp" { import "scenario"; host_name = "vip-failover" }
object Service "arp" { import "scenario"; host_name = "vip-silent" }
object Service "arp" { import "scenario"; host_name = "vip-routed" }
`

// icingaPerf is a PerfdataValue as Icinga's parse_performance_data returns it.
type icingaPerf struct {
	Label   string   `json:"label"`
	Value   float64  `json:"value"`
	Unit    string   `json:"unit"`
	Warn    *float64 `json:"warn"`
	Crit    *float64 `json:"crit"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Counter bool     `json:"counter"`
}

func icingaPerfString(ps []icingaPerf) string {
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%s=%v %s (warn %s crit %s min %s max %s)", p.Label, p.Value, p.Unit, f(p.Warn), f(p.Crit), f(p.Min), f(p.Max)))
	}
	return strings.Join(parts, "; ")
}

func checkIcingaPerf(t *testing.T, service string, got map[string]icingaPerf, counts map[string]string) {
	t.Helper()
	eq := func(p *float64, v float64) bool { return p != nil && *p == v }
	if counts == nil {
		if len(got) != 0 {
			t.Errorf("%s: Icinga parsed %d values, want none", service, len(got))
		}
		return
	}
	want := len(expectedLabels(counts))
	timed := []string{"rtmin", "rtmax", "time"}
	if counts["received"] == "0" {
		timed = []string{"time"}
	} else {
		// Icinga normalises milliseconds to seconds and % to percent.
		rta := got["rta"]
		if rta.Unit != "seconds" || rta.Value <= 0 || rta.Value > 0.5 || !eq(rta.Warn, 0.2) || !eq(rta.Crit, 0.5) || !eq(rta.Min, 0) {
			t.Errorf("%s: Icinga read rta as %+v, want seconds, warn 0.2, crit 0.5, min 0", service, rta)
		}
	}
	if len(got) != want {
		t.Errorf("%s: Icinga parsed %d values, want %d", service, len(got), want)
	}
	for _, l := range timed {
		if p := got[l]; p.Unit != "seconds" || p.Value <= 0 || p.Value > 1 {
			t.Errorf("%s: Icinga read %s as %+v, want seconds", service, l, p)
		}
	}
	pl := got["pl"]
	if pl.Unit != "percent" || fmt.Sprint(pl.Value) != counts["pl"] || !eq(pl.Warn, 40) || !eq(pl.Crit, 80) || !eq(pl.Min, 0) || !eq(pl.Max, 100) {
		t.Errorf("%s: Icinga read pl as %+v, want %s percent, warn 40, crit 80, range 0..100", service, pl, counts["pl"])
	}
	for l, v := range counts {
		if l == "pl" {
			continue
		}
		if p := got[l]; p.Unit != "" || fmt.Sprint(p.Value) != v {
			t.Errorf("%s: Icinga read %s as %+v, want %s without unit", service, l, p, v)
		}
	}
}

// icingaAPI is a client of one Icinga 2 REST API, reached inside a
// network namespace.
type icingaAPI struct {
	client         *http.Client
	addr           string // host:port
	user, password string
}

// newIcingaAPI reaches the single-node instance on the namespace's loopback.
func newIcingaAPI(t *testing.T, ns string, pool *x509.CertPool, password string) *icingaAPI {
	t.Helper()
	return newIcingaAPIAt(t, ns, "127.0.0.1:5665", agentNode, pool, "e2e", password)
}

// newIcingaAPIAt reaches the API at addr inside ns, verifying that its
// certificate is node's, issued by a CA in pool.
func newIcingaAPIAt(t *testing.T, ns, addr, node string, pool *x509.CertPool, user, password string) *icingaAPI {
	t.Helper()
	tr := &http.Transport{
		DialContext:     dialIn(ns),
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: node},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &icingaAPI{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, addr: addr, user: user, password: password}
}

// do calls the API and returns the body of a 200 response.
func (a *icingaAPI) do(method, path string, body any) ([]byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "https://"+a.addr+path, r)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(a.user, a.password)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	return b, nil
}

type testCerts struct {
	caCert, nodeCert, nodeKey string
	pool                      *x509.CertPool
}

// newCerts makes a throwaway CA and the node's certificate, as
// `icinga2 pki` would, without touching the system's /var/lib/icinga2.
func newCerts(t *testing.T, node string) testCerts {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "check_arp e2e CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	nodeKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	nodeTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: node}, DNSNames: []string{node},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	nodeDER, err := x509.CreateCertificate(rand.Reader, nodeTmpl, ca, &nodeKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	return testCerts{
		caCert:   pemOf("CERTIFICATE", caDER),
		nodeCert: pemOf("CERTIFICATE", nodeDER),
		nodeKey:  pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(nodeKey)),
		pool:     pool,
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// icingaMoveBetweenChecks moves vip-ingress's IPv4 address from node-a to
// node-b between two scheduled checks and reads the next check result
// back from the API: the move is a WARNING that says since when.
func icingaMoveBetweenChecks(t *testing.T, api *icingaAPI, seg *lab.Segment, d *daemon) {
	t.Helper()
	const filter = `host.name == "vip-ingress" && service.name == "arp"`
	type result struct {
		State, ExecutionEnd float64
		Output              string
		PerformanceData     []string
	}
	last := func() (result, error) {
		body, err := api.do("GET", "/v1/objects/services/vip-ingress!arp?attrs=last_check_result", nil)
		if err != nil {
			return result{}, err
		}
		var resp struct {
			Results []struct {
				Attrs struct {
					LastCheckResult *struct {
						State        float64  `json:"state"`
						ExecutionEnd float64  `json:"execution_end"`
						Output       string   `json:"output"`
						Perf         []string `json:"performance_data"`
					} `json:"last_check_result"`
				} `json:"attrs"`
			}
		}
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.Results) != 1 || resp.Results[0].Attrs.LastCheckResult == nil {
			return result{}, fmt.Errorf("no check result of vip-ingress!arp in %s (%v)", body, err)
		}
		cr := resp.Results[0].Attrs.LastCheckResult
		return result{State: cr.State, ExecutionEnd: cr.ExecutionEnd, Output: cr.Output, PerformanceData: cr.Perf}, nil
	}
	before, err := last()
	if err != nil {
		t.Fatal(err)
	}
	for _, argv := range [][]string{
		{"ip", "-n", seg.Name + "-a", "addr", "del", "198.51.100.10/24", "dev", "eth0"},
		{"ip", "-n", seg.Name + "-b", "addr", "add", "198.51.100.10/24", "dev", "eth0"},
	} {
		mustRun(t, argv...)
	}
	if _, err := api.do("POST", "/v1/actions/reschedule-check", map[string]any{"type": "Service", "filter": filter, "force": true}); err != nil {
		t.Fatal(err)
	}
	var after result
	waitFor(t, d, 60*time.Second, "the check of vip-ingress after the move", func() error {
		r, err := last()
		if err != nil {
			return err
		}
		if r.ExecutionEnd <= before.ExecutionEnd {
			return fmt.Errorf("no check of vip-ingress!arp since %v", before.ExecutionEnd)
		}
		after = r
		return nil
	})
	t.Logf("Icinga 2 recorded vip-ingress!arp after the move: state %v, output %q, performance_data %q", after.State, after.Output, after.PerformanceData)
	want := "ARP WARNING - 198.51.100.10 moved from 02:00:00:00:00:0a (node-a) to 02:00:00:00:00:0b (node-b) since the last check at "
	if after.State != 1 || !strings.HasPrefix(after.Output, want) {
		t.Errorf("after the move Icinga recorded state %v, output %q; want WARNING, %q...", after.State, after.Output, want)
	}
	if !slices.Contains(after.PerformanceData, "owner_changes=1c;;;0") {
		t.Errorf("after the move the performance data %q lack owner_changes=1c", after.PerformanceData)
	}
	if !slices.Contains(before.PerformanceData, "owner_changes=0c;;;0") {
		t.Errorf("before the move the performance data %q lack owner_changes=0c", before.PerformanceData)
	}
}
