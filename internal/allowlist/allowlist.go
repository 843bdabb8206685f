// Package allowlist holds the MAC addresses that may answer for a target,
// each with an optional label (a node name), read from -e flags or a file.
package allowlist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/check-arp/check_arp/internal/mac"
)

// MaxLabelLen bounds a label so that one line of plugin output stays short.
const MaxLabelLen = 63

// MaxEntries bounds an allowlist; a cluster with more nodes than this on one
// segment is not a case this check is built for.
const MaxEntries = 4096

// List maps allowed MAC addresses to their labels ("" when unlabelled).
// The zero value is an empty list, which allows any single MAC.
type List struct {
	labels map[mac.Addr]string
}

// Len returns how many MAC addresses are allowed.
func (l List) Len() int { return len(l.labels) }

// Allows reports whether a is on the list.
func (l List) Allows(a mac.Addr) bool {
	_, ok := l.labels[a]
	return ok
}

// Label returns a's label, or "" when a is unlabelled or not on the list.
func (l List) Label(a mac.Addr) string { return l.labels[a] }

// Addrs returns the allowed addresses in ascending order.
func (l List) Addrs() []mac.Addr {
	out := make([]mac.Addr, 0, len(l.labels))
	for a := range l.labels {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i][:]) < string(out[j][:]) })
	return out
}

// Add allows a with label. Adding the same MAC twice keeps the first
// non-empty label; two different labels for one MAC are an error, since one
// of them must be a typo.
func (l *List) Add(a mac.Addr, label string) error {
	if a.IsZero() {
		return errors.New("00:00:00:00:00:00 cannot answer ARP or NDP; remove it from the allowlist")
	}
	if err := checkLabel(label); err != nil {
		return err
	}
	if l.labels == nil {
		l.labels = make(map[mac.Addr]string)
	}
	if old, ok := l.labels[a]; ok {
		if old != "" && label != "" && old != label {
			return fmt.Errorf("%s is listed twice, as %q and as %q; keep one label", a, old, label)
		}
		if old == "" {
			l.labels[a] = label
		}
		return nil
	}
	if len(l.labels) >= MaxEntries {
		return fmt.Errorf("more than %d allowed MAC addresses; split the allowlist per segment", MaxEntries)
	}
	l.labels[a] = label
	return nil
}

func checkLabel(label string) error {
	if len(label) > MaxLabelLen {
		return fmt.Errorf("label %.20q... is longer than %d characters", label, MaxLabelLen)
	}
	for _, r := range label {
		// '|' would cut the plugin output into perfdata; control characters
		// and spaces would break the one-line summary.
		if r == '|' || r == ',' || r == '=' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("label %q contains %q; use letters, digits, '.', '-', '_' or ':'", label, r)
		}
	}
	return nil
}

// ParseEntry reads one -e value: "MAC" or "MAC=LABEL".
func ParseEntry(s string) (mac.Addr, string, error) {
	addr, label, _ := strings.Cut(strings.TrimSpace(s), "=")
	a, err := mac.Parse(strings.TrimSpace(addr))
	if err != nil {
		return mac.Addr{}, "", err
	}
	label = strings.TrimSpace(label)
	if err := checkLabel(label); err != nil {
		return mac.Addr{}, "", err
	}
	return a, label, nil
}

// maxLineLen bounds one line of an allowlist file.
const maxLineLen = 1024

// ReadFile adds the entries of an allowlist file to l: one "MAC [LABEL]" per
// line (MAC=LABEL works too), blank lines and '#' comments ignored. name is
// used in error messages only.
func (l *List) ReadFile(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxLineLen), maxLineLen)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		var entry string
		switch len(fields) {
		case 1:
			entry = fields[0]
		case 2:
			if strings.Contains(fields[0], "=") {
				return fmt.Errorf("%s:%d: write either \"MAC LABEL\" or \"MAC=LABEL\", not both", name, line)
			}
			entry = fields[0] + "=" + fields[1]
		default:
			return fmt.Errorf("%s:%d: expected \"MAC [LABEL]\", got %d words", name, line, len(fields))
		}
		a, label, err := ParseEntry(entry)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if err := l.Add(a, label); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than %d bytes; is this an allowlist file?", name, line+1, maxLineLen)
		}
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}
