// Package metallb tests contrib/metallb/check_arp_metallb, the wrapper that
// runs check_arp with --expect-owner set to the node MetalLB's
// ServiceL2Status names. A fake kubectl prints ServiceL2Status JSON shaped
// as MetalLB's speaker writes it (testdata/servicel2statuses.json: names
// from generateName "l2-", the metallb.io/node, service-name and
// service-namespace labels, status.node, serviceName, serviceNamespace and
// interfaces, and one status created but not yet written), and a fake
// check_arp echoes its arguments. The wrapper runs under every POSIX shell
// installed (dash, bash, busybox sh).
package metallb

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const wrapper = "../../contrib/metallb/check_arp_metallb"

func shells(t *testing.T) []string {
	t.Helper()
	var found []string
	for _, sh := range []string{"dash", "bash", "busybox"} {
		if p, err := exec.LookPath(sh); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		t.Fatal("no POSIX shell found")
	}
	return found
}

func needJQ(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("jq is missing (CI=true); make deps installs it")
	}
	fmt.Fprintln(os.Stderr, "metallb wrapper tests SKIPPED: jq is not installed (apt-get install jq)")
	t.Skip("jq is not installed")
}

// rig is a directory with the fakes; it records what kubectl was asked.
type rig struct {
	dir, kubectlLog string
}

func newRig(t *testing.T, kubectl string) rig {
	t.Helper()
	dir := t.TempDir()
	r := rig{dir: dir, kubectlLog: filepath.Join(dir, "kubectl.args")}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("kubectl", "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '"+r.kubectlLog+"'\n"+kubectl)
	write("check_arp", "#!/bin/sh\nprintf 'check_arp'\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\necho\nexit ${FAKE_CHECK_EXIT:-0}\n")
	return r
}

