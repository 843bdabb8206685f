package manpage

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/cli"
)

func render(t *testing.T) string {
	t.Helper()
	app, err := cli.Model("1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, app, "1.2.3", time.Date(2025, 11, 25, 23, 59, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// unroff undoes the escaping, so the page's text compares with --help's.
func unroff(s string) string {
	return strings.NewReplacer(`\-`, "-", `\e`, `\`, `\fB`, "", `\fI`, "", `\fR`, "", `\&`, "").Replace(s)
}

// helpFlag matches a flag line of --help: "  -H, --host=ADDRESS   text".
var helpFlag = regexp.MustCompile(`^\s+(?:-(\w), )?--([\w-]+)(?:=(\S+))?\s+(.*)$`)

// TestEveryHelpFlagIsDocumented compares the page with what the binary's
// --help prints: every flag, its short form, placeholder and help text.
func TestEveryHelpFlagIsDocumented(t *testing.T) {
	var help bytes.Buffer
	if _, err := cli.Parse([]string{"--help"}, &help, "1.2.3"); !errors.Is(err, cli.ErrShown) {
		t.Fatalf("--help: %v", err)
	}
	page := unroff(render(t))
	type flag struct{ short, long, placeholder, text string }
	var flags []flag
	for _, line := range strings.Split(help.String(), "\n") {
		if m := helpFlag.FindStringSubmatch(line); m != nil {
			flags = append(flags, flag{m[1], m[2], m[3], m[4]})
			continue
		}
		// A continuation of the previous flag's wrapped help text.
		if len(flags) > 0 && strings.HasPrefix(line, "      ") && strings.TrimSpace(line) != "" {
			flags[len(flags)-1].text += " " + strings.TrimSpace(line)
		}
	}
	if len(flags) < 12 {
		t.Fatalf("read only %d flags from --help:\n%s", len(flags), help.String())
	}
	for _, f := range flags {
		form := "--" + f.long
		if f.placeholder != "" {
			form += "=" + f.placeholder
		}
		if f.short != "" {
			form = "-" + f.short + ", " + form
		}
		if !strings.Contains(page, "\n"+form) {
			t.Errorf("the man page lacks the option %q", form)
		}
		if !strings.Contains(page, "\n"+f.text) {
			t.Errorf("the man page lacks the help of %s: %q", form, f.text)
		}
	}
	for _, want := range []string{"--count=N", "CHECK_ARP 1 \"2025-11-25\" \"check_arp 1.2.3\"", "check_arp - checks that an IPv4 or IPv6 address"} {
		if !strings.Contains(page, want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
}

// TestExamplesParse runs every example through the real parser.
func TestExamplesParse(t *testing.T) {
	allow := filepath.Join(t.TempDir(), "prod.allow")
	if err := os.WriteFile(allow, []byte("02:00:00:00:00:0a node-a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, e := range Examples {
		args := strings.Fields(strings.ReplaceAll(e.Args, "/etc/check_arp/prod.allow", allow))
		if _, err := cli.Parse(args, &bytes.Buffer{}, "test"); err != nil {
			t.Errorf("example %q: %v", e.Args, err)
		}
	}
}

// TestGroffAcceptsPage renders the page with every warning enabled.
func TestGroffAcceptsPage(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed (Debian: groff-base)")
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(render(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff: %v: %s", err, stderr.String())
	}
}

func TestSameInputSamePage(t *testing.T) {
	first := render(t)
	if second := render(t); first != second {
		t.Error("two renderings differ")
	}
}
