package threshold

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRangeAlerts(t *testing.T) {
	// Each case: the range, then values that alert and values that do not,
	// as the Monitoring Plugins guidelines define them.
	tests := []struct {
		in        string
		alert, ok []float64
		canonical string
	}{
		{"10", []float64{-1, 10.001, 11}, []float64{0, 5, 10}, "10"},
		{"10:", []float64{-1, 9.99}, []float64{10, 1e9}, "10:"},
		{"~:10", []float64{10.5, 11}, []float64{-1e9, 0, 10}, "~:10"},
		{"10:20", []float64{9, 21}, []float64{10, 15, 20}, "10:20"},
		{"@10:20", []float64{10, 15, 20}, []float64{9.9, 20.1}, "@10:20"},
		{"@10", []float64{0, 10}, []float64{-0.5, 11}, "@0:10"},
		{"0.5", []float64{0.6}, []float64{0.5}, "0.5"},
		{"-5:5", []float64{-6, 6}, []float64{-5, 0, 5}, "-5:5"},
		{":10", []float64{11, -1}, []float64{0, 10}, "10"},
		{"~:", nil, []float64{-1e9, 0, 1e9}, "~:"},
		{"0:0", []float64{1, -1}, []float64{0}, "0"},
	}
	for _, tt := range tests {
		r, err := ParseRange(tt.in)
		if err != nil {
			t.Errorf("ParseRange(%q): %v", tt.in, err)
			continue
		}
		for _, v := range tt.alert {
			if !r.Alert(v) {
				t.Errorf("%q: %v should alert", tt.in, v)
			}
		}
		for _, v := range tt.ok {
			if r.Alert(v) {
				t.Errorf("%q: %v should not alert", tt.in, v)
			}
		}
		if got := r.String(); got != tt.canonical {
			t.Errorf("%q: String() = %q, want %q", tt.in, got, tt.canonical)
		}
	}
}

func TestParseRangeRejects(t *testing.T) {
	for _, in := range []string{
		"", "@", "abc", "10:5", "1e3", "0x10", "inf", "NaN", "10:20:30", "~",
		"-5", "~:~", "1.2.3", "--1", "+", ".", "@@10", " 10", "10 ",
		strings.Repeat("9", 30),
	} {
		if r, err := ParseRange(in); err == nil {
			t.Errorf("ParseRange(%q) = %+v, want an error", in, r)
		} else if !errors.Is(err, ErrRange) {
			t.Errorf("ParseRange(%q): %v does not wrap ErrRange", in, err)
		}
	}
}

func TestParsePair(t *testing.T) {
	tests := []struct {
		in      string
		rta, pl string // canonical, "" when absent
	}{
		{"200,40%", "200", "40"},
		{"200.5,40", "200.5", "40"},
		{"200", "200", ""},
		{"40%", "", "40"},
		{",40%", "", "40"},
		{"200,", "200", ""},
		{"200ms,40%", "200", "40"},
		{"~:200,@10:20%", "~:200", "@10:20"},
	}
	for _, tt := range tests {
		p, err := ParsePair(tt.in)
		if err != nil {
			t.Errorf("ParsePair(%q): %v", tt.in, err)
			continue
		}
		gotRTA, gotPL := "", ""
		if p.HasRTA {
			gotRTA = p.RTA.String()
		}
		if p.HasPL {
			gotPL = p.PL.String()
		}
		if gotRTA != tt.rta || gotPL != tt.pl {
			t.Errorf("ParsePair(%q) = rta %q pl %q, want %q %q", tt.in, gotRTA, gotPL, tt.rta, tt.pl)
		}
	}
	for _, in := range []string{"", ",", "200,40%,3", "abc,40%", "200,x%", "40%,200", " "} {
		if p, err := ParsePair(in); err == nil {
			t.Errorf("ParsePair(%q) = %+v, want an error", in, p)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1: "1", 0.5: "0.5", 0.4125: "0.412", 12.3456: "12.346", 100: "100", -0.0001: "0", 1234567.25: "1234567.25"} {
		if got := FormatNumber(in); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"10", "10:", "~:10", "10:20", "@10:20", "@~:5", "-1:1", ":3", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			return
		}
		// The canonical form must parse to a range that alerts identically.
		r2, err := ParseRange(r.String())
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", s, r.String(), err)
		}
		for _, v := range []float64{-1e6, -1, 0, 0.5, 1, 10, 20, 1e6, r.Start, r.End} {
			if r.Alert(v) != r2.Alert(v) {
				t.Fatalf("%q and its canonical %q disagree at %v", s, r.String(), v)
			}
		}
	})
}

func FuzzParsePair(f *testing.F) {
	for _, s := range []string{"200,40%", "40%", "200", "~:200,@10:20%", ",5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePair(s)
		if err != nil {
			return
		}
		if !p.HasRTA && !p.HasPL {
			t.Fatalf("ParsePair(%q) accepted a pair with no threshold", s)
		}
	})
}
