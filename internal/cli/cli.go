// Package cli reads check_arp's command line into a validated Config.
// Every mistake becomes one sentence that names the bad value and the fix;
// kong's own exit codes never escape.
package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/check-arp/check_arp/internal/allowlist"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
	"github.com/check-arp/check_arp/internal/state"
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
	// Target is the address to check, IPv4 or IPv6, without zone.
	Target netip.Addr
	// Interface is the -I name (or the target's zone), "" to find it by
	// route lookup.
	Interface string
	// Source is the -S address, the zero Addr to pick one; 0.0.0.0 asks
	// for RFC 5227 probes.
	Source netip.Addr
	// Count probes are sent Interval apart.
	Count    int
	Interval time.Duration
	// Timeout bounds the whole check, from its start.
	Timeout time.Duration
	// Policy is what the observation is judged by.
	Policy verdict.Policy
	// Verbosity is the number of -v (at most 3).
	Verbosity int

	// StateDir is the directory of the memory between runs (--state-dir,
	// or state.DefaultDir); "" with --no-state.
	StateDir string
	// Flap is the --flap policy: how many changes of owner within what
	// window are flapping.
	Flap ownership.Flap
}

// Protocol is the protocol the check speaks for the target.
func (c Config) Protocol() string { return verdict.ProtocolOf(c.Target) }

// Flags is the command line as kong reads it.
type Flags struct {
	Host       string           `short:"H" placeholder:"ADDRESS" help:"IPv4 or IPv6 address to check (required). An IPv6 link-local address needs its interface, as a zone (fe80::1%eth0) or with -I."`
	Interface  string           `short:"I" placeholder:"NAME" help:"Interface on the target's segment. Default: the interface of the route to the target, which must be directly connected."`
	Source     string           `short:"S" placeholder:"ADDRESS" help:"Sender address, of the target's family; must belong to the interface. Default: its address in the target's subnet (IPv6: else its link-local address). 0.0.0.0 sends RFC 5227 probes."`
	Packets    int              `short:"p" aliases:"count" default:"3" placeholder:"N" help:"Number of requests (ARP requests, IPv6 neighbor solicitations) to send (1-${max_packets}; default ${default})."`
	Interval   Duration         `short:"i" default:"100ms" placeholder:"DURATION" help:"Time between requests, in seconds (0.5) or with a unit (200ms). Default ${default}."`
	Timeout    Duration         `short:"t" default:"1s" placeholder:"DURATION" help:"Deadline for the whole check, in seconds (10, 2.5) or with a unit (1500ms). Requests unanswered by then are lost. Default ${default}."`
	Expect     []string         `short:"e" placeholder:"MAC[=LABEL]" help:"Allowed MAC address with an optional label (a node name); repeatable and comma-separated. Any other answering MAC is CRITICAL."`
	ExpectFile string           `placeholder:"FILE" help:"File of allowed MACs: one 'MAC [LABEL]' per line, '#' comments."`
	Warning    string           `short:"w" placeholder:"RTA,PL%" help:"WARNING threshold: round-trip average in ms and packet loss in %, as check_icmp (200,40%); each part may be a range (~:200, @10:20)."`
	Critical   string           `short:"c" placeholder:"RTA,PL%" help:"CRITICAL threshold, as -w. Without a loss threshold any lost request is WARNING."`
	Verbose    int              `short:"v" type:"counter" help:"More long output: -v adds a per-request timeline, -vv the sending side."`
	Memory     MemoryFlags      `embed:""`
	Version    kong.VersionFlag `short:"V" help:"Print the version and exit."`
}

