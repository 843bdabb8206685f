// Package cli reads check_arp's command line into a validated Config.
// Every mistake becomes one sentence that names the bad value and the fix;
// kong's own exit codes never escape.
package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/check-arp/check_arp/internal/allowlist"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/output"
	"github.com/check-arp/check_arp/internal/ownership"
	"github.com/check-arp/check_arp/internal/pace"
	"github.com/check-arp/check_arp/internal/regularfile"
	"github.com/check-arp/check_arp/internal/state"
	"github.com/check-arp/check_arp/internal/targets"
	"github.com/check-arp/check_arp/internal/threshold"
	"github.com/check-arp/check_arp/internal/verdict"
)

// Limits on the probe schedule: enough for any sane check, too little to
// flood a segment.
const (
	MaxPackets  = 100
	MinInterval = 10 * time.Millisecond
)

// Config is a validated command line: what to check, how, and how to
// judge and print the result.
type Config struct {
	// Targets are the addresses to check, at least one, in the order
	// given, each with its interface ("" to find it by route lookup) and
	// label.
	Targets []targets.Target
	// Target is the first address, IPv4 or IPv6, without zone; Interface
	// its interface, "" to find it by route lookup. A check of one
	// address needs no more.
	Target    netip.Addr
	Interface string
	// Rate bounds the requests per second on each interface, for checks
	// of several addresses.
	Rate int
	// Source is the -S address, the zero Addr to pick one; 0.0.0.0 asks
	// for RFC 5227 probes.
	Source netip.Addr
	// Count probes are sent Interval apart.
	Count    int
	Interval time.Duration
	// Timeout bounds the whole check, from its start.
	Timeout time.Duration
	// Unicast asks for the unicast reachability request after the
	// broadcast ones (on unless --no-unicast).
	Unicast bool
	// Policy is what the observation is judged by.
	Policy verdict.Policy
	// Verbosity is the number of -v (at most 3).
	Verbosity int
	// Output is the --output format; Parse sets it even when it returns a
	// usage error, so that the error is reported in that format.
	Output output.Format
	// Write is the --write file, "" for standard output.
	Write string

	// StateDir is the directory of the memory between runs (--state-dir,
	// or state.DefaultDir); "" with --no-state.
	StateDir string
	// Flap is the --flap policy: how many changes of owner within what
	// window are flapping.
	Flap ownership.Flap
}

// Protocol is the protocol the check speaks for the target.
func (c Config) Protocol() string { return verdict.ProtocolOf(c.Target) }

// Flags is the command line as kong reads it; the help of each flag is in
// flagHelp.
type Flags struct {
	Host       []string         `name:"hostname" short:"H" aliases:"host" sep:"none" placeholder:"ADDRESS"`
	Interface  string           `short:"I" placeholder:"NAME"`
	Source     string           `short:"S" placeholder:"ADDRESS"`
	Packets    int              `short:"p" aliases:"count" default:"3" placeholder:"N"`
	Interval   Duration         `short:"i" default:"100ms" placeholder:"DURATION"`
	Timeout    Duration         `short:"t" default:"1s" placeholder:"DURATION"`
	HostsFile  string           `placeholder:"FILE"`
	Rate       int              `default:"${default_rate}" placeholder:"N"`
	Expect     []string         `short:"e" placeholder:"MAC[=LABEL]"`
	ExpectFile string           `placeholder:"FILE"`
	Warning    string           `short:"w" placeholder:"RTA,PL%"`
	Critical   string           `short:"c" placeholder:"RTA,PL%"`
	NoUnicast  bool             `name:"no-unicast"`
	Verbose    int              `short:"v" type:"counter"`
	Output     string           `enum:"${formats}" default:"nagios" placeholder:"FORMAT"`
	Write      string           `placeholder:"FILE"`
	Memory     MemoryFlags      `embed:""`
	Version    kong.VersionFlag `short:"V"`
}

