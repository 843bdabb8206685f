package engines

// Static checks of contrib/ and packaging/ that need no daemon: every
// command line there is one check_arp accepts, the Icinga 2 CheckCommand
// covers every flag, and the packages ship every contrib file.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/check-arp/check_arp/internal/cli"
	"github.com/check-arp/check_arp/test/lab"
)

const root = "../.."

func readRepo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// parses runs one command line of a contrib file through check_arp's
// parser. The examples' allowlist path is read from contrib/prod.allow.
func parses(t *testing.T, where string, args []string) {
	t.Helper()
	args = slices.Clone(args)
	for i, a := range args {
		if a == "/etc/check_arp/prod.allow" {
			args[i] = filepath.Join(root, "contrib", "prod.allow")
		}
	}
	if _, err := cli.Parse(args, &bytes.Buffer{}, "test"); err != nil {
		t.Errorf("%s: check_arp %s: %v", where, strings.Join(args, " "), err)
	}
}

// pluginArgs splits a command line that runs the installed plugin.
func pluginArgs(t *testing.T, where, line string) []string {
	t.Helper()
	const plugin = "/usr/lib/nagios/plugins/check_arp "
	i := strings.Index(line, plugin)
	if i < 0 {
		t.Errorf("%s: %q does not run %s", where, line, strings.TrimSpace(plugin))
		return nil
	}
	return strings.Fields(line[i+len(plugin):])
}

func TestNRPECommandsParse(t *testing.T) {
	n := 0
	for _, l := range strings.Split(readRepo(t, "contrib/nrpe/check_arp.cfg"), "\n") {
		if strings.HasPrefix(l, "command[") {
			n++
			parses(t, "contrib/nrpe", pluginArgs(t, "contrib/nrpe", l))
			if strings.Contains(l, " -v") {
				t.Errorf("contrib/nrpe: %q uses -v, which NRPE v2's 1 KB may cut", l)
			}
		}
	}
	if n != 5 {
		t.Errorf("contrib/nrpe has %d commands, want 5", n)
	}
}

func TestMRPELinesParse(t *testing.T) {
	mrpe := regexp.MustCompile(`^[A-Za-z0-9_.-]+ (\([a-z_]+=[^)]*\) )?/`)
	n := 0
	for _, l := range strings.Split(readRepo(t, "contrib/checkmk/mrpe.cfg"), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		n++
		if !mrpe.MatchString(l) {
			t.Errorf("contrib/checkmk: %q is not 'NAME (options) COMMAND'", l)
		}
		parses(t, "contrib/checkmk", pluginArgs(t, "contrib/checkmk", l))
	}
	if n != 4 {
		t.Errorf("contrib/checkmk has %d lines, want 4", n)
	}
}

func TestSensuChecksParse(t *testing.T) {
	text := readRepo(t, "contrib/sensu/check_arp.yaml")
	commands := regexp.MustCompile(`(?m)^  command: (.*)$`).FindAllStringSubmatch(text, -1)
	if len(commands) != 2 {
		t.Fatalf("contrib/sensu has %d commands, want 2", len(commands))
	}
	for _, c := range commands {
		parses(t, "contrib/sensu", pluginArgs(t, "contrib/sensu", c[1]))
	}
	for _, want := range []string{"type: CheckConfig", "api_version: core/v2", "output_metric_format: nagios_perfdata"} {
		if strings.Count(text, want) != 2 {
			t.Errorf("contrib/sensu: want %q in both checks", want)
		}
	}
	if strings.Contains(text, "runtime_assets:") {
		t.Error("contrib/sensu uses assets, which lose the capability")
	}
}

