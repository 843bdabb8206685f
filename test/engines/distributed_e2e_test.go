//go:build e2e

package engines

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

// The distributed setup of contrib/icinga2/distributed-zones.conf: the
// master's endpoint name, and both nodes' addresses on the cluster link.
// The agent is agentNode, the endpoint example-metallb.conf names.
const (
	masterNode = "master1.example.com"
	masterIP   = lab.ClusterMasterIP
	agentIP    = lab.ClusterAgentIP
	// clusterPrefix keeps the link inside lab.ClusterNet, more specific
	// than the lab client's route to lab.OffLinkNet via the segment's router,
	// which the off-link scenarios need.
	clusterPrefix = "/30"
	clusterPort   = "5665"
)

// splitTargets are the addresses of a third VIP, declared with the
// example's template, that two nodes answer at once (split brain).
var splitTargets = []target{
	{"vip-split", false, lab.SplitIP, 2, splitSummary("ARP", lab.SplitIP), splitCounts},
	{"vip-split", true, lab.SplitIP6, 2, splitSummary("NDP", lab.SplitIP6), splitCounts},
}

var splitCounts = map[string]string{"sent": "3", "received": "3", "pl": "0", "macs": "2", "unexpected_macs": "0", "multi_mac_probes": "3", "mac_changes": "0"}

// splitSummary is the start of the plugin's output for a split brain; the
// two MACs that follow come in either order.
func splitSummary(proto, addr string) string {
	return proto + " CRITICAL - " + addr + " is answered by 2 MACs at once in 3 of 3 probes (split brain): "
}

// splitHost is the test's third VIP, in the example's shape.
const splitHost = `/* A third VIP, which two nodes answer at once. */
object Host "vip-split" {
	import "metallb-vip"
	address = "198.51.100.13"
	address6 = "2001:db8::13"
}
`