// MemoryFlags are the flags of the memory between runs and of the owner
// the control plane expects.
type MemoryFlags struct {
	ExpectOwner string `placeholder:"LABEL|MAC"`
	Moved       string `placeholder:"STATE" default:"warning"`
	Flap        string `placeholder:"COUNT/DURATION" default:"3/1h"`
	StateDir    string `placeholder:"DIR"`
	NoState     bool
}

// flagHelp is the help of each flag, by name, as --help and the man page
// show it. It is kept out of the struct tags: kong reads every tag
// character by character when it builds the parser, and the help texts,
// most of the tags, were a quarter of the time a check spent reading its
// command line. Only --help and the man page build the parser with them.
var flagHelp = map[string]string{
	"hostname":     "IPv4 or IPv6 address to check; repeatable and comma-separated, with ranges as MetalLB writes them (198.51.100.10-198.51.100.20, 198.51.100.64/28, 2001:db8::/124). An IPv6 link-local address needs its interface, as a zone (fe80::1%eth0) or with -I. --host is the same option.",
	"interface":    "Interface on the target's segment. Default: the interface of the route to the target, which must be directly connected.",
	"source":       "Sender address, of the target's family; must belong to the interface. Default: its address in the target's subnet (IPv6: else its link-local address). 0.0.0.0 sends RFC 5227 probes.",
	"packets":      "Number of requests (ARP requests, IPv6 neighbor solicitations) to send (1-${max_packets}; default ${default}). --count is the same option.",
	"interval":     "Time between requests, in seconds (0.5) or with a unit (200ms). Default ${default}.",
	"timeout":      "Deadline for the whole check, in seconds (10, 2.5) or with a unit (1500ms). Requests unanswered by then are lost. Default ${default}.",
	"hosts-file":   "File of addresses to check: one address or range per line with an optional label (a service name) that the output shows, '#' comments. With -H, both are checked.",
	"rate":         "Requests per second at most on each interface when several addresses are checked (1-${max_rate}; default ${default}).",
	"expect":       "Allowed MAC address with an optional label (a node name); repeatable and comma-separated. Any other answering MAC is CRITICAL.",
	"expect-file":  "File of allowed MACs: one 'MAC [LABEL]' per line, '#' comments.",
	"warning":      "WARNING threshold: round-trip average in ms and packet loss in %, as check_icmp (200,40%); each part may be a range (~:200, @10:20).",
	"critical":     "CRITICAL threshold, as -w. Without a loss threshold any lost request is WARNING.",
	"no-unicast":   "Skip the unicast request: by default, once every request is answered, one more is sent to the answering MAC alone, as a router refreshing its neighbor entry does, and an owner that answers only broadcast requests is WARNING.",
	"verbose":      "More long output: -v adds a per-request timeline, -vv the sending side.",
	"output":       "Output format: nagios (the Monitoring Plugins text), checkmk (a Checkmk local check line), json, or openmetrics (Prometheus text for node_exporter's textfile collector). The exit code is the plugin's in every format. Default ${default}.",
	"write":        "Write the json or openmetrics output to FILE instead of standard output, atomically (a temporary file renamed over it); standard output gets the one-line summary. FILE may not be a symbolic link.",
	"version":      "Print the version and exit.",
	"expect-owner": "The node that should hold the address (the keepalived primary, the node MetalLB's ServiceL2Status names): an allowlist label or a MAC. Another allowed node holding it is WARNING; a MAC outside the allowlist stays CRITICAL.",
	"moved":        "State when the owner changed since the last check: ok, warning or critical (default ${default}). With ok an expected failover stays in the text but not in the state.",
	"flap":         "COUNT changes of owner within DURATION, over many checks, are CRITICAL (flapping), e.g. 5/30m or 10/1d. Default ${default}.",
	"no-state":     "Keep no memory between runs: nothing is read or written, --moved and --flap have no effect and owner_changes and owner_age are left out of the performance data.",
	"state-dir":    "Directory of the memory between runs: one small JSON file per target, safe to delete. Created with mode 0700 when missing; refused (a WARNING, the Layer 2 verdict stands) when it is a symbolic link, owned by another user or writable by others. Default: $XDG_STATE_HOME/check_arp, else ~/.local/state/check_arp in a home directory the user running the check owns, else /var/tmp/check_arp-UID.",
}

