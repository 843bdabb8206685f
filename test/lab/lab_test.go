package lab

import (
	"net/netip"
	"testing"
)

func TestSolicitedNode(t *testing.T) {
	for addr, want := range map[string]string{
		"2001:db8::40":             "ff02::1:ff00:40",
		"fe80::ff:fe00:a":          "ff02::1:ff00:a",
		"2001:db8::13e7":           "ff02::1:ff00:13e7",
		"2001:db8::abcd:1234:5678": "ff02::1:ff34:5678",
	} {
		if got := solicitedNode(netip.MustParseAddr(addr)); got.String() != want {
			t.Errorf("solicitedNode(%s) = %s, want %s", addr, got, want)
		}
	}
}
