package lab

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// defaultStateDirs are where check_arp keeps its memory between runs when
// it is given no directory, for the users the tests run it as: root, the
// nagios user of Debian's engines (home /var/lib/nagios), and users
// without a home of their own (/var/tmp/check_arp-UID). Tests keep memory
// in temporary directories only (--no-state, --state-dir, or
// XDG_STATE_HOME), so that they neither read an earlier run's memory nor
// leave any in the machine's home directories.
var defaultStateDirs = []string{"/root/.local/state/check_arp", "/var/lib/nagios/.local/state/check_arp", "/var/tmp/check_arp-*"}

// StateDirs returns the default state directories that exist now, one a
// line. Compare a list taken before the tests with StateDirsCreated after
// them.
func StateDirs() string {
	var b strings.Builder
	for _, pattern := range defaultStateDirs {
		dirs, _ := filepath.Glob(pattern)
		slices.Sort(dirs)
		for _, dir := range dirs {
			fmt.Fprintln(&b, dir)
		}
	}
	return b.String()
}

// StateDirsCreated returns a sentence naming the default state directories
// that exist now but were not in before, or "" when there are none. Only
// creation is told: the machine's own checks (or other test runs) may use
// a directory that existed before.
func StateDirsCreated(before string) string {
	existed := strings.Split(before, "\n")
	var created []string
	for _, dir := range strings.Split(strings.TrimSpace(StateDirs()), "\n") {
		if dir != "" && !slices.Contains(existed, dir) {
			created = append(created, dir)
		}
	}
	if len(created) == 0 {
		return ""
	}
	existedBefore := strings.Join(strings.Fields(before), ", ")
	if existedBefore == "" {
		existedBefore = "none"
	}
	return fmt.Sprintf("the tests created %s: a test let check_arp keep its memory in a default state directory; tests must give it --no-state, a --state-dir or an XDG_STATE_HOME of their own (existed before: %s)",
		strings.Join(created, ", "), existedBefore)
}