// ErrShown is returned by Parse after it printed help or the version. The
// plugin then exits UNKNOWN without further output, as the Monitoring
// Plugins do.
var ErrShown = errors.New("help or version shown")

// UsageError is a mistake on the command line.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

// usage builds a UsageError. Control characters from the operator's input
// are escaped, so the message stays one line of plugin output.
func usage(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	var b strings.Builder
	for _, r := range msg {
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return &UsageError{b.String()}
}

// missingValue is the pattern of kong's complaint about a flag given
// without value. It is compiled only when parsing failed: compiling it at
// start-up cost every check a few percent of its CPU time.
const missingValue = `^(--[a-z-]+): expected .* but got "EOL"`

// exitSignal is what kong's Exit hook panics with, so that printing help
// ends parsing at once instead of going on to complain about flags.
type exitSignal struct{}

// Parse reads args (without the program name). out receives help and
// version text.
func Parse(args []string, out io.Writer, version string) (cfg Config, err error) {
	var f Flags
	parser, err := newParser(&f, out, version, false)
	if err != nil {
		return cfg, err
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitSignal); !ok {
				panic(r)
			}
			err = ErrShown
		}
	}()
	if _, err := parser.Parse(args); err != nil {
		// kong stops at an unknown flag before it sets any field: read
		// --output from args, so the error comes in the chosen format.
		cfg.Output = Flags{Output: lastOutput(args)}.format()
		if m := regexp.MustCompile(missingValue).FindStringSubmatch(err.Error()); m != nil {
			return cfg, usage("%s needs a value; see check_arp --help", m[1])
		}
		return cfg, usage("%s; see check_arp --help", strings.TrimSuffix(err.Error(), "."))
	}
	return f.config()
}

// lastOutput is the value of the last --output in args, "" without one.
func lastOutput(args []string) string {
	var v string
	for i, a := range args {
		if a == "--" {
			break
		}
		if val, ok := strings.CutPrefix(a, "--output="); ok {
			v = val
		} else if a == "--output" && i+1 < len(args) {
			v = args[i+1]
		}
	}
	return v
}

// formatList is the --output enum.
func formatList() string {
	names := make([]string, len(output.Formats))
	for i, f := range output.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ",")
}

// format is the --output format as far as it was read: the default
// until a valid one was given.
func (f Flags) format() output.Format {
	for _, known := range output.Formats {
		if string(known) == f.Output {
			return known
		}
	}
	return output.FormatNagios
}

// newParser builds the kong parser of f. Parse and Model share it, so the
// generated man page describes exactly the flags --help shows.
//
// Without withHelp the parser has no help texts (see flagHelp): kong also
// expands the ${...} variables in every text with a regular expression
// when it builds the parser, which was a fifth of a check's CPU time, and a
// check that runs only reads its flags. When --help is asked for, the help
// printer builds the parser with the texts and prints that one's help.
func newParser(f *Flags, out io.Writer, version string, withHelp bool) (*kong.Kong, error) {
	vars := kong.Vars{"version": "check_arp " + version, "formats": formatList(), "default_rate": fmt.Sprint(pace.DefaultRate)}
	options := []kong.Option{
		kong.Name("check_arp"),
		kong.Writers(out, io.Discard),
		kong.Exit(func(int) { panic(exitSignal{}) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true, NoAppSummary: true}),
	}
	if withHelp {
		vars["max_packets"], vars["max_rate"] = fmt.Sprint(MaxPackets), fmt.Sprint(pace.MaxRate)
		options = append(options,
			kong.Description("Checks that an IPv4 or IPv6 address is answered at Layer 2 (ARP, or NDP neighbor discovery for IPv6) by the machine(s) that should answer it. Run it on a host in the target's segment. Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."),
			kong.PostBuild(func(k *kong.Kong) error {
				for _, flag := range k.Model.Flags {
					if help, ok := flagHelp[flag.Name]; ok {
						flag.Help = help
					}
				}
				return nil
			}),
			kong.Help(func(options kong.HelpOptions, ctx *kong.Context) error {
				fmt.Fprintf(ctx.Stdout, "check_arp %s\n\n%s", version, wrapUsage(Synopsis(ctx.Model), 80))
				return kong.DefaultHelpPrinter(options, ctx)
			}))
	} else {
		options = append(options,
			kong.Help(func(options kong.HelpOptions, ctx *kong.Context) error {
				full, err := newParser(&Flags{}, ctx.Stdout, version, true)
				if err != nil {
					return err
				}
				fullCtx, err := kong.Trace(full, nil)
				if err != nil {
					return err
				}
				return fullCtx.PrintUsage(false)
			}))
	}
	parser, err := kong.New(f, append(options, vars)...)
	if err != nil {
		return nil, fmt.Errorf("building the command line parser: %w", err)
	}
	return parser, nil
}

