//go:build e2e

package engines

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/test/lab"
)

const (
	pkgName         = "check-arp"
	installedPlugin = "/usr/lib/nagios/plugins/check_arp"
)

// TestDebPackage builds the packages twice (they must be identical),
// installs the deb with dpkg, and checks that the plugin has cap_net_raw,
// runs as the unprivileged nagios user in the lab, and that purging the
// package leaves nothing behind.
func TestDebPackage(t *testing.T) {
	require(t, "make", "dpkg", "dpkg-deb", "getcap", "setpriv", "ip")
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", pkgName).Output(); strings.Contains(string(out), "installed") && !strings.Contains(string(out), "not-installed") {
		if lab.InCI() {
			t.Fatalf("%s is already installed (%s) on the CI machine", pkgName, out)
		}
		t.Skipf("skipping: %s is already installed here (%s), and this test would replace and purge it", pkgName, out)
	}
	t.Parallel()

	// Two builds of the same tree must give the same bytes.
	var builds [2]map[string]string
	var dist string
	for i := range builds {
		dist = privateDir(t, "dist")
		mustRun(t, "make", "-C", repoRoot, "--no-print-directory", "package", "DIST="+dist)
		builds[i] = hashDir(t, dist)
	}
	var deb, rpm string
	for name := range builds[1] {
		switch filepath.Ext(name) {
		case ".deb":
			deb = filepath.Join(dist, name)
		case ".rpm":
			rpm = filepath.Join(dist, name)
		}
	}
	if deb == "" || rpm == "" || len(builds[1]) != 2 {
		t.Fatalf("make package built %v, want one deb and one rpm", builds[1])
	}
	for name, sum := range builds[0] {
		if builds[1][name] != sum {
			t.Errorf("%s differs between two builds (sha256 %s, then %s): the package is not reproducible", name, sum, builds[1][name])
		}
	}
	t.Logf("two builds, identical: %v", builds[1])
	checkRPM(t, rpm)
	lintPackages(t, deb, rpm)

	version := strings.TrimSpace(mustRun(t, "dpkg-deb", "-f", deb, "Version"))
	// What the package will add, and what of it exists already (shared
	// directories such as /usr/lib/nagios/plugins).
	paths := debPaths(t, deb)
	existed := map[string]bool{}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			existed[p] = true
		}
	}

	t.Cleanup(func() {
		// Also when the test failed half-way.
		if out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", pkgName).Output(); strings.Contains(string(out), " installed") {
			out, err := exec.Command("dpkg", "--purge", pkgName).CombinedOutput()
			if err != nil {
				t.Errorf("cleanup: dpkg --purge %s: %v: %s", pkgName, err, out)
			}
		}
	})
	out := mustRun(t, "dpkg", "-i", deb)
	t.Logf("dpkg -i %s:\n%s", filepath.Base(deb), out)
	if strings.Contains(out, "WARNING") {
		t.Errorf("the postinstall warned on a machine where setcap works:\n%s", out)
	}
	if got := strings.TrimSpace(mustRun(t, "dpkg-query", "-W", "-f=${Version} ${Status}", pkgName)); got != version+" install ok installed" {
		t.Errorf("dpkg-query says %q, want %q", got, version+" install ok installed")
	}

	caps := strings.TrimSpace(mustRun(t, "getcap", installedPlugin))
	t.Logf("getcap: %s", caps)
	if caps != installedPlugin+" cap_net_raw=ep" {
		t.Errorf("getcap %s = %q, want cap_net_raw=ep", installedPlugin, caps)
	}

	// The installed plugin, as the unprivileged nagios user with no
	// inherited capabilities, in the lab's client namespace.
	seg := newSegment(t)
	// Its memory goes where the default directory rule puts it for an
	// XDG_STATE_HOME, the test's: not into nagios' home.
	stateHome := privateDir(t, "state")
	asNagios := []string{"ip", "netns", "exec", seg.Client, "env", "XDG_STATE_HOME=" + stateHome,
		"setpriv", "--reuid=nagios", "--regid=nagios", "--init-groups", "--inh-caps=-all", "--", installedPlugin}
	for _, tt := range []struct {
		args    []string
		summary string
	}{
		{[]string{"-H", lab.HealthyIP, "-w", "200,40%", "-c", "500,80%"}, "ARP OK - " + lab.HealthyIP + " is at 02:00:00:00:00:0a on eth0: 3/3 replies, rta "},
		{[]string{"-H", lab.HealthyIP, "--expect-file", "/usr/share/doc/check-arp/examples/prod.allow", "-w", "200,40%", "-c", "500,80%"}, healthySummary("ARP", lab.HealthyIP)},
	} {
		out, code := run(t, 30*time.Second, append(asNagios, tt.args...)...)
		t.Logf("as nagios: check_arp %s: exit %d: %s", strings.Join(tt.args, " "), code, out)
		if code != 0 || !strings.HasPrefix(out, tt.summary) {
			t.Errorf("as nagios: check_arp %s: exit %d, output %q; want 0 and %q", strings.Join(tt.args, " "), code, out, tt.summary)
		}
		checkPerfdata(t, "the installed plugin", out[strings.Index(out, "|")+1:], healthyCounts)
	}
	if _, err := os.Stat(filepath.Join(stateHome, "check_arp", "arp_"+lab.HealthyIP+"_eth0.json")); err != nil {
		t.Errorf("the installed plugin kept no memory in its XDG_STATE_HOME: %v", err)
	}
	if out, code := run(t, 10*time.Second, installedPlugin, "-V"); code != 3 || strings.TrimSpace(out) != "check_arp "+version[:len(version)-len("-1")] {
		t.Errorf("check_arp -V: exit %d, %q; want 3 and the package version %s", code, out, version)
	}
	checkManPage(t, version)
	checkPostinstWarns(t)

	out = mustRun(t, "dpkg", "--purge", pkgName)
	t.Logf("dpkg --purge:\n%s", out)
	if st, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", pkgName).Output(); len(st) > 0 && !strings.Contains(string(st), "not-installed") {
		t.Errorf("after purge dpkg still knows %s: %q", pkgName, st)
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil && !existed[p] {
			t.Errorf("purge left %s behind", p)
		}
	}
}

