package mac

import (
	"errors"
	"net"
	"testing"
)

func TestParseNotations(t *testing.T) {
	want := Addr{0x02, 0x00, 0xab, 0xcd, 0xef, 0x10}
	for _, in := range []string{
		"02:00:ab:cd:ef:10",
		"02:00:AB:CD:EF:10",
		"02-00-ab-cd-ef-10",
		"02-00-AB-CD-EF-10",
		"0200.abcd.ef10",
		"0200.ABCD.EF10",
		"0200abcdef10",
		"0200ABCDEF10",
		"2:0:ab:cd:ef:10",
	} {
		got, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("Parse(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "02:00:ab:cd:ef", "02:00:ab:cd:ef:10:11", "02:00:ab:cd:ef:1g",
		"02:00:ab:cd:ef:100", "02:00-ab:cd:ef:10", "0200.abcd.ef1", "0200.abcd",
		"0200abcdef1", "0200abcdef1x", "02::ab:cd:ef:10", "+2:00:ab:cd:ef:10",
		"0x00ab:cd:ef:10", "02:00:ab:cd:ef:10 ", "zz.zzzz.zzzz",
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, got)
		} else if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error %v does not wrap ErrSyntax", in, err)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	a := Addr{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}
	if s := a.String(); s != "de:ad:be:ef:00:01" {
		t.Fatalf("String() = %q", s)
	}
	b, err := Parse(a.String())
	if err != nil || b != a {
		t.Fatalf("round trip: %v %v", b, err)
	}
	if !(Addr{}).IsZero() || a.IsZero() {
		t.Fatal("IsZero wrong")
	}
	if _, ok := FromSlice([]byte{1, 2, 3}); ok {
		t.Fatal("FromSlice accepted 3 bytes")
	}
	if c, ok := FromSlice(a[:]); !ok || c != a {
		t.Fatal("FromSlice lost bytes")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"02:00:ab:cd:ef:10", "02-00-AB-CD-EF-10", "0200.abcd.ef10", "0200abcdef10", "2:0:0:0:0:1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		// Whatever parsed must print canonically and parse back to itself.
		b, err := Parse(a.String())
		if err != nil || a != b {
			t.Fatalf("Parse(%q) = %v, but its String %q parses to %v, %v", s, a, a.String(), b, err)
		}
	})
}

func TestVRRP(t *testing.T) {
	tests := []struct {
		in           string
		vrid, family int
		ok           bool
		kind         string
	}{
		{"00:00:5e:00:01:33", 51, 4, true, "VRRP virtual MAC, VRID 51"},
		{"00:00:5e:00:01:01", 1, 4, true, "VRRP virtual MAC, VRID 1"},
		{"00:00:5e:00:01:ff", 255, 4, true, "VRRP virtual MAC, VRID 255"},
		{"00:00:5e:00:02:33", 51, 6, true, "IPv6 VRRP virtual MAC, VRID 51"},
		{"00:00:5e:00:03:33", 0, 0, false, ""}, // another IANA block
		{"00:00:5e:01:01:33", 0, 0, false, ""},
		{"00:00:5f:00:01:33", 0, 0, false, ""},
		{"02:00:00:00:00:33", 0, 0, false, ""},
		{"00:00:00:00:00:00", 0, 0, false, ""},
	}
	for _, tt := range tests {
		a, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		vrid, family, ok := a.VRRP()
		if vrid != tt.vrid || family != tt.family || ok != tt.ok {
			t.Errorf("%s.VRRP() = %d, %d, %v; want %d, %d, %v", tt.in, vrid, family, ok, tt.vrid, tt.family, tt.ok)
		}
		if got := a.Kind(); got != tt.kind {
			t.Errorf("%s.Kind() = %q, want %q", tt.in, got, tt.kind)
		}
	}
}

func TestOfInterface(t *testing.T) {
	ifi := &net.Interface{Name: "eth0", HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 0x10}}
	if a, err := OfInterface(ifi); err != nil || a.String() != "02:00:00:00:00:10" {
		t.Errorf("OfInterface(eth0) = %v, %v; want 02:00:00:00:00:10", a, err)
	}
	tun := &net.Interface{Name: "tun0"}
	if _, err := OfInterface(tun); err == nil || err.Error() != "tun0 has no Ethernet address" {
		t.Errorf("OfInterface(tun0) error = %v, want \"tun0 has no Ethernet address\"", err)
	}
}
