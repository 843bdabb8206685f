// Package targets reads the list of addresses one run checks: -H values
// (repeatable, comma-separated) and a hosts file, each entry a single IPv4
// or IPv6 address or a range written the way MetalLB's IPAddressPool writes
// them (198.51.100.10-198.51.100.20, 198.51.100.64/28, 2001:db8::10-2001:db8::1f,
// 2001:db8::/124). The result is deduplicated, in the order the operator
// wrote it, and bounded: no entry is expanded before its size is known to
// fit.
//
// A CIDR range includes its first and last address. MetalLB hands out every
// address of a pool's CIDR, network and broadcast address included (its
// allocator walks the whole prefix), unless the pool sets avoidBuggyIPs,
// which skips every IPv4 address ending in .0 or .255. A check that skipped
// them silently would never look at a VIP MetalLB may assign, so they are
// checked unless Options.AvoidBuggyIPs mirrors the pool's setting.
//
// Unlike MetalLB, a CIDR with host bits set (198.51.100.70/28) is refused:
// MetalLB quietly widens it to 198.51.100.64/28, but on a check's command
// line it more often is an interface address pasted from `ip addr`, meaning
// one address, and guessing would probe fifteen addresses nobody asked for.
package targets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"strings"

	"github.com/check-arp/check_arp/internal/regularfile"
)

// Limits. One run checks at most MaxAddresses addresses: enough for a
// /20 pool or a large keepalived fleet, small enough that a run stays
// polite on the wire and bounded in memory.
const (
	MaxAddresses = 4096
	// MaxFileSize bounds the hosts file: 4096 lines of a long IPv6 range and
	// a label fit many times over.
	MaxFileSize = 1 << 20
	// MaxLabelLen fits a Kubernetes "namespace/name" (63 characters each).
	MaxLabelLen = 127
	maxLineLen  = 1024
)

// Target is one address to check.
type Target struct {
	// Addr is the address, IPv4 or IPv6, unmapped and without zone.
	Addr netip.Addr
	// Interface is the interface named by the address's zone
	// (fe80::1%eth0) or by Options.Interface; "" means the route to the
	// address decides.
	Interface string
	// Label names the address in the output (a service name); "" if none.
	Label string
}

// Options change how entries are read.
type Options struct {
	// Interface is the interface named with -I, if any. It lets link-local
	// IPv6 addresses go without a zone, and a zone must agree with it.
	Interface string
	// AvoidBuggyIPs skips IPv4 addresses ending in .0 or .255 when a range
	// is expanded, as a MetalLB pool with avoidBuggyIPs: true never assigns
	// them. An address named on its own is always checked.
	AvoidBuggyIPs bool
}