// hashDir returns base name -> sha256 of the files in dir.
func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		sums[e.Name()] = hex.EncodeToString(s[:])
	}
	return sums
}

// debPaths lists the absolute paths a deb installs.
func debPaths(t *testing.T, deb string) []string {
	t.Helper()
	var paths []string
	for _, l := range lines(mustRun(t, "dpkg-deb", "-c", deb)) {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		p := strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")
		if p != "" {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		t.Fatalf("dpkg-deb -c %s lists nothing", deb)
	}
	return paths
}

// checkRPM reads the rpm with rpm itself, where it is installed (CI
// installs it): the RHEL plugin path, the setcap postinstall, libcap.
func checkRPM(t *testing.T, rpm string) {
	t.Helper()
	if _, err := exec.LookPath("rpm"); err != nil {
		if lab.InCI() {
			t.Fatalf("rpm is not installed, and CI must check the rpm (.ci/run installs it)")
		}
		t.Logf("rpm is not installed: not reading %s", filepath.Base(rpm))
		return
	}
	files := mustRun(t, "rpm", "-qp", "--nosignature", "-l", rpm)
	for _, want := range []string{"/usr/lib64/nagios/plugins/check_arp", "/usr/share/man/man1/check_arp.1.gz", "/usr/share/doc/check-arp/examples/icinga2/check_arp.conf"} {
		if !strings.Contains(files, want+"\n") {
			t.Errorf("the rpm lacks %s:\n%s", want, files)
		}
	}
	if strings.Contains(files, "/usr/lib/nagios/plugins/") {
		t.Errorf("the rpm installs into Debian's plugin directory:\n%s", files)
	}
	if scripts := mustRun(t, "rpm", "-qp", "--nosignature", "--scripts", rpm); !strings.Contains(scripts, "setcap cap_net_raw+ep") {
		t.Errorf("the rpm's scripts do not grant the capability:\n%s", scripts)
	}
	// %post runs setcap: the rpm requires the command by path, which
	// libcap (RHEL) and libcap-progs (SUSE) both provide.
	if req := mustRun(t, "rpm", "-qp", "--nosignature", "-R", rpm); !slices.Contains(lines(req), "/usr/sbin/setcap") {
		t.Errorf("the rpm does not require /usr/sbin/setcap, which its %%post runs:\n%s", req)
	}
}

// lintPackages runs Debian's lintian on the deb and rpmlint on the rpm,
// as a distribution's reviewer would. Either must report no error: the
// deb's accepted tags are overridden, with reasons, in
// packaging/lintian-overrides (shipped, so lintian applies them), the
// rpm's in packaging/rpmlintrc (a filter that no longer matches is itself
// an error). lintian also must report no warning. Both take about 3 s.
func lintPackages(t *testing.T, deb, rpm string) {
	t.Helper()
	for _, tool := range []string{"lintian", "rpmlint"} {
		if _, err := exec.LookPath(tool); err != nil {
			if lab.InCI() {
				t.Fatalf("%s is not installed, and CI must lint the packages (.ci/run installs it)", tool)
			}
			t.Logf("%s is not installed: the packages are not linted (Debian: apt-get install lintian rpmlint)", tool)
			return
		}
	}
	start := time.Now()
	out, code := run(t, 2*time.Minute, "lintian", "--fail-on", "error,warning", deb)
	t.Logf("lintian %s (%s): exit %d\n%s", filepath.Base(deb), time.Since(start).Round(time.Millisecond), code, out)
	// Run as root (dpkg needs it), lintian says so on stderr; that line
	// is about the test, not the package.
	out = strings.TrimSpace(strings.ReplaceAll(out, "running with root privileges is not recommended!", ""))
	if code != 0 || out != "" {
		t.Errorf("lintian reports errors or warnings that packaging/lintian-overrides does not explain (exit %d):\n%s", code, out)
	}
	start = time.Now()
	out, code = run(t, 2*time.Minute, "rpmlint", "-r", filepath.Join(repoRoot, "packaging", "rpmlintrc"), rpm)
	t.Logf("rpmlint %s (%s): exit %d\n%s", filepath.Base(rpm), time.Since(start).Round(time.Millisecond), code, out)
	if code != 0 || !strings.Contains(out, " 0 errors,") {
		t.Errorf("rpmlint reports errors that packaging/rpmlintrc does not explain (exit %d):\n%s", code, out)
	}
}

// checkManPage reads the installed man page.
func checkManPage(t *testing.T, version string) {
	t.Helper()
	f, err := os.Open("/usr/share/man/man1/check_arp.1.gz")
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Error(err)
		return
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Error(err)
		return
	}
	upstream := strings.ReplaceAll(strings.TrimSuffix(version, "-1"), "-", `\-`)
	for _, want := range []string{".TH CHECK_ARP 1 ", "check_arp " + upstream, `\fB\-\-expect\-file\fR`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the installed man page lacks %q", want)
		}
	}
}

// checkPostinstWarns runs the installed postinst where setcap cannot be
// found: it must not fail, and must say what to do.
func checkPostinstWarns(t *testing.T) {
	t.Helper()
	cmd := exec.Command("/var/lib/dpkg/info/"+pkgName+".postinst", "configure")
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // setcap lives in sbin
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("postinst without setcap failed: %v: %s", err, out)
	}
	t.Logf("postinst without setcap:\n%s", out)
	for _, want := range []string{"check_arp: WARNING: setcap is not installed", "setcap cap_net_raw+ep " + installedPlugin} {
		if !strings.Contains(string(out), want) {
			t.Errorf("postinst without setcap does not say %q:\n%s", want, out)
		}
	}
}
