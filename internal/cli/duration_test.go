package cli

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"10", 10 * time.Second},
		{"2.5", 2500 * time.Millisecond},
		{"1500ms", 1500 * time.Millisecond},
		{"1m", time.Minute},
		{"0.001", time.Millisecond},
		{"1", time.Second},
		{".5", 500 * time.Millisecond},
		{"5.", 5 * time.Second},
		{"0.1", 100 * time.Millisecond},
		{"0000000000000000010", 10 * time.Second},
		{" 10 ", 10 * time.Second},
		{"\t2.5\n", 2500 * time.Millisecond},
		{"3600", time.Hour},
		{"1h", time.Hour},
		{"59m59.999s", time.Hour - time.Millisecond},
		{"2s500ms", 2500 * time.Millisecond},
		{"100us", 100 * time.Microsecond},
		{"1ns", time.Nanosecond},
		{"0.0000000005", time.Nanosecond}, // rounded half away from zero
		{"1.0000000004", time.Second},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct {
		in, want string // want: a substring of the error
	}{
		{"", "is not a duration"},
		{"   ", "is not a duration"},
		{"0", "must be positive"},
		{"0.0", "must be positive"},
		{"0s", "must be positive"},
		{"0.0000000004", "must be positive"}, // rounds to zero
		{"-1", "is not a duration"},
		{"-1s", "must be positive"},
		{"+1", "is not a duration"},
		{"abc", "is not a duration"},
		{"1e3", "is not a duration"},
		{"NaN", "is not a duration"},
		{"nan", "is not a duration"},
		{"inf", "is not a duration"},
		{"Inf", "is not a duration"},
		{"+Inf", "is not a duration"},
		{"0x10", "is not a duration"},
		{"1_000", "is not a duration"},
		{"1.2.3", "is not a duration"},
		{".", "is not a duration"},
		{"2h", "longer than 1h0m0s"},
		{"61m", "longer than"},
		{"3600.001", "is not a duration up to 1h0m0s"},
		{"99999999999999999999", "is not a duration up to"},
		{"999999999999999999999", "is not a duration"},
		{"10 s", "is not a duration"},
		{"1 500ms", "is not a duration"},
		{"10sec", "is not a duration"},
		{"1d", "is not a duration"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", tt.in, got)
			continue
		}
		if got != 0 {
			t.Errorf("ParseDuration(%q) returned %v with an error", tt.in, got)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDuration(%q) error %q does not contain %q", tt.in, err, tt.want)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("ParseDuration(%q) error has a line break: %q", tt.in, err)
		}
	}
}

func TestDurationUnmarshalText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("2.5")); err != nil || time.Duration(d) != 2500*time.Millisecond {
		t.Errorf("UnmarshalText(2.5) = %v, %v", time.Duration(d), err)
	}
	before := d
	if err := d.UnmarshalText([]byte("0")); err == nil {
		t.Errorf("UnmarshalText(0) succeeded")
	}
	if d != before {
		t.Errorf("a failed UnmarshalText changed the value to %v", time.Duration(d))
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10", "2.5", "1500ms", "1m", "0.001", "", "0", "-1", "abc", "1e3",
		"NaN", "inf", "2h", "10 s", "3600", "3600.0000000001", "1h0m0.000000001s", ".5", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDuration(%q) = %v with error %v", s, d, err)
			}
			return
		}
		if d <= 0 || d > time.Hour {
			t.Fatalf("ParseDuration(%q) = %v, outside (0, 1h]", s, d)
		}
	})
}
