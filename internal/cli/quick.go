package cli

import (
	"strings"
	"time"
	"unicode/utf8"
)

// quickFlags reads the command lines a monitoring engine runs every minute
// (each flag once, with an ordinary value) without kong. kong builds its
// model of Flags by reflection on every run, which cost about a tenth of a
// whole check's CPU time and 0.7 MB of its memory. Anything out of the
// ordinary (help, version, unknown or repeated flags, attached short
// values, values that are empty, start with '-', are not UTF-8, or that the flag's own
// parser refuses) returns false and is left to kong, so that the result is
// kong's in every case: TestQuickFlagsAgreeWithKong and FuzzQuickFlags
// compare the two.
func quickFlags(args []string) (Flags, bool) {
	// The defaults of the struct tags; TestQuickFlagsAgreeWithKong checks
	// them against kong's.
	f := Flags{Packets: 3, Interval: Duration(100 * time.Millisecond), Timeout: Duration(time.Second)}
	var seen uint16
	once := func(bit uint16) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name string
		switch {
		case a == "-v" || a == "--verbose":
			f.Verbose++
			continue
		case a == "-vv" || a == "-vvv":
			f.Verbose += len(a) - 1
			continue
		case len(a) == 2 && a[0] == '-':
			if name = shortFlags[a[1]]; name == "" {
				return f, false
			}
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name = a[2:]
		default:
			return f, false
		}
		value, attached := "", false
		if n, v, ok := strings.Cut(name, "="); ok && len(a) > 2 && a[1] == '-' {
			name, value, attached = n, v, true
		}
		if !attached {
			if i+1 >= len(args) {
				return f, false
			}
			i++
			value = args[i]
		}
		// kong replaces invalid UTF-8; such a value is left to it.
		if value == "" || value[0] == '-' || !utf8.ValidString(value) {
			return f, false
		}
		ok := true
		switch name {
		case "host":
			ok, f.Host = once(1<<0), value
		case "interface":
			ok, f.Interface = once(1<<1), value
		case "source":
			ok, f.Source = once(1<<2), value
		case "packets", "count":
			ok = once(1<<3) && quickInt(value, &f.Packets)
		case "interval":
			ok = once(1<<4) && f.Interval.UnmarshalText([]byte(value)) == nil
		case "timeout":
			ok = once(1<<5) && f.Timeout.UnmarshalText([]byte(value)) == nil
		case "expect":
			if strings.Contains(value, `\`) {
				return f, false
			}
			for _, e := range strings.Split(value, ",") {
				if e == "" {
					return f, false
				}
				f.Expect = append(f.Expect, e)
			}
		case "expect-file":
			ok, f.ExpectFile = once(1<<6), value
		case "warning":
			ok, f.Warning = once(1<<7), value
		case "critical":
			ok, f.Critical = once(1<<8), value
		default:
			return f, false
		}
		if !ok {
			return f, false
		}
	}
	return f, true
}

// shortFlags names the long flag of each short one that takes a value.
var shortFlags = [256]string{
	'H': "host", 'I': "interface", 'S': "source", 'p': "packets", 'i': "interval",
	't': "timeout", 'e': "expect", 'w': "warning", 'c': "critical",
}

// quickInt reads a plain decimal count: digits without a leading zero, short
// enough not to overflow.
func quickInt(s string, n *int) bool {
	if len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	v := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
		v = v*10 + int(c-'0')
	}
	*n = v
	return true
}
