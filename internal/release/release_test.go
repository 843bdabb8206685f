package release

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

var day1 = time.Date(2025, 11, 25, 20, 5, 9, 0, time.FixedZone("CET", 3600))

func TestVersion(t *testing.T) {
	tests := []struct {
		b    Build
		want string
	}{
		{Build{Commit: "2c6fbfe01234", Time: day1}, "0.0.0~git20251125190509.2c6fbfe01234"},
		{Build{Commit: "2c6fbfe01234", Time: day1, Dirty: true}, "0.0.0~git20251125190509.2c6fbfe01234.dirty"},
		{Build{Describe: "v1.2.3-0-g2c6fbfe01234", Commit: "2c6fbfe01234", Time: day1}, "1.2.3"},
		{Build{Describe: "v1.2.3-0-g2c6fbfe01234", Commit: "2c6fbfe01234", Time: day1, Dirty: true}, "1.2.3+git20251125190509.2c6fbfe01234.dirty"},
		{Build{Describe: "v1.2.3-4-g2c6fbfe01234", Commit: "2c6fbfe01234", Time: day1}, "1.2.3+git20251125190509.2c6fbfe01234"},
		{Build{Describe: "v2.0.0-rc.1-0-g2c6fbfe01234", Commit: "2c6fbfe01234", Time: day1}, "2.0.0~rc.1"},
		{Build{Describe: "v2.0.0-rc.1-3-g2c6fbfe01234", Commit: "2c6fbfe01234", Time: day1}, "2.0.0~rc.1+git20251125190509.2c6fbfe01234"},
	}
	for _, tt := range tests {
		got, err := Version(tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Version(%+v) = %q, %v; want %q", tt.b, got, err, tt.want)
		}
	}
	for _, bad := range []Build{
		{Commit: "", Time: day1},
		{Describe: "release-1", Commit: "2c6fbfe", Time: day1},
		{Describe: "v1.2.3-1-gdeadbeef", Commit: "2c6fbfe", Time: day1},
		{Describe: "v1.2.3;rm-0-g2c6fbfe", Commit: "2c6fbfe", Time: day1},
	} {
		if v, err := Version(bad); err == nil {
			t.Errorf("Version(%+v) = %q, want an error", bad, v)
		}
	}
}

// TestVersionsSortAsBuilt checks the order with dpkg and rpm themselves,
// where they are installed.
func TestVersionsSortAsBuilt(t *testing.T) {
	_, noDpkg := exec.LookPath("dpkg")
	_, noRpm := exec.LookPath("rpm")
	if noDpkg != nil && noRpm != nil {
		t.Skip("neither dpkg nor rpm is installed")
	}
	day2 := day1.Add(24 * time.Hour)
	builds := []Build{
		{Commit: "aaaaaaaaaaaa", Time: day1},
		{Commit: "aaaaaaaaaaaa", Time: day1, Dirty: true},
		{Commit: "000000000000", Time: day2},
		{Describe: "v0.1.0-rc.1-0-gbbbbbbbbbbbb", Commit: "bbbbbbbbbbbb", Time: day2},
		{Describe: "v0.1.0-rc.1-1-gcccccccccccc", Commit: "cccccccccccc", Time: day2.Add(time.Hour)},
		{Describe: "v0.1.0-0-gdddddddddddd", Commit: "dddddddddddd", Time: day2.Add(2 * time.Hour)},
		{Describe: "v0.1.0-1-g111111111111", Commit: "111111111111", Time: day2.Add(3 * time.Hour)},
		{Describe: "v0.1.0-2-g000000000000", Commit: "000000000000", Time: day2.Add(4 * time.Hour)},
		{Describe: "v0.1.1-0-geeeeeeeeeeee", Commit: "eeeeeeeeeeee", Time: day2.Add(5 * time.Hour)},
		{Describe: "v0.10.0-0-gffffffffffff", Commit: "ffffffffffff", Time: day2.Add(6 * time.Hour)},
	}
	var prev string
	for _, b := range builds {
		v, err := Version(b)
		if err != nil {
			t.Fatal(err)
		}
		if prev != "" && noDpkg == nil {
			if err := exec.Command("dpkg", "--compare-versions", prev, "lt", v).Run(); err != nil {
				t.Errorf("dpkg does not sort %s before %s", prev, v)
			}
		}
		if prev != "" && noRpm == nil {
			out, err := exec.Command("rpm", "--eval", `%{lua: print(rpm.vercmp("`+prev+`", "`+v+`"))}`).Output()
			if err != nil || strings.TrimSpace(string(out)) != "-1" {
				t.Errorf("rpm does not sort %s before %s: %q %v", prev, v, out, err)
			}
		}
		prev = v
	}
}