// Synopsis is the command line in one line, as --help prints it under the
// version: the target first, the other options in brackets, the options
// that print and exit last.
func Synopsis(app *kong.Application) string {
	parts := []string{app.Name}
	var exits []string
	for _, f := range app.Flags {
		if f.Hidden {
			continue
		}
		form := "--" + f.Name
		if f.Short != 0 {
			form = "-" + string(f.Short)
		}
		if !f.IsBool() && !f.IsCounter() {
			form += " " + f.FormatPlaceHolder()
		}
		switch {
		case f.Name == "help" || f.Name == "version":
			exits = append(exits, form)
		case f.Name == "hostname":
			parts = append(parts, form)
		case f.IsCounter():
			parts = append(parts, "["+form+"...]")
		default:
			parts = append(parts, "["+form+"]")
		}
	}
	return strings.Join(parts, " ") + "\n" + app.Name + " " + strings.Join(exits, " | ")
}

// wrapUsage prints each synopsis line after "Usage: ", wrapped at width
// between options and indented under the first option.
func wrapUsage(synopsis string, width int) string {
	const lead = "Usage: "
	var b strings.Builder
	for i, line := range strings.Split(synopsis, "\n") {
		words := strings.Split(line, " [")
		prefix := lead
		if i > 0 {
			prefix = strings.Repeat(" ", len(lead))
		}
		name, _, _ := strings.Cut(line, " ")
		indent := strings.Repeat(" ", len(lead)+len(name)+1)
		cur := prefix + words[0]
		for _, w := range words[1:] {
			w = "[" + w
			if len(cur)+1+len(w) > width {
				b.WriteString(cur + "\n")
				cur = indent + w
				continue
			}
			cur += " " + w
		}
		b.WriteString(cur + "\n")
	}
	return b.String()
}

// Model returns kong's model of the command line (name, description and
// flags with their help as --help prints it), for generated documentation.
func Model(version string) (*kong.Application, error) {
	parser, err := newParser(&Flags{}, io.Discard, version, true)
	if err != nil {
		return nil, err
	}
	return parser.Model, nil
}

