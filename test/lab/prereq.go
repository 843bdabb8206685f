package lab

import (
	"fmt"
	"io"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true). CI installs every
// prerequisite and runs as root, so there a missing one is a failure, not
// a reason to skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends a test whose prerequisite is missing: in CI it fails, and
// elsewhere it skips, saying why either way.
func Missing(t testing.TB, why error) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true, and a prerequisite is missing: %v", why)
	}
	t.Skipf("skipping: %v", why)
}

// Unavailable handles a test binary's missing lab (why is Available's
// answer) before any test runs: go test shows a skipped test's reason
// only with -v, so it says on w which tests will be skipped, and reports
// whether the binary must fail instead (in CI).
func Unavailable(w io.Writer, suite string, why error) (fail bool) {
	if InCI() {
		fmt.Fprintf(w, "%s: CI=true, and the namespace lab cannot be built: %v\n", suite, why)
		return true
	}
	fmt.Fprintf(w, "%s SKIPPED: %v\n", suite, why)
	return false
}
