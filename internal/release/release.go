// Package release names package versions after git, so that deb and rpm
// versions of tagged releases and of development builds sort the way they
// were made.
package release

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Build is the state of the tree a package is built from.
type Build struct {
	// Describe is `git describe --tags --long --match 'v[0-9]*'`, empty
	// when no release tag is reachable.
	Describe string
	// Commit is the abbreviated hash of HEAD.
	Commit string
	// Time is HEAD's commit time.
	Time time.Time
	// Dirty is set when tracked files differ from HEAD.
	Dirty bool
}

var (
	describeRE = regexp.MustCompile(`^v(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.]+))?-(\d+)-g([0-9a-f]+)$`)
	commitRE   = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
)

// Version returns the package version of b:
//
//   - on release tag v1.2.3: 1.2.3 (v1.2.3-rc.1: 1.2.3~rc.1, before 1.2.3);
//   - commits after a tag: 1.2.3+git<YYYYMMDDhhmmss>.<commit>, after 1.2.3
//     and before any later release;
//   - no tag yet: 0.0.0~git<YYYYMMDDhhmmss>.<commit>, before every release;
//   - uncommitted changes add ".dirty" to a snapshot version.
//
// The timestamp is the commit time in UTC, so snapshots sort by commit
// date in dpkg and rpm alike.
func Version(b Build) (string, error) {
	if !commitRE.MatchString(b.Commit) {
		return "", fmt.Errorf("commit %q is not an abbreviated git hash", b.Commit)
	}
	snapshot := "git" + b.Time.UTC().Format("20060102150405") + "." + b.Commit
	if b.Dirty {
		snapshot += ".dirty"
	}
	if b.Describe == "" {
		return "0.0.0~" + snapshot, nil
	}
	m := describeRE.FindStringSubmatch(b.Describe)
	if m == nil {
		return "", fmt.Errorf("git describe gave %q; release tags look like v1.2.3 or v1.2.3-rc.1", b.Describe)
	}
	v := m[1]
	if m[2] != "" {
		v += "~" + m[2]
	}
	if m[3] == "0" && !b.Dirty {
		return v, nil
	}
	if !strings.HasPrefix(b.Commit, m[4]) && !strings.HasPrefix(m[4], b.Commit) {
		return "", fmt.Errorf("git describe names commit %s, HEAD is %s", m[4], b.Commit)
	}
	return v + "+" + snapshot, nil
}
