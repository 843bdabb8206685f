package ownership

import (
	"strings"
	"testing"
	"time"
)

func TestParseFlap(t *testing.T) {
	tests := []struct {
		in   string
		want Flap
	}{
		{"3/1h", Flap{3, time.Hour}},
		{" 5 / 30m ", Flap{5, 30 * time.Minute}},
		{"10/1d", Flap{10, 24 * time.Hour}},
		{"2/7d", Flap{2, 7 * 24 * time.Hour}},
		{"4/1h30m", Flap{4, 90 * time.Minute}},
		{"2/1m", Flap{2, time.Minute}},
		{"256/168h", Flap{256, 168 * time.Hour}},
	}
	for _, tt := range tests {
		got, err := ParseFlap(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseFlap(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFlapRejects(t *testing.T) {
	tests := []struct{ in, says string }{
		{"", "no '/'"},
		{"3", "no '/'"},
		{"1h", "no '/'"},
		{"x/1h", "not a whole number"},
		{"1/1h", "COUNT must be 2 to 256"},
		{"0/1h", "COUNT must be 2 to 256"},
		{"-3/1h", "COUNT must be 2 to 256"},
		{"257/1h", "COUNT must be 2 to 256"},
		{"99999999999999999999/1h", "not a whole number"},
		{"3/", "not a duration"},
		{"3/1", "not a duration"},
		{"3/h", "not a duration"},
		{"3/-1h", "DURATION must be 1m to 7d"},
		{"3/30s", "DURATION must be 1m to 7d"},
		{"3/8d", "DURATION must be 1m to 7d"},
		{"3/99999999999d", "DURATION must be 1m to 7d"},
		{"3/169h", "DURATION must be 1m to 7d"},
		{"3/xd", "not a number of days"},
		{"3/-1d", "not a number of days"},
		{"3/1h/2", "not a duration"},
	}
	for _, tt := range tests {
		_, err := ParseFlap(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.says) || !strings.HasPrefix(err.Error(), "--flap ") {
			t.Errorf("ParseFlap(%q) error %v, want one starting --flap that says %q", tt.in, err, tt.says)
		}
	}
}

// FuzzParseFlap: no input panics, every accepted value is in range and reads
// back the same from its String form.
func FuzzParseFlap(f *testing.F) {
	for _, s := range []string{"3/1h", "10/1d", "2/7d", "4/1h30m", "3/", "/", "3/1e9h", "2/0.5h", "3/9223372036854775807ns", "2/-0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFlap(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		if fl.Count < MinFlapCount || fl.Count > MaxFlapCount || fl.Window < MinFlapWindow || fl.Window > MaxFlapWindow {
			t.Fatalf("ParseFlap(%q) = %v, out of range", s, fl)
		}
		again, err := ParseFlap(fl.String())
		if err != nil || again != fl {
			t.Fatalf("ParseFlap(%q) = %v; its String %q reads back as %v, %v", s, fl, fl.String(), again, err)
		}
	})
}
