package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every duration flag: no ARP check needs an hour.
const maxDuration = time.Hour

// Duration is a flag value that takes plain seconds ("10", "2.5"), as
// Nagios users type timeouts, or a Go duration ("1500ms", "1m").
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler for kong.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads plain seconds or a Go duration. It refuses zero,
// negative and absurdly long values.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if isPlainNumber(s) {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(sec) || sec > maxDuration.Seconds() {
			return 0, fmt.Errorf("%q is not a duration up to %s", s, maxDuration)
		}
		d = time.Duration(math.Round(sec * float64(time.Second)))
	} else {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: write seconds (2.5) or a value with a unit (1500ms, 2s)", s)
		}
		d = v
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the duration must be positive", s)
	}
	if d > maxDuration {
		return 0, fmt.Errorf("%q is longer than %s", s, maxDuration)
	}
	return d, nil
}

// isPlainNumber reports whether s is digits with at most one '.', such as
// "10" or "2.5"; signs, exponents and words are left to time.ParseDuration,
// which refuses them.
func isPlainNumber(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
