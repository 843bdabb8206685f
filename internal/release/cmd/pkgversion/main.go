// Command pkgversion prints the package version of the git checkout it
// runs in (see release.Version); make package uses it.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/release"
)

func main() {
	v, err := version()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgversion:", err)
		os.Exit(1)
	}
	fmt.Println(v)
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func version() (string, error) {
	var b release.Build
	var err error
	if b.Commit, err = git("rev-parse", "--short=12", "HEAD"); err != nil {
		return "", err
	}
	ct, err := git("log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return "", err
	}
	sec, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return "", fmt.Errorf("commit time %q: %v", ct, err)
	}
	b.Time = time.Unix(sec, 0)
	// No reachable release tag is not an error: it is a snapshot.
	b.Describe, _ = git("describe", "--tags", "--long", "--abbrev=12", "--match", "v[0-9]*", "HEAD")
	status, err := git("status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return "", err
	}
	b.Dirty = status != ""
	return release.Version(b)
}