// MemoryFlags are the flags of the memory between runs and of the owner
// the control plane expects.
type MemoryFlags struct {
	ExpectOwner string `placeholder:"LABEL|MAC" help:"The node that should hold the address (the keepalived primary, the node MetalLB's ServiceL2Status names): an allowlist label or a MAC. Another allowed node holding it is WARNING; a MAC outside the allowlist stays CRITICAL."`
	Moved       string `placeholder:"STATE" default:"warning" help:"State when the owner changed since the last check: ok, warning or critical (default ${default}). With ok an expected failover stays in the text but not in the state."`
	Flap        string `placeholder:"COUNT/DURATION" default:"3/1h" help:"COUNT changes of owner within DURATION, over many checks, are CRITICAL (flapping), e.g. 5/30m or 10/1d. Default ${default}."`
	StateDir    string `placeholder:"DIR" help:"Directory of the memory between runs: one small JSON file per target, safe to delete. Created with mode 0700 when missing; refused (a WARNING, the Layer 2 verdict stands) when it is a symbolic link, owned by another user or writable by others. Default: $XDG_STATE_HOME/check_arp, else ~/.local/state/check_arp in a home directory the user running the check owns, else /var/tmp/check_arp-UID."`
	NoState     bool   `help:"Keep no memory between runs: nothing is read or written, --moved and --flap have no effect and owner_changes and owner_age are U."`
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

// missingValue matches kong's complaint about a flag given without value.
var missingValue = regexp.MustCompile(`^(--[a-z-]+): expected .* but got "EOL"`)

// exitSignal is what kong's Exit hook panics with, so that printing help
// ends parsing at once instead of going on to complain about flags.
type exitSignal struct{}

// Parse reads args (without the program name). out receives help and
// version text.
func Parse(args []string, out io.Writer, version string) (cfg Config, err error) {
	var f Flags
	parser, err := newParser(&f, out, version)
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
		if m := missingValue.FindStringSubmatch(err.Error()); m != nil {
			return cfg, usage("%s needs a value; see check_arp --help", m[1])
		}
		return cfg, usage("%s; see check_arp --help", strings.TrimSuffix(err.Error(), "."))
	}
	return f.config()
}

// newParser builds the kong parser of f. Parse and Model share it, so the
// generated man page describes exactly the flags --help shows.
func newParser(f *Flags, out io.Writer, version string) (*kong.Kong, error) {
	parser, err := kong.New(f,
		kong.Name("check_arp"),
		kong.Description("Checks that an IPv4 or IPv6 address is answered at Layer 2 (ARP, or NDP neighbor discovery for IPv6) by the machine(s) that should answer it. Run it on a host in the target's segment. Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."),
		kong.Writers(out, io.Discard),
		kong.Exit(func(int) { panic(exitSignal{}) }),
		kong.Vars{"version": "check_arp " + version, "max_packets": fmt.Sprint(MaxPackets)},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
	)
	if err != nil {
		return nil, fmt.Errorf("building the command line parser: %w", err)
	}
	return parser, nil
}

// Model returns kong's model of the command line (name, description and
// flags with their help as --help prints it), for generated documentation.
func Model(version string) (*kong.Application, error) {
	parser, err := newParser(&Flags{}, io.Discard, version)
	if err != nil {
		return nil, err
	}
	return parser.Model, nil
}

// config validates the flags and turns them into a Config.
func (f Flags) config() (Config, error) {
	var cfg Config
	if f.Host == "" {
		return cfg, usage("no target: name the IPv4 or IPv6 address to check with -H, e.g. -H 198.51.100.10 or -H 2001:db8::10")
	}
	target, err := netip.ParseAddr(f.Host)
	if err != nil {
		return cfg, usage("-H %q is not an IP address; give the IPv4 or IPv6 address to check, e.g. -H 198.51.100.10 or -H 2001:db8::10 (names are not resolved)", f.Host)
	}
	target = target.Unmap()
	cfg.Interface = f.Interface
	if zone := target.Zone(); zone != "" {
		// The zone names the interface (fe80::1%eth0), as -I does.
		if f.Interface != "" && f.Interface != zone {
			return cfg, usage("-H %s names interface %s as its zone but -I names %s; give the interface once", f.Host, zone, f.Interface)
		}
		cfg.Interface = zone
		target = target.WithZone("")
	}
	switch {
	case target.Is6() && target.IsUnspecified():
		return cfg, usage("-H %s is the unspecified address, which cannot own a MAC address; give the unicast IPv6 address to check", target)
	case target.Is6() && target.IsMulticast():
		return cfg, usage("-H %s is a multicast address, which cannot own a MAC address; give the unicast IPv6 address to check", target)
	case target.IsUnspecified() || target.IsMulticast() || target == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return cfg, usage("-H %s cannot own a MAC address; give the unicast IPv4 address to check", target)
	case target.IsLoopback():
		return cfg, usage("-H %s is a loopback address, which never appears on a network segment", target)
	case target.Is6() && target.IsLinkLocalUnicast() && cfg.Interface == "":
		return cfg, usage("-H %s is a link-local address, which every link has; name its interface with -I or as a zone (-H %s%%eth0)", target, target)
	}
	cfg.Target = target

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
	fh, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
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