// Error is a mistake in the target list: one sentence that names the bad
// entry and says how to fix it.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// fail builds an Error. Control characters from the operator's input are
// escaped, so the message stays one line of plugin output.
func fail(format string, args ...any) error {
	var b strings.Builder
	for _, r := range fmt.Sprintf(format, args...) {
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return &Error{b.String()}
}

// labelRank orders where a label came from: a label given to one address
// beats a label given to a whole range that includes it.
type labelRank uint8

const (
	noLabel labelRank = iota
	rangeLabel
	singleLabel
)

type key struct {
	addr  netip.Addr
	iface string
}

// Set collects targets from several sources. The zero value is not usable;
// call NewSet.
type Set struct {
	opts  Options
	index map[key]int
	list  []Target
	rank  []labelRank
}

// NewSet returns an empty set.
func NewSet(opts Options) *Set {
	return &Set{opts: opts, index: make(map[key]int)}
}

// Len returns how many distinct addresses the set holds.
func (s *Set) Len() int { return len(s.list) }

// Targets returns the addresses in the order they were first given.
func (s *Set) Targets() []Target { return append([]Target(nil), s.list...) }

// Parse reads -H values and, if file is not "", a hosts file, in that order.
func Parse(hosts []string, file string, opts Options) ([]Target, error) {
	s := NewSet(opts)
	for _, h := range hosts {
		if err := s.AddFlag(h); err != nil {
			return nil, err
		}
	}
	if file != "" {
		if err := s.ReadFile(file); err != nil {
			return nil, err
		}
	}
	if s.Len() == 0 {
		return nil, fail("no target: name the IPv4 or IPv6 addresses to check with -H (198.51.100.10, 198.51.100.10-198.51.100.20, 198.51.100.64/28) or list them with --hosts-file")
	}
	return s.Targets(), nil
}

// AddFlag adds one -H value: entries separated by commas.
func (s *Set) AddFlag(value string) error {
	for entry := range strings.SplitSeq(value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return fail("-H %q has an empty entry; separate addresses and ranges with single commas", value)
		}
		if err := s.add(entry, "", "-H "); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile adds the entries of the hosts file at path. The file must be a
// regular file of at most MaxFileSize bytes; it is opened without blocking,
// so a FIFO cannot hang the check.
func (s *Set) ReadFile(path string) error {
	fh, err := regularfile.Open(path)
	if errors.Is(err, regularfile.ErrNotRegular) {
		return fail("--hosts-file %s is not a regular file; give a file with one address or range per line", path)
	}
	if err != nil {
		return fail("--hosts-file %s cannot be read (%v); check the path and that the check's user may read it", path, err)
	}
	defer fh.Close()
	return s.Read(fh, path)
}

// Read adds the entries of a hosts file read from r: one address or range
// per line, optionally followed by whitespace and a label; blank lines and
// everything from '#' on are ignored. name is used in messages only.
func (s *Set) Read(r io.Reader, name string) error {
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 256), maxLineLen)
	line := 0
	for sc.Scan() {
		line++
		if lr.N == 0 {
			break
		}
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		where := fmt.Sprintf("--hosts-file %s line %d: ", name, line)
		switch len(fields) {
		case 0:
			continue
		case 1, 2:
		default:
			if len(fields) >= 3 && (fields[1] == "-" || strings.HasSuffix(fields[0], "-") || strings.HasPrefix(fields[1], "-")) {
				return fail("%s%.60q has spaces in a range; write it without spaces (198.51.100.10-198.51.100.20)", where, strings.TrimSpace(text))
			}
			return fail("%s%.60q has %d words; write one address or range and an optional label without spaces", where, strings.TrimSpace(text), len(fields))
		}
		if strings.Contains(fields[0], ",") {
			return fail("%s%.60q lists several entries; write one address or range per line", where, fields[0])
		}
		label := ""
		if len(fields) == 2 {
			label = fields[1]
		}
		if err := s.add(fields[0], label, where); err != nil {
			return err
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return fail("--hosts-file %s line %d is longer than %d bytes; is this a hosts file?", name, line+1, maxLineLen)
	case err != nil:
		return fail("--hosts-file %s cannot be read (%v); check the file", name, err)
	case lr.N == 0:
		return fail("--hosts-file %s is larger than %d bytes; list at most %d addresses, as ranges where they are contiguous", name, MaxFileSize, MaxAddresses)
	}
	return nil
}

// add parses one entry and adds its addresses. where prefixes messages
// ("-H " or "--hosts-file F line N: ").
func (s *Set) add(entry, label, where string) error {
	if err := checkLabel(label); err != nil {
		return fail("%s%.60q: %s", where, entry, err)
	}
	// A single address first: a zone may contain '-' (fe80::1%br-lan). An
	// interface name never contains ':', so "fe80::1%eth0-fe80::5" is a
	// range with a zone, not an address.
	if a, err := netip.ParseAddr(entry); err == nil && !strings.Contains(a.Zone(), ":") {
		return s.addSingle(a, entry, label, where)
	}
	var first, last netip.Addr
	switch {
	case strings.Contains(entry, "/"):
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return fail("%s%.60q is not an address or CIDR range; write it as 198.51.100.64/28 or 2001:db8::/124", where, entry)
		}
		if p.Addr().Is4In6() {
			return fail("%s%s is an IPv4 range written as IPv6; write it in IPv4 notation (198.51.100.64/28)", where, entry)
		}
		if p.Masked() != p {
			return fail("%s%s has host bits set; write the network %s for the whole range, or %s alone for one address", where, entry, p.Masked(), p.Addr())
		}
		if host := p.Addr().BitLen() - p.Bits(); host > 12 { // 2^13 > MaxAddresses
			return fail("%s%s holds 2^%d addresses, more than the %d one run checks; list the addresses in use, or split the range across several checks", where, entry, host, MaxAddresses)
		}
		first, last = p.Addr(), lastOf(p)
	case strings.Contains(entry, "-"):
		lo, hi, _ := strings.Cut(entry, "-")
		var err error
		if first, err = parseEnd(lo); err != nil {
			return fail("%s%.60q: the range's start %.40q is not an IP address; write ranges as 198.51.100.10-198.51.100.20", where, entry, strings.TrimSpace(lo))
		}
		if last, err = parseEnd(hi); err != nil {
			return fail("%s%.60q: the range's end %.40q is not an IP address; write ranges as 198.51.100.10-198.51.100.20", where, entry, strings.TrimSpace(hi))
		}
		if first.Zone() != "" || last.Zone() != "" {
			return fail("%s%q: a range takes no zone; drop the zones and name the interface with -I", where, entry)
		}
		first, last = first.Unmap(), last.Unmap()
		switch {
		case first.Is4() != last.Is4():
			return fail("%s%s mixes IPv4 and IPv6; write one range per family", where, entry)
		case last.Less(first):
			return fail("%s%s ends before it starts; write the lower address first (%s-%s)", where, entry, last, first)
		}
		if n, ok := span(first, last); !ok {
			return fail("%s%s holds %s addresses, more than the %d one run checks; list the addresses in use, or split the range across several checks", where, entry, n, MaxAddresses)
		}
	default:
		return fail("%s%.60q is not an IP address or range; write 198.51.100.10, 198.51.100.10-198.51.100.20 or 198.51.100.64/28 (names are not resolved)", where, entry)
	}
	return s.addRange(first, last, entry, label, where)
}