// TestDistributedIcinga2 runs contrib/icinga2 the way a distributed
// deployment does: an Icinga 2 master in its own namespace, outside the
// VIPs' segment, and an agent in the lab's client namespace, joined only by
// a veth pair on 203.0.113.0/30. Trust is set up with Icinga's own CLI (the
// master's node setup makes the CA, the agent's node setup gets its
// certificate signed over TLS on port 5665 with a ticket), the master loads
// contrib's zones example, CheckCommand and MetalLB example, the agent
// receives the CheckCommand by config sync and runs the checks the master
// schedules (command_endpoint). The master's REST API must show the states
// and performance data the agent's check_arp reported.
func TestDistributedIcinga2(t *testing.T) {
	require(t, "icinga2", "ip")
	t.Parallel()
	begin := time.Now()
	// The phases' times, for a slow run (RSA keys, config sync reload).
	phase := func(what string) { t.Logf("%s after %s", what, time.Since(begin).Round(time.Millisecond)) }
	seg := newSegment(t)
	agentNS := seg.Client
	masterNS := newClusterLink(t, seg)
	phase("lab and cluster link")

	// The master has no interface on the VIPs' segment: check_arp cannot
	// check them from there.
	out, code := run(t, 20*time.Second, "ip", "netns", "exec", masterNS, filepath.Join(pluginDir, "check_arp"), "-H", lab.HealthyIP)
	if code != 3 || !strings.Contains(out, lab.HealthyIP) {
		t.Errorf("check_arp on the master: exit %d, %q; want UNKNOWN, the VIP unreachable at Layer 2", code, out)
	}
	t.Logf("check_arp on the master: exit %d: %s", code, strings.TrimSpace(out))

	// The master: CA, certificate, API user and zones from node setup,
	// then contrib's zones.conf in place of the generated one. Its
	// PluginDir has no check_arp: every check must run on the agent.
	master := newIcingaNode(t, "master", masterNS, "/nonexistent/check_arp-is-on-the-agent", nil)
	master.cli(t, "node", "setup", "--master", "--cn", masterNode, "--zone", "master", "--listen", masterIP+","+clusterPort)
	phase("master's node setup")
	generated := master.read(t, "etc/zones.conf")
	zones := contrib(t, "icinga2/distributed-zones.conf")
	for _, obj := range configObjects(generated) {
		if !slices.Contains(configObjects(zones), obj) {
			t.Errorf("node setup --master declares %s, which contrib/icinga2/distributed-zones.conf lacks", obj)
		}
	}
	writeFiles(t, master.dir, map[string]string{
		"etc/zones.conf": zones,
		// Where the examples say they go, byte for byte.
		"zones.d/global-templates/check_arp.conf": contrib(t, "icinga2/check_arp.conf"),
		"zones.d/master/example-metallb.conf":     contrib(t, "icinga2/example-metallb.conf"),
		"zones.d/master/vip-split.conf":           splitHost,
	})
	master.validate(t, "Instantiated 3 Hosts.", "Instantiated 6 Services.", "Instantiated 4 Zones.", "Instantiated 2 Endpoints.")
	ticket := strings.TrimSpace(master.cli(t, "pki", "ticket", "--cn", agentNode))
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ticket) {
		t.Fatalf("icinga2 pki ticket printed %q, want a ticket", ticket)
	}
	masterD := startDaemonIn(t, masterNS, "icinga2 master", master.daemonArgv()...)

	caPEM := master.read(t, "data/ca/ca.crt")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatalf("no certificate in the master's CA file:\n%s", caPEM)
	}
	rootPassword := regexp.MustCompile(`password = "([^"]+)"`).FindStringSubmatch(master.read(t, "etc/conf.d/api-users.conf"))
	if rootPassword == nil {
		t.Fatal("node setup --master wrote no ApiUser password")
	}
	masterAPI := newIcingaAPIAt(t, masterNS, masterIP+":"+clusterPort, masterNode, pool, "root", rootPassword[1])
	waitFor(t, masterD, 60*time.Second, "the master's API", func() error {
		_, err := masterAPI.do("GET", "/v1/status/IcingaApplication", nil)
		return err
	})
	phase("master's API")

	// The agent: fetch the master's certificate, check it, and have node
	// setup request a signed certificate over TLS with the ticket. Its
	// conf.d holds only an API user through which the test sees when the
	// synced config is loaded (so no --disable-confd: Icinga 2.13 then
	// looks for /etc/icinga2/conf.d/api-users.conf whatever ConfigDir is).
	agentPassword := randomHex(t)
	agent := newIcingaNode(t, "agent", agentNS, pluginDir, map[string]string{
		"etc/conf.d/api-users.conf": fmt.Sprintf("object ApiUser \"e2e\" {\n\tpassword = %q\n\tpermissions = [ \"*\" ]\n}\n", agentPassword),
	})
	trusted := filepath.Join(agent.dir, "data/certs/trusted-parent.crt")
	agent.cli(t, "pki", "save-cert", "--host", masterIP, "--port", clusterPort, "--trustedcert", trusted)
	if got, want := agent.read(t, "data/certs/trusted-parent.crt"), master.read(t, "data/certs/"+masterNode+".crt"); got != want {
		t.Fatalf("pki save-cert fetched a certificate that is not the master's:\n%s", got)
	}
	agent.cli(t, "node", "setup", "--cn", agentNode, "--zone", agentNode, "--parent_zone", "master",
		"--endpoint", masterNode+","+masterIP+","+clusterPort, "--parent_host", masterIP+","+clusterPort,
		"--trustedcert", trusted, "--ticket", ticket, "--accept-config", "--accept-commands")
	phase("agent's node setup (certificate signed)")
	if got := agent.read(t, "data/certs/ca.crt"); got != caPEM {
		t.Errorf("the agent's ca.crt is not the master's CA:\n%s", got)
	}
	verifyCert(t, agent.read(t, "data/certs/"+agentNode+".crt"), agentNode, pool)
	agentZones := agent.read(t, "etc/zones.conf")
	for _, obj := range configObjects(agentZones) {
		if !slices.Contains(configObjects(zones), obj) {
			t.Errorf("the agent's node setup declares %s, which contrib/icinga2/distributed-zones.conf lacks", obj)
		}
	}
	if !strings.Contains(agentZones, fmt.Sprintf("host = %q", masterIP)) {
		t.Errorf("the agent's zones.conf does not connect to the master at %s:\n%s", masterIP, agentZones)
	}
	agent.validate(t)
	agentD := startDaemonIn(t, agentNS, "icinga2 agent", agent.daemonArgv()...)
	agentAPI := newIcingaAPIAt(t, agentNS, "127.0.0.1:"+clusterPort, agentNode, pool, "e2e", agentPassword)

	// Ready when the agent runs the CheckCommand it received from the
	// master's global zone, and both ends see the cluster connection.
	waitFor(t, agentD, 60*time.Second, "the CheckCommand synced to the agent", func() error {
		body, err := agentAPI.do("GET", "/v1/objects/checkcommands/arp?attrs=zone&attrs=command", nil)
		if err != nil {
			return err
		}
		var resp struct {
			Results []struct {
				Attrs struct {
					Zone    string   `json:"zone"`
					Command []string `json:"command"`
				} `json:"attrs"`
			} `json:"results"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			return err
		}
		if len(resp.Results) != 1 {
			return fmt.Errorf("%d CheckCommands arp: %s", len(resp.Results), body)
		}
		a := resp.Results[0].Attrs
		if a.Zone != "global-templates" || !slices.Equal(a.Command, []string{filepath.Join(pluginDir, "check_arp")}) {
			t.Fatalf("the agent's CheckCommand arp is in zone %q and runs %q, want global-templates and its own %s", a.Zone, a.Command, pluginDir)
		}
		return nil
	})
	waitFor(t, agentD, 30*time.Second, "the agent's connection to the master", func() error {
		return endpointConnected(agentAPI, masterNode)
	})
	waitFor(t, masterD, 30*time.Second, "the master's connection to the agent", func() error {
		return endpointConnected(masterAPI, agentNode)
	})
	ready := time.Now()
	phase("cluster ready (config synced, both ends connected)")

	// Check now rather than at the example's randomised first minute.
	if _, err := masterAPI.do("POST", "/v1/actions/reschedule-check", map[string]any{
		"type": "Service", "filter": `service.check_command == "arp"`, "force": true,
	}); err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(targets, splitTargets)
	results := map[string]distributedService{}
	waitFor(t, masterD, 60*time.Second, "the agent's check results on the master", func() error {
		body, err := masterAPI.do("GET", "/v1/objects/services?attrs=state&attrs=last_check_result", nil)
		if err != nil {
			return err
		}
		var resp struct{ Results []distributedService }
		if err := json.Unmarshal(body, &resp); err != nil {
			return err
		}
		if len(resp.Results) != len(want) {
			return fmt.Errorf("%d services, want %d", len(resp.Results), len(want))
		}
		for _, s := range resp.Results {
			cr := s.Attrs.LastCheckResult
			// Earlier results, from before the agent was ready, do not count.
			if cr == nil || cr.ExecutionStart < float64(ready.UnixNano())/1e9 {
				return fmt.Errorf("%s has no check result since the cluster was ready", s.Name)
			}
			results[s.Name] = s
		}
		return nil
	})
	phase("all check results")
	agentD.expectMemoryKept(t)

	allow := []string{"-e", "02:00:00:00:00:0a=node-a", "-e", "02:00:00:00:00:0b=node-b", "-e", "02:00:00:00:00:0c=node-c"}
	for _, tt := range want {
		service := tt.host + "!arp"
		if tt.ipv6 {
			service += "-ipv6"
		}
		s, ok := results[service]
		if !ok {
			t.Errorf("the master has no service %s", service)
			continue
		}
		cr := s.Attrs.LastCheckResult
		shown, _ := json.Marshal(map[string]any{"state": s.Attrs.State, "output": cr.Output, "performance_data": cr.PerformanceData})
		t.Logf("master's API, %s: %s", service, shown)
		state := float64(tt.state)
		if s.Attrs.State != state || cr.State != state || cr.ExitStatus != state {
			t.Errorf("%s: state %v (check result state %v, exit status %v), want %v; output %q", service, s.Attrs.State, cr.State, cr.ExitStatus, state, cr.Output)
		}
		if !strings.HasPrefix(cr.Output, tt.summary) {
			t.Errorf("%s: output %q, want it to start with %q", service, cr.Output, tt.summary)
		}
		if cr.CheckSource != agentNode || cr.SchedulingSource != masterNode {
			t.Errorf("%s was scheduled by %q and ran on %q, want scheduled by %s and run on %s", service, cr.SchedulingSource, cr.CheckSource, masterNode, agentNode)
		}
		wantCmd := slices.Concat([]string{filepath.Join(pluginDir, "check_arp"), "-H", tt.address, "-c", "500,80%"}, allow, []string{"-w", "200,40%"})
		if !slices.Equal(cr.Command, wantCmd) {
			t.Errorf("%s: the agent ran %q, want %q", service, cr.Command, wantCmd)
		}
		checkPerfdata(t, "the master ("+service+")", strings.Join(cr.PerformanceData, " "), tt.counts)
	}
}

// distributedService is a service as the master's API returns it.
type distributedService struct {
	Name  string `json:"name"`
	Attrs struct {
		State           float64 `json:"state"`
		LastCheckResult *struct {
			State            float64  `json:"state"`
			ExitStatus       float64  `json:"exit_status"`
			Output           string   `json:"output"`
			PerformanceData  []string `json:"performance_data"`
			CheckSource      string   `json:"check_source"`
			SchedulingSource string   `json:"scheduling_source"`
			Command          []string `json:"command"`
			ExecutionStart   float64  `json:"execution_start"`
		} `json:"last_check_result"`
	} `json:"attrs"`
}

// newClusterLink adds the master's namespace, whose only link is a veth
// pair to the agent (the segment's client namespace) on 203.0.113.0/30:
// no route to the VIPs, no Layer 2 path to them. It is removed when the
// test ends; its name starts with the lab's, so a crashed run's leftover
// is removed with the lab's.
func newClusterLink(t *testing.T, seg *lab.Segment) string {
	t.Helper()
	ns := seg.Name + "-master"
	mustRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("removing namespace %s: %v: %s", ns, err, out)
		}
	})
	for _, argv := range [][]string{
		{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
		{"ip", "-n", seg.Client, "link", "add", "cluster0", "type", "veth", "peer", "name", "cluster0", "netns", ns},
		{"ip", "-n", seg.Client, "addr", "add", agentIP + clusterPrefix, "dev", "cluster0"},
		{"ip", "-n", ns, "addr", "add", masterIP + clusterPrefix, "dev", "cluster0"},
		{"ip", "-n", seg.Client, "link", "set", "cluster0", "up"},
		{"ip", "-n", ns, "link", "set", "cluster0", "up"},
	} {
		mustRun(t, argv...)
	}
	return ns
}

// icingaNode is a private Icinga 2 node: the layout of Debian's
// /etc/icinga2 and /var/lib/icinga2 below dir, every path of the daemon
// redirected there by defines, run as nagios.
type icingaNode struct {
	ns, dir string
	defines []string
}

// newIcingaNode writes the configuration Debian's package installs, reduced
// to what node setup edits and the daemon needs, plus extra files.
func newIcingaNode(t *testing.T, name, ns, plugins string, extra map[string]string) *icingaNode {
	t.Helper()
	n := &icingaNode{ns: ns, dir: privateDir(t, "icinga2-"+name)}
	files := map[string]string{
		"etc/icinga2.conf": `/* The includes of Debian's /etc/icinga2/icinga2.conf that matter here. */
include "constants.conf"
include "zones.conf"
include <itl>
include "features-enabled/*.conf"
include_recursive "conf.d"
`,
		"etc/constants.conf": fmt.Sprintf("const PluginDir = %q\nconst ZoneName = NodeName\nconst TicketSalt = \"\"\n", plugins),
		// node setup enables api before it writes its configuration.
		"etc/features-available/api.conf":     "object ApiListener \"api\" { }\n",
		"etc/features-available/checker.conf": "object CheckerComponent \"checker\" { }\n",
		"etc/features-available/mainlog.conf": "object FileLogger \"main-log\" {\n\tseverity = \"information\"\n\tpath = LogDir + \"/icinga2.log\"\n}\n",
		"etc/conf.d/.keep":                    "",
		"data/.keep":                          "",
		"log/.keep":                           "",
		"cache/.keep":                         "",
		"spool/.keep":                         "",
		"run/.keep":                           "",
		"zones.d/.keep":                       "",
	}
	for k, v := range extra {
		files[k] = v
	}
	writeFiles(t, n.dir, files)
	enabled := filepath.Join(n.dir, "etc/features-enabled")
	if err := os.Mkdir(enabled, 0o755); err != nil {
		t.Fatal(err)
	}
	chownNagios(t, enabled)
	for _, f := range []string{"checker.conf", "mainlog.conf"} {
		link := filepath.Join(enabled, f)
		if err := os.Symlink("../features-available/"+f, link); err != nil {
			t.Fatal(err)
		}
		chownNagios(t, link)
	}
	certs := filepath.Join(n.dir, "data/certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	chownNagios(t, certs)
	for _, kv := range [][2]string{
		{"ConfigDir", "etc"}, {"ZonesDir", "zones.d"}, {"DataDir", "data"}, {"LogDir", "log"},
		{"CacheDir", "cache"}, {"SpoolDir", "spool"}, {"InitRunDir", "run"}, {"PidPath", "run/icinga2.pid"},
	} {
		n.defines = append(n.defines, "-DConfiguration."+kv[0]+"="+filepath.Join(n.dir, kv[1]))
	}
	n.defines = append(n.defines, "-DConfiguration.RunAsUser=nagios", "-DConfiguration.RunAsGroup=nagios")
	return n
}

// cli runs an icinga2 CLI command as root inside the node's namespace,
// with the node's paths, and returns its output.
func (n *icingaNode) cli(t *testing.T, args ...string) string {
	t.Helper()
	return mustRun(t, slices.Concat([]string{"ip", "netns", "exec", n.ns, "icinga2"}, args, n.defines)...)
}

// daemonArgv is the daemon's command line, in the foreground.
func (n *icingaNode) daemonArgv() []string {
	return slices.Concat([]string{"icinga2", "daemon", "-c", filepath.Join(n.dir, "etc/icinga2.conf")}, n.defines)
}

// validate runs `icinga2 daemon -C`, which must pass without warnings and
// say every line of want.
func (n *icingaNode) validate(t *testing.T, want ...string) {
	t.Helper()
	out := n.cli(t, "daemon", "-C", "-c", filepath.Join(n.dir, "etc/icinga2.conf"))
	for _, l := range lines(out) {
		if strings.Contains(l, "warning/") || strings.Contains(l, "critical/") {
			t.Errorf("icinga2 daemon -C in %s: %s", n.ns, l)
		}
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("icinga2 daemon -C in %s does not say %q:\n%s", n.ns, w, out)
		}
	}
}

// read returns a file below the node's directory.
func (n *icingaNode) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// configObjects lists the `object Type "name"` declarations of a
// configuration file.
func configObjects(conf string) []string {
	var objs []string
	for _, m := range regexp.MustCompile(`(?m)^object (\w+) "([^"]+)"`).FindAllStringSubmatch(conf, -1) {
		objs = append(objs, m[1]+" "+m[2])
	}
	return objs
}

// verifyCert fails the test unless certPEM is node's certificate, issued
// by a CA in pool for TLS clients and servers.
func verifyCert(t *testing.T, certPEM, node string, pool *x509.CertPool) {
	t.Helper()
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		t.Fatalf("no certificate for %s:\n%s", node, certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: node, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the certificate of %s does not verify against the master's CA: %v", node, err)
	}
}

// endpointConnected reports, through api, whether the cluster connection
// to endpoint is up.
func endpointConnected(api *icingaAPI, endpoint string) error {
	body, err := api.do("GET", "/v1/objects/endpoints/"+endpoint+"?attrs=connected", nil)
	if err != nil {
		return err
	}
	var resp struct {
		Results []struct {
			Attrs struct {
				Connected bool `json:"connected"`
			} `json:"attrs"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return err
	}
	if len(resp.Results) != 1 || !resp.Results[0].Attrs.Connected {
		return fmt.Errorf("endpoint %s is not connected: %s", endpoint, body)
	}
	return nil
}
