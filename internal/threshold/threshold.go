// Package threshold parses Monitoring Plugins ranges ("10", "10:", "~:10",
// "10:20", "@10:20") and check_icmp-style "RTA,PL%" threshold pairs.
package threshold

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Range is a Monitoring Plugins threshold range. A value alerts when it lies
// outside [Start, End], or inside it when Inside is set (the '@' form).
type Range struct {
	Start, End     float64
	NoStart, NoEnd bool // "~:" start and open end
	Inside         bool
}

// ErrRange is wrapped by every ParseRange error.
var ErrRange = errors.New("not a threshold range")

// maxNumberLen bounds one number so that nobody pastes a novel into -w.
const maxNumberLen = 24

// ParseRange reads a range in the Monitoring Plugins syntax.
func ParseRange(s string) (Range, error) {
	var r Range
	fail := func(why string) (Range, error) {
		return Range{}, fmt.Errorf("%q: %w: %s (forms: 10, 10:, ~:10, 10:20, @10:20)", s, ErrRange, why)
	}
	body := s
	if strings.HasPrefix(body, "@") {
		r.Inside = true
		body = body[1:]
	}
	if body == "" {
		return fail("it is empty")
	}
	start, end, hasColon := strings.Cut(body, ":")
	if !hasColon {
		// "10" means 0:10.
		v, ok := parseNumber(body)
		if !ok {
			return fail("expected a number")
		}
		r.End = v
		if r.End < 0 {
			return fail("a single number is the end of 0:N and cannot be negative")
		}
		return r, nil
	}
	switch start {
	case "~":
		r.NoStart = true
	case "":
		// ":10" is read as "0:10", as the C library does.
	default:
		v, ok := parseNumber(start)
		if !ok {
			return fail("the start is not a number")
		}
		r.Start = v
	}
	if end == "" {
		r.NoEnd = true
	} else {
		v, ok := parseNumber(end)
		if !ok {
			return fail("the end is not a number")
		}
		r.End = v
	}
	if !r.NoStart && !r.NoEnd && r.Start > r.End {
		return fail("the start is greater than the end")
	}
	return r, nil
}

// parseNumber accepts plain decimal numbers only: an optional sign, digits,
// an optional fraction. No exponents, hex, Inf or NaN.
func parseNumber(s string) (float64, bool) {
	if s == "" || len(s) > maxNumberLen {
		return 0, false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// Alert reports whether v is outside the range (or inside, for '@').
func (r Range) Alert(v float64) bool {
	outside := (!r.NoStart && v < r.Start) || (!r.NoEnd && v > r.End)
	if r.Inside {
		return !outside
	}
	return outside
}

// String returns the range in canonical Monitoring Plugins syntax, as it
// belongs in the warn and crit fields of performance data.
func (r Range) String() string {
	var b strings.Builder
	if r.Inside {
		b.WriteByte('@')
	}
	switch {
	case r.NoStart:
		b.WriteString("~:")
	case r.Start != 0 || r.NoEnd:
		b.WriteString(exact(r.Start))
		b.WriteByte(':')
	case r.Inside:
		// "@10" alerts inside 0:10; keep the explicit start readable.
		b.WriteString("0:")
	}
	if !r.NoEnd {
		b.WriteString(exact(r.End))
	}
	return b.String()
}

// exact formats a threshold as the operator gave it, without rounding.
func exact(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// FormatNumber formats v in the C locale with at most three decimals and no
// trailing zeros, as performance data wants it.
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Pair is one -w or -c value: a round-trip average threshold in
// milliseconds and a packet-loss threshold in percent, either optional.
type Pair struct {
	RTA, PL       Range
	HasRTA, HasPL bool
}

// ParsePair reads a check_icmp-style threshold: "RTA,PL%" (200,40%), or one
// part alone: "200" (rta only) or "40%" (loss only). Each part may be a full
// range ("~:200", "@10:20", "50:%"). The rta is in milliseconds.
func ParsePair(s string) (Pair, error) {
	var p Pair
	if strings.TrimSpace(s) == "" {
		return p, fmt.Errorf("empty threshold: use RTA,PL%% such as 200,40%%")
	}
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return p, fmt.Errorf("%q has %d parts: use RTA,PL%% such as 200,40%%", s, len(parts))
	}
	if len(parts) == 1 && strings.HasSuffix(parts[0], "%") {
		parts = []string{"", parts[0]}
	}
	if rta := strings.TrimSuffix(parts[0], "ms"); rta != "" {
		if strings.HasSuffix(rta, "%") {
			return p, fmt.Errorf("%q: the first part is the rta in ms and takes no %%; use RTA,PL%% such as 200,40%%", s)
		}
		r, err := ParseRange(rta)
		if err != nil {
			return p, fmt.Errorf("rta part of %q: %w", s, err)
		}
		p.RTA, p.HasRTA = r, true
	}
	if len(parts) == 2 && parts[1] != "" {
		r, err := ParseRange(strings.TrimSuffix(parts[1], "%"))
		if err != nil {
			return p, fmt.Errorf("packet loss part of %q: %w", s, err)
		}
		p.PL, p.HasPL = r, true
	}
	if !p.HasRTA && !p.HasPL {
		return p, fmt.Errorf("%q sets neither rta nor loss: use RTA,PL%% such as 200,40%%", s)
	}
	return p, nil
}