// printing is a fake kubectl body that prints a fixture.
func printing(t *testing.T, fixture string) string {
	abs, err := filepath.Abs(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	return "cat '" + abs + "'\n"
}

func (r rig) run(t *testing.T, shell string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(shell, append([]string{wrapper}, args...)...)
	if filepath.Base(shell) == "busybox" {
		cmd.Args = append([]string{shell, "sh", wrapper}, args...)
	}
	cmd.Env = []string{"PATH=" + r.dir + ":/usr/bin:/bin", "CHECK_ARP=" + filepath.Join(r.dir, "check_arp"), "FAKE_CHECK_EXIT=1"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

func (r rig) kubectlArgs(t *testing.T) string {
	b, err := os.ReadFile(r.kubectlLog)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const checkArgs = "-H 198.51.100.10 -I eth0 --expect-file /etc/check_arp/prod.allow"

func TestWrapperExpectsTheAnnouncingNode(t *testing.T) {
	needJQ(t)
	tests := []struct {
		service, node string
	}{
		{"default/ingress", "node-a"},
		// Same service name in another namespace: the namespace decides.
		{"monitoring/ingress", "node-c"},
		{"default/web", "node-b"},
		// Created, status not yet written: the labels name the node.
		{"kube-system/dns", "node-b"},
	}
	for _, sh := range shells(t) {
		for _, tt := range tests {
			t.Run(filepath.Base(sh)+" "+tt.service, func(t *testing.T) {
				r := newRig(t, printing(t, "servicel2statuses.json"))
				out, code := r.run(t, sh, append([]string{tt.service}, strings.Fields(checkArgs)...)...)
				want := "check_arp [-H] [198.51.100.10] [-I] [eth0] [--expect-file] [/etc/check_arp/prod.allow] [--expect-owner] [" + tt.node + "]\n"
				if out != want || code != 1 {
					t.Errorf("got %q, exit %d\nwant %q, exit 1 (check_arp's own)", out, code, want)
				}
				if got := r.kubectlArgs(t); got != "get servicel2statuses.metallb.io --namespace metallb-system --output json\n" {
					t.Errorf("kubectl ran with %q", got)
				}
			})
		}
	}
}

func TestWrapperPassesKubectlOptions(t *testing.T) {
	needJQ(t)
	for _, sh := range shells(t) {
		r := newRig(t, printing(t, "servicel2statuses.json"))
		out, code := r.run(t, sh, "--kubeconfig", "/etc/check_arp/kube config", "--context=prod", "--metallb-namespace", "metallb-system", "default/web", "-H", "198.51.100.12")
		if code != 1 || !strings.HasSuffix(out, "[--expect-owner] [node-b]\n") {
			t.Errorf("%s: %q, exit %d", sh, out, code)
		}
		// The fake logs "$*": the space inside the path survives as one
		// argument only if the order and words match exactly.
		if got, want := r.kubectlArgs(t), "--kubeconfig /etc/check_arp/kube config --context prod get servicel2statuses.metallb.io --namespace metallb-system --output json\n"; got != want {
			t.Errorf("%s: kubectl ran with %q, want %q", sh, got, want)
		}
	}
}

func TestWrapperUnknowns(t *testing.T) {
	needJQ(t)
	fixture := printing(t, "servicel2statuses.json")
	tests := []struct {
		name    string
		kubectl string
		args    []string
		says    string
		queried bool // whether kubectl must have run
	}{
		{"two nodes during a failover", fixture, []string{"default/failover", "-H", "198.51.100.14"},
			"METALLB UNKNOWN - MetalLB names 2 nodes for default/failover: node-a, node-b (a failover in progress, or speakers that disagree); the next check will tell\n", true},
		{"no status for the service", fixture, []string{"default/missing", "-H", "198.51.100.15"},
			"METALLB UNKNOWN - MetalLB announces default/missing from no node (no ServiceL2Status for it in metallb-system); check that the service has a LoadBalancer IP from a Layer 2 pool, ready endpoints, and an L2Advertisement for its pool\n", true},
		{"an empty list", `echo '{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}'`, []string{"default/ingress"},
			"from no node", true},
		{"kubectl fails", "echo 'error: the server doesn'\\''t have a resource type \"servicel2statuses\"' >&2\nexit 1\n", []string{"default/ingress"},
			"METALLB UNKNOWN - kubectl get servicel2statuses.metallb.io --namespace metallb-system failed: error: the server doesn't have a resource type \"servicel2statuses\"\n", true},
		{"kubectl prints no JSON", "echo 'No resources found'\n", []string{"default/ingress"},
			"METALLB UNKNOWN - kubectl's output is not ServiceL2Status JSON", true},
		{"a node name that is no node name", `echo '{"items":[{"kind":"ServiceL2Status","status":{"node":"node a|x","serviceName":"ingress","serviceNamespace":"default"}}]}'`,
			[]string{"default/ingress"}, "METALLB UNKNOWN - node name 'node a|x' is not a Kubernetes node name\n", true},
		{"a node name too long for a label", `echo '{"items":[{"kind":"ServiceL2Status","status":{"node":"` + strings.Repeat("n", 64) + `","serviceName":"ingress","serviceNamespace":"default"}}]}'`,
			[]string{"default/ingress"}, "is longer than the 63 characters an allowlist label may have\n", true},
		{"no service", fixture, nil, "METALLB UNKNOWN - no service given; usage:", false},
		{"service without namespace", fixture, []string{"ingress", "-H", "198.51.100.10"}, "METALLB UNKNOWN - service 'ingress' is not NAMESPACE/SERVICE, e.g. default/ingress\n", false},
		{"service with two slashes", fixture, []string{"a/b/c"}, "is not NAMESPACE/SERVICE", false},
		{"empty namespace", fixture, []string{"/ingress"}, "is not NAMESPACE/SERVICE", false},
		{"empty name", fixture, []string{"default/"}, "is not NAMESPACE/SERVICE", false},
		{"check_arp option before the service", fixture, []string{"-H", "198.51.100.10", "default/ingress"}, "METALLB UNKNOWN - unknown option -H before NAMESPACE/SERVICE", false},
		{"--expect-owner given too", fixture, []string{"default/ingress", "--expect-owner", "node-b"}, "--expect-owner is set by the wrapper", false},
		{"--kubeconfig without a file", fixture, []string{"--kubeconfig"}, "--kubeconfig needs a file", false},
	}
	for _, sh := range shells(t) {
		for _, tt := range tests {
			t.Run(filepath.Base(sh)+" "+tt.name, func(t *testing.T) {
				r := newRig(t, tt.kubectl)
				out, code := r.run(t, sh, tt.args...)
				if code != 3 || !strings.Contains(out, tt.says) || strings.Count(out, "\n") != 1 || strings.Contains(out, "check_arp [") {
					t.Errorf("got %q, exit %d\nwant one line with %q, exit 3, check_arp not run", out, code, tt.says)
				}
				if ran := r.kubectlArgs(t) != ""; ran != tt.queried {
					t.Errorf("kubectl ran: %v, want %v", ran, tt.queried)
				}
			})
		}
	}
}

func TestWrapperIsExecutable(t *testing.T) {
	fi, err := os.Stat(wrapper)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 != 0o111 {
		t.Errorf("%s has mode %v, want it executable", wrapper, fi.Mode())
	}
}