// TestNagiosServicesParse expands the example services' check_command
// through the command definitions, as Nagios does.
func TestNagiosServicesParse(t *testing.T) {
	commands := map[string]string{}
	defs := regexp.MustCompile(`(?s)define command \{\s*command_name\s+(\S+)\s*command_line\s+([^\n]+)\n\}`)
	for _, m := range defs.FindAllStringSubmatch(readRepo(t, "contrib/nagios/check_arp.cfg"), -1) {
		commands[m[1]] = m[2]
	}
	if len(commands) != 6 {
		t.Fatalf("contrib/nagios/check_arp.cfg defines %d commands, want 6: %v", len(commands), commands)
	}
	example := readRepo(t, "contrib/nagios/metallb.cfg")
	uses := regexp.MustCompile(`(?m)^\s*check_command\s+(\S+)$`).FindAllStringSubmatch(example, -1)
	if len(uses) == 0 {
		t.Fatal("contrib/nagios/metallb.cfg has no check_command")
	}
	for _, u := range uses {
		parts := strings.Split(u[1], "!")
		line, ok := commands[parts[0]]
		if !ok {
			t.Errorf("metallb.cfg uses undefined command %s", parts[0])
			continue
		}
		line = strings.ReplaceAll(line, "$HOSTADDRESS$", lab.HealthyIP)
		line = strings.ReplaceAll(line, "$_HOSTADDRESS6$", lab.HealthyIP6)
		for i, arg := range parts[1:] {
			line = strings.ReplaceAll(line, "$ARG"+string(rune('1'+i))+"$", arg)
		}
		args := strings.Fields(line)
		if args[0] != "$USER1$/check_arp" {
			t.Errorf("%s runs %s, want $USER1$/check_arp", parts[0], args[0])
		}
		parses(t, "contrib/nagios "+parts[0], args[1:])
	}
	// Every command, with the arguments its comment describes.
	macs := "02:00:00:00:00:0a=node-a,02:00:00:00:00:0b=node-b"
	samples := map[string][]string{
		"check_arp":                        nil,
		"check_arp_expect":                 {macs},
		"check_arp_expect_owner":           {macs, "node-a"},
		"check_arp_file":                   {"/etc/check_arp/prod.allow"},
		"check_arp_expect_thresholds":      {macs, "200,40%", "500,80%"},
		"check_arp_ipv6_expect_thresholds": {macs, "200,40%", "500,80%"},
	}
	for name, line := range commands {
		args, ok := samples[name]
		if !ok {
			t.Errorf("no sample arguments for command %s", name)
			continue
		}
		line = strings.ReplaceAll(line, "$HOSTADDRESS$", lab.HealthyIP)
		line = strings.ReplaceAll(line, "$_HOSTADDRESS6$", lab.HealthyIP6)
		for i, arg := range args {
			line = strings.ReplaceAll(line, "$ARG"+string(rune('1'+i))+"$", arg)
		}
		if strings.Contains(strings.TrimPrefix(line, "$USER1$"), "$") {
			t.Errorf("command %s takes more arguments than %q: %s", name, args, line)
			continue
		}
		parses(t, "contrib/nagios "+name, strings.Fields(line)[1:])
	}
}

// TestIcingaCommandCoversEveryFlag compares the CheckCommand's arguments
// with kong's model of the command line.
func TestIcingaCommandCoversEveryFlag(t *testing.T) {
	conf := readRepo(t, "contrib/icinga2/check_arp.conf")
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\t\t"(-[^"]+)" = \{`).FindAllStringSubmatch(conf, -1) {
		keys[m[1]] = true
	}
	app, err := cli.Model("test")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, f := range app.Flags {
		if f.Name == "help" || f.Name == "version" {
			continue
		}
		form := "--" + f.Name
		if f.Short != 0 {
			form = "-" + string(f.Short)
		}
		flags[form] = true
		if !keys[form] {
			t.Errorf("the CheckCommand has no argument %q (--%s)", form, f.Name)
		}
	}
	for k := range keys {
		if !flags[k] {
			t.Errorf("the CheckCommand passes %q, which check_arp does not know", k)
		}
	}
	for _, m := range regexp.MustCompile(`\$([a-z_]+)\$`).FindAllStringSubmatch(conf, -1) {
		if !strings.HasPrefix(m[1], "arp_") && m[1] != "address" {
			t.Errorf("the CheckCommand uses $%s$; its variables start with arp_", m[1])
		}
	}
	for _, want := range []string{`vars.arp_address = "$address$"`, `repeat_key = true`, `set_if = "$arp_verbose$"`, `set_if = "$arp_no_state$"`, `command = [ PluginDir + "/check_arp" ]`} {
		if !strings.Contains(conf, want) {
			t.Errorf("the CheckCommand lacks %s", want)
		}
	}
	if n, f, d := strings.Count(conf, "value = "), strings.Count(conf, "set_if = "), strings.Count(conf, "description = "); d != len(keys) || n+f != len(keys) {
		t.Errorf("%d arguments, %d values, %d switches, %d descriptions: every argument wants a value or set_if, and a description", len(keys), n, f, d)
	}
}

