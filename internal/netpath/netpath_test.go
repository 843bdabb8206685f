package netpath

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestPickSource(t *testing.T) {
	addrs := []netip.Prefix{
		netip.MustParsePrefix("203.0.113.5/24"),
		netip.MustParsePrefix("198.51.100.1/24"),
		netip.MustParsePrefix("198.51.100.2/24"),
	}
	target := netip.MustParseAddr("198.51.100.10")
	tests := []struct {
		name     string
		source   string
		routeSrc string
		addrs    []netip.Prefix
		want     string
		err      string
	}{
		{name: "route's preferred source", routeSrc: "198.51.100.2", addrs: addrs, want: "198.51.100.2"},
		{name: "address in the target's subnet", addrs: addrs, want: "198.51.100.1"},
		{name: "first address otherwise", addrs: addrs[:1], want: "203.0.113.5"},
		{name: "route source not on the interface is ignored", routeSrc: "192.0.2.1", addrs: addrs, want: "198.51.100.1"},
		{name: "explicit owned source", source: "203.0.113.5", addrs: addrs, want: "203.0.113.5"},
		{name: "rfc 5227 probe", source: "0.0.0.0", want: "0.0.0.0"},
		{name: "foreign source refused", source: "198.51.100.7", addrs: addrs, err: "-S 198.51.100.7 is not an address of eth0 (it has 203.0.113.5, 198.51.100.1, 198.51.100.2)"},
		{name: "no IPv4 address", err: "eth0 has no IPv4 address to send from; give it one, or send RFC 5227 probes with -S 0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Target: target}
			if tt.source != "" {
				req.Source = netip.MustParseAddr(tt.source)
			}
			var routeSrc netip.Addr
			if tt.routeSrc != "" {
				routeSrc = netip.MustParseAddr(tt.routeSrc)
			}
			got, err := pickSource("eth0", req, routeSrc, tt.addrs)
			if tt.err != "" {
				var fe *Error
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &fe) {
					t.Fatalf("error = %v, want a fixable error containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
