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

func TestPickSource6(t *testing.T) {
	p := func(s string) addr6 { return addr6{Prefix: netip.MustParsePrefix(s)} }
	tentative := func(s string) addr6 { a := p(s); a.tentative = true; return a }
	inPrefix, other, ll := p("2001:db8::1/64"), p("2001:db8:1::1/64"), p("fe80::1/64")
	tests := []struct {
		name   string
		target string
		source string
		addrs  []addr6
		want   string
		err    string
	}{
		{name: "global address in the target's prefix", target: "2001:db8::10", addrs: []addr6{ll, other, inPrefix}, want: "2001:db8::1"},
		{name: "link-local when no global address holds the target", target: "2001:db8::10", addrs: []addr6{other, ll}, want: "fe80::1"},
		{name: "link-local target", target: "fe80::10", addrs: []addr6{inPrefix, ll}, want: "fe80::1"},
		{name: "tentative in-prefix address is skipped", target: "2001:db8::10", addrs: []addr6{tentative("2001:db8::1/64"), ll}, want: "fe80::1"},
		{name: "another global address without link-local", target: "2001:db8::10", addrs: []addr6{other}, want: "2001:db8:1::1"},
		{name: "explicit owned source", target: "2001:db8::10", source: "2001:db8:1::1", addrs: []addr6{inPrefix, other, ll}, want: "2001:db8:1::1"},
		{name: "foreign source refused", target: "2001:db8::10", source: "2001:db8::7", addrs: []addr6{inPrefix, ll}, err: "-S 2001:db8::7 is not an address of eth0 (it has 2001:db8::1, fe80::1)"},
		{name: "tentative source refused", target: "2001:db8::10", source: "2001:db8::1", addrs: []addr6{tentative("2001:db8::1/64"), ll}, err: "-S 2001:db8::1 on eth0 is tentative"},
		{name: "only tentative addresses", target: "2001:db8::10", addrs: []addr6{tentative("fe80::1/64")}, err: "the IPv6 addresses of eth0 are still tentative"},
		{name: "no IPv6 address", target: "2001:db8::10", err: "eth0 has no IPv6 address to send from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Target: netip.MustParseAddr(tt.target)}
			if tt.source != "" {
				req.Source = netip.MustParseAddr(tt.source)
			}
			got, err := pickSource6("eth0", req, tt.addrs)
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