// TestIcingaExampleAllowlistParses feeds the example's arp_expect array to
// check_arp the way the CheckCommand does (-e per entry).
func TestIcingaExampleAllowlistParses(t *testing.T) {
	example := readRepo(t, "contrib/icinga2/example-metallb.conf")
	m := regexp.MustCompile(`(?s)vars\.arp_expect = \[(.*?)\]`).FindStringSubmatch(example)
	if m == nil {
		t.Fatal("no vars.arp_expect array in the example")
	}
	args := []string{"-H", lab.HealthyIP}
	for _, e := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
		args = append(args, "-e", e[1])
	}
	if len(args) != 8 {
		t.Errorf("the example allows %d MACs, want 3", (len(args)-2)/2)
	}
	parses(t, "contrib/icinga2/example-metallb.conf", args)
	for _, want := range []string{"command_endpoint = host.vars.arp_agent", `check_command = "arp"`, `vars.arp_address = "$address6$"`} {
		if !strings.Contains(example, want) {
			t.Errorf("the example lacks %s", want)
		}
	}
}

// TestPackagesShipContrib checks that nfpm.yaml installs every contrib
// file as an example, in the rpm marked as documentation (nfpm expands no
// globs in doc entries, so the rpm names each file).
func TestPackagesShipContrib(t *testing.T) {
	nfpm := readRepo(t, "packaging/nfpm.yaml")
	err := filepath.WalkDir(filepath.Join(root, "contrib"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.Dir(rel)
		if !strings.Contains(nfpm, "src: "+rel+"\n") && !strings.Contains(nfpm, "src: "+dir+"/*\n") {
			t.Errorf("packaging/nfpm.yaml does not ship %s", rel)
		}
		rpmDoc := "src: " + rel + "\n    dst: /usr/share/doc/check-arp/examples/" + strings.TrimPrefix(filepath.ToSlash(rel), "contrib/") + "\n    packager: rpm\n    type: doc\n"
		if !strings.Contains(nfpm, rpmDoc) {
			t.Errorf("packaging/nfpm.yaml does not ship %s as documentation in the rpm", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dst: /usr/lib/nagios/plugins/check_arp", "dst: /usr/lib64/nagios/plugins/check_arp", "postinstall: packaging/postinstall.sh", "dst: /usr/share/man/man1/check_arp.1.gz"} {
		if !strings.Contains(nfpm, want) {
			t.Errorf("packaging/nfpm.yaml lacks %q", want)
		}
	}
}

// TestCheckmkLocalCheckParses runs the local check's command line for each
// of its addresses through check_arp's parser, and asserts the format.
func TestCheckmkLocalCheckParses(t *testing.T) {
	script := readRepo(t, "contrib/checkmk/check_arp_local")
	var addresses, args []string
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "for address in "); ok {
			addresses = strings.Fields(strings.TrimSuffix(rest, "; do"))
		}
		if rest, ok := strings.CutPrefix(l, `"$plugin" `); ok {
			args = strings.Fields(rest)
		}
	}
	if len(addresses) == 0 || !slices.Contains(args, "checkmk") {
		t.Fatalf("contrib/checkmk/check_arp_local: addresses %q, arguments %q", addresses, args)
	}
	for _, a := range addresses {
		parses(t, "contrib/checkmk/check_arp_local", strings.Fields(strings.ReplaceAll(strings.Join(args, " "), `"$address"`, a)))
	}
}

// TestSystemdUnitCommandsParse runs each ExecStart of the textfile
// service through check_arp's parser.
func TestSystemdUnitCommandsParse(t *testing.T) {
	n := 0
	for _, l := range strings.Split(readRepo(t, "contrib/systemd/check-arp-textfile.service"), "\n") {
		if strings.HasPrefix(l, "ExecStart=") {
			n++
			args := pluginArgs(t, "contrib/systemd", l)
			if !slices.Contains(args, "--write") || !slices.Contains(args, "openmetrics") {
				t.Errorf("contrib/systemd: %q writes no openmetrics file", l)
			}
			parses(t, "contrib/systemd", args)
		}
	}
	if n == 0 {
		t.Error("contrib/systemd: no ExecStart")
	}
}
