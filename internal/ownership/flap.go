package ownership

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of --flap. A window longer than a week would need a history longer
// than the state file keeps (MaxChanges), and checks run every minute or
// so, so a window under a minute sees at most one change.
const (
	MinFlapCount  = 2
	MaxFlapCount  = MaxChanges
	MinFlapWindow = time.Minute
	MaxFlapWindow = 7 * 24 * time.Hour
)

// ParseFlap reads --flap COUNT/DURATION: "3/1h", "5/30m", "10/1d". DURATION
// is a Go duration (1h30m, 90s) or a whole number of days (2d).
func ParseFlap(s string) (Flap, error) {
	const fix = "; give COUNT/DURATION, e.g. 3/1h (3 changes of owner within an hour)"
	count, window, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Flap{}, fmt.Errorf("--flap %q has no '/'%s", s, fix)
	}
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil {
		return Flap{}, fmt.Errorf("--flap %q: COUNT %q is not a whole number%s", s, count, fix)
	}
	if n < MinFlapCount || n > MaxFlapCount {
		return Flap{}, fmt.Errorf("--flap %q: COUNT must be %d to %d (one change is --moved)", s, MinFlapCount, MaxFlapCount)
	}
	d, err := parseWindow(strings.TrimSpace(window))
	if err != nil {
		return Flap{}, fmt.Errorf("--flap %q: %v%s", s, err, fix)
	}
	if d < MinFlapWindow || d > MaxFlapWindow {
		return Flap{}, fmt.Errorf("--flap %q: DURATION must be 1m to 7d", s)
	}
	return Flap{Count: n, Window: d}, nil
}

func parseWindow(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("DURATION %q is not a number of days like 1d", s)
		}
		// Anything over 8 days is out of range anyway; capping keeps the
		// product from overflowing into range.
		return time.Duration(min(n, 8)) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("DURATION %q is not a duration like 1h, 30m or 1d", s)
	}
	return d, nil
}

// String formats f as --flap takes it, e.g. 3/1h0m0s, or 3/2d for whole
// days.
func (f Flap) String() string {
	if f.Window > 0 && f.Window%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d/%dd", f.Count, f.Window/(24*time.Hour))
	}
	return fmt.Sprintf("%d/%s", f.Count, f.Window)
}