// parseEnd parses one end of an "A-B" range; MetalLB allows spaces around
// the dash.
func parseEnd(s string) (netip.Addr, error) { return netip.ParseAddr(strings.TrimSpace(s)) }

func (s *Set) addSingle(a netip.Addr, entry, label, where string) error {
	iface := s.opts.Interface
	if zone := a.Zone(); zone != "" {
		if iface != "" && iface != zone {
			return fail("%s%s names interface %s as its zone but -I names %s; give the interface once", where, entry, zone, iface)
		}
		iface = zone
		a = a.WithZone("")
	}
	a = a.Unmap()
	if err := CheckAddr(a, iface); err != nil {
		return fail("%s%s", where, err)
	}
	rank := noLabel
	if label != "" {
		rank = singleLabel
	}
	if err := s.put(Target{Addr: a, Interface: iface, Label: label}, rank); err != nil {
		return fail("%s%s %s", where, a, err)
	}
	return nil
}

// addRange adds first..last; the caller has checked that the range holds
// at most MaxAddresses addresses, so the walk is bounded.
func (s *Set) addRange(first, last netip.Addr, entry, label, where string) error {
	rank := noLabel
	if label != "" {
		rank = rangeLabel
	}
	// Check the whole range first: an entry with one unusable address is
	// refused whole, with the first such address named.
	for a := first; ; a = a.Next() {
		if err := CheckAddr(a, s.opts.Interface); err != nil {
			var ae *AddrError
			if errors.As(err, &ae) && ae.Addr.Is6() && ae.Addr.IsLinkLocalUnicast() {
				return fail("%s%s is a range of link-local addresses, which every link has; name their interface with -I", where, entry)
			}
			return fail("%s%s includes %s, which cannot be checked (it %s); %s", where, entry, ae.Addr, ae.Reason, ae.Fix)
		}
		if a == last {
			break
		}
	}
	for a := first; ; a = a.Next() {
		if !(s.opts.AvoidBuggyIPs && buggy(a)) {
			if err := s.put(Target{Addr: a, Interface: s.opts.Interface, Label: label}, rank); err != nil {
				return fail("%s%s: %s %s", where, entry, a, err)
			}
		}
		if a == last {
			return nil
		}
	}
}