// config validates the flags and turns them into a Config.
func (f Flags) config() (Config, error) {
	cfg := Config{Output: f.format()}
	switch {
	case f.Write != "" && cfg.Output != output.FormatJSON && cfg.Output != output.FormatOpenMetrics:
		return cfg, usage("--write takes the json or openmetrics output; add --output openmetrics or --output json, or leave --write out")
	case f.Write != "" && strings.HasSuffix(f.Write, "/"):
		return cfg, usage("--write %s names a directory; name the file to write, e.g. %scheck_arp.prom", f.Write, f.Write)
	}
	cfg.Write = f.Write
	if len(f.Host) == 0 && f.HostsFile == "" {
		return cfg, usage("no target: name the IPv4 or IPv6 address to check with -H, e.g. -H 198.51.100.10 or -H 2001:db8::10")
	}
	list, err := targets.Parse(f.Host, f.HostsFile, targets.Options{Interface: f.Interface})
	if err != nil {
		return cfg, usage("%s", err)
	}
	cfg.Targets = list
	cfg.Target, cfg.Interface = list[0].Addr, list[0].Interface
	if len(list) > 1 {
		// Several addresses share -I (a zone may name its own).
		cfg.Interface = f.Interface
	}
	target := cfg.Target

	if f.Source != "" {
		src, err := netip.ParseAddr(f.Source)
		src = src.Unmap().WithZone("")
		switch {
		case target.Is4() && (err != nil || !src.Is4()):
			return cfg, usage("-S %q is not an IPv4 address; give one of the interface's addresses, or 0.0.0.0 for RFC 5227 probes", f.Source)
		case target.Is6() && (err != nil || !src.Is6()):
			return cfg, usage("-S %q is not an IPv6 address; an IPv6 target is probed from one of the interface's IPv6 addresses (leave -S out to pick one)", f.Source)
		case target.Is6() && src.IsUnspecified():
			return cfg, usage("-S %s would send duplicate address detection probes, which are answered to all nodes rather than to this check; give one of the interface's IPv6 addresses or leave -S out", src)
		}
		for _, t := range list {
			if t.Addr.Is4() != src.Is4() {
				return cfg, usage("-S %s is an %s address but %s is %s: -S sets the sender of one family; leave it out, or check the families in separate runs", src, familyName(src), t.Addr, familyName(t.Addr))
			}
		}
		cfg.Source = src
	}

	if f.Packets < 1 || f.Packets > MaxPackets {
		return cfg, usage("-p %d is out of range; send between 1 and %d requests", f.Packets, MaxPackets)
	}
	interval, timeout := time.Duration(f.Interval), time.Duration(f.Timeout)
	if interval < MinInterval {
		return cfg, usage("-i %s is too short; use at least %s between requests to spare the segment", interval, MinInterval)
	}
	if schedule := time.Duration(f.Packets-1) * interval; timeout <= schedule {
		return cfg, usage("-t %s is too short for %d requests %s apart, which take %s to send; raise -t above %s or send fewer requests", timeout, f.Packets, interval, schedule, schedule)
	}
	cfg.Count, cfg.Interval = f.Packets, interval
	cfg.Timeout = timeout
	cfg.Unicast = !f.NoUnicast
	if f.Rate < 1 || f.Rate > pace.MaxRate {
		return cfg, usage("--rate %d is out of range; send between 1 and %d requests per second", f.Rate, pace.MaxRate)
	}
	cfg.Rate = f.Rate
	if n := len(list); n > 1 {
		if total := n * f.Packets; total > pace.MaxRequests {
			return cfg, usage("%d addresses with %d requests each make %d requests, more than the %d one run sends; send fewer requests (-p) or split the addresses across several checks", n, f.Packets, total, pace.MaxRequests)
		}
		// All addresses on one interface is the longest case.
		if span := pace.NewPlan(n, interval, f.Rate).Span(n, f.Packets); timeout <= span {
			return cfg, usage("-t %s is too short for %d addresses with %d requests each at --rate %d, which take %s to send; raise -t above %s or --rate, or split the addresses across several checks", timeout, n, f.Packets, f.Rate, span.Round(time.Millisecond), span.Round(time.Millisecond))
		}
	}

	for _, e := range f.Expect {
		a, label, err := allowlist.ParseEntry(e)
		if err != nil {
			return cfg, usage("-e %q: %s", e, unquoteErr(err))
		}
		if err := cfg.Policy.Allowed.Add(a, label); err != nil {
			return cfg, usage("-e %q: %s", e, err)
		}
	}
	if f.ExpectFile != "" {
		if err := readAllowlist(&cfg.Policy.Allowed, f.ExpectFile); err != nil {
			return cfg, err
		}
	}

	if f.Warning != "" {
		if cfg.Policy.Warn, err = threshold.ParsePair(f.Warning); err != nil {
			return cfg, usage("-w: %s", err)
		}
	}
	if f.Critical != "" {
		if cfg.Policy.Crit, err = threshold.ParsePair(f.Critical); err != nil {
			return cfg, usage("-c: %s", err)
		}
	}
	cfg.Verbosity = min(f.Verbose, 3)
	if err := f.Memory.memory(&cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// memory validates the flags of the memory between runs and
// --expect-owner. It runs after the allowlist is read, since a label
// names allowlist entries.
func (f MemoryFlags) memory(cfg *Config) error {
	switch strings.ToLower(strings.TrimSpace(f.Moved)) {
	case "ok":
		cfg.Policy.Moved = verdict.OK
	case "warning":
		cfg.Policy.Moved = verdict.Warning
	case "critical":
		cfg.Policy.Moved = verdict.Critical
	default:
		return usage("--moved %q is not a state; give ok, warning or critical", f.Moved)
	}
	flap, err := ownership.ParseFlap(f.Flap)
	if err != nil {
		return usage("%s", err)
	}
	cfg.Flap = flap
	if f.ExpectOwner != "" {
		if err := expectOwner(&cfg.Policy, strings.TrimSpace(f.ExpectOwner)); err != nil {
			return err
		}
	}
	if !f.NoState {
		cfg.StateDir = f.StateDir
		if cfg.StateDir == "" {
			cfg.StateDir = state.DefaultDir()
		}
	}
	return nil
}

// maxLabelsNamed bounds the labels an --expect-owner error lists.
const maxLabelsNamed = 8

// expectOwner reads --expect-owner: a MAC (which an allowlist, if any,
// must allow), else the label of one or more allowlist entries.
func expectOwner(pol *verdict.Policy, name string) error {
	list := &pol.Allowed
	if a, err := mac.Parse(name); err == nil {
		if list.Len() > 0 && !list.Allows(a) {
			return usage("--expect-owner %s is not in the allowlist, so it would be CRITICAL wherever it answers; add it with -e %s=LABEL or expect one of the allowed MACs", a, a)
		}
		pol.ExpectOwner, pol.ExpectOwnerName = []mac.Addr{a}, a.String()
		if label := list.Label(a); label != "" {
			pol.ExpectOwnerName = label
		}
		return nil
	}
	var labels []string
	for _, a := range list.Addrs() {
		label := list.Label(a)
		if label == name {
			pol.ExpectOwner = append(pol.ExpectOwner, a)
		}
		if label != "" && !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
	}
	if len(pol.ExpectOwner) > 0 {
		pol.ExpectOwnerName = name
		return nil
	}
	if len(labels) == 0 {
		return usage("--expect-owner %q is not a MAC address, and the allowlist has no labels to match; give the MAC, or label the nodes with -e MAC=LABEL or --expect-file", name)
	}
	slices.Sort(labels)
	known := strings.Join(labels, ", ")
	if len(labels) > maxLabelsNamed {
		known = strings.Join(labels[:maxLabelsNamed], ", ") + fmt.Sprintf(" and %d more", len(labels)-maxLabelsNamed)
	}
	return usage("--expect-owner %q is not a label of the allowlist (known: %s); give one of them or a MAC address", name, known)
}

// maxAllowlistFile bounds the allowlist file that is read.
const maxAllowlistFile = 1 << 20

func readAllowlist(list *allowlist.List, path string) error {
	fh, err := regularfile.Open(path)
	if errors.Is(err, regularfile.ErrNotRegular) {
		return usage("--expect-file %s is not a regular file; give a file with one 'MAC [LABEL]' per line", path)
	}
	if err != nil {
		return usage("--expect-file %s cannot be read (%s); check the path and that the check's user may read it", path, err)
	}
	defer fh.Close()
	if err := list.ReadFile(io.LimitReader(fh, maxAllowlistFile), path); err != nil {
		return usage("--expect-file: %s", err)
	}
	return nil
}

func unquoteErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "\"") {
		return s[i+2:]
	}
	return s
}

// familyName names an address's family for messages.
func familyName(a netip.Addr) string {
	if a.Is6() {
		return "IPv6"
	}
	return "IPv4"
}