// put adds t, or merges its label into the entry already there. Its
// errors are the end of a sentence that starts with the address.
func (s *Set) put(t Target, rank labelRank) error {
	k := key{t.Addr, t.Interface}
	if i, ok := s.index[k]; ok {
		old := &s.list[i]
		switch {
		case rank > s.rank[i]:
			old.Label, s.rank[i] = t.Label, rank
		case rank == s.rank[i] && rank != noLabel && old.Label != t.Label:
			return fmt.Errorf("is labeled both %q and %q; give it one label", old.Label, t.Label)
		}
		return nil
	}
	if len(s.list) >= MaxAddresses {
		return fmt.Errorf("is one address too many: a run checks at most %d; split the targets across several checks (one hosts file per pool)", MaxAddresses)
	}
	s.index[k] = len(s.list)
	s.list = append(s.list, t)
	s.rank = append(s.rank, rank)
	return nil
}

// AddrError says why one address cannot be checked.
type AddrError struct {
	Addr   netip.Addr
	Reason string // "is a loopback address, which never appears on a network segment"
	Fix    string // "give an address of the segment"
}

func (e *AddrError) Error() string { return fmt.Sprintf("%s %s; %s", e.Addr, e.Reason, e.Fix) }

// CheckAddr returns an *AddrError if a cannot be checked on the interface
// iface ("" when the route decides), else nil. a must be unmapped and
// without zone. These are the rules for a single -H address too.
func CheckAddr(a netip.Addr, iface string) error {
	bad := func(reason, fix string) error { return &AddrError{Addr: a, Reason: reason, Fix: fix} }
	switch {
	case !a.IsValid():
		return bad("is not an address", "give the unicast IPv4 or IPv6 address to check")
	case a.Is6() && a.IsUnspecified():
		return bad("is the unspecified address, which cannot own a MAC address", "give the unicast IPv6 address to check")
	case a.Is6() && a.IsMulticast():
		return bad("is a multicast address, which cannot own a MAC address", "give the unicast IPv6 address to check")
	case a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return bad("cannot own a MAC address", "give the unicast IPv4 address to check")
	case a.IsLoopback():
		return bad("is a loopback address, which never appears on a network segment", "give an address of the segment")
	case a.Is6() && a.IsLinkLocalUnicast() && iface == "":
		return bad("is a link-local address, which every link has", fmt.Sprintf("name its interface with -I or as a zone (-H %s%%eth0)", a))
	}
	return nil
}

// checkLabel keeps labels to characters every output format carries
// unquoted and unescaped: Nagios perfdata labels, Checkmk service names,
// OpenMetrics label values, JSON strings.
func checkLabel(label string) error {
	if len(label) > MaxLabelLen {
		return fmt.Errorf("the label is longer than %d characters; shorten it", MaxLabelLen)
	}
	for _, r := range label {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:/@+", r)) {
			return fmt.Errorf("the label %.40q contains %q; use letters, digits and . _ - : / @ +", label, r)
		}
	}
	return nil
}

// buggy reports an IPv4 address ending in .0 or .255, which MetalLB's
// avoidBuggyIPs never assigns.
func buggy(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b[3] == 0 || b[3] == 255
}

// lastOf returns the last address of the masked prefix p.
func lastOf(p netip.Prefix) netip.Addr {
	hi, lo := split(p.Addr())
	host := uint(p.Addr().BitLen() - p.Bits())
	switch {
	case host >= 64:
		hi |= 1<<(host-64) - 1
		lo = ^uint64(0)
	case host > 0:
		lo |= 1<<host - 1
	}
	return join(hi, lo, p.Addr().Is4())
}

// span returns how many addresses first..last holds, as a string for
// messages, and whether that is at most MaxAddresses.
func span(first, last netip.Addr) (string, bool) {
	fh, fl := split(first)
	lh, ll := split(last)
	lo, borrow := bits.Sub64(ll, fl, 0)
	hi, _ := bits.Sub64(lh, fh, borrow)
	if hi != 0 || lo == ^uint64(0) {
		return "more than 2^64", false
	}
	n := lo + 1
	return fmt.Sprint(n), n <= MaxAddresses
}

// split returns a as a 128-bit number (IPv4 in the low 32 bits).
func split(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		b := a.As4()
		return 0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	}
	b := a.As16()
	for i := range 8 {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return hi, lo
}

func join(hi, lo uint64, is4 bool) netip.Addr {
	if is4 {
		return netip.AddrFrom4([4]byte{byte(lo >> 24), byte(lo >> 16), byte(lo >> 8), byte(lo)})
	}
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(hi >> (8 * i))
		b[15-i] = byte(lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}
