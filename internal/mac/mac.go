// Package mac holds the link-layer address type shared by the probes and the
// verdict core, and parses it from every notation operators paste.
package mac

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Addr is a 48-bit IEEE 802 MAC address. It is a value type, so it can be a
// map key and copied without allocation in the probe's read loop.
type Addr [6]byte

// zero is the all-zero address, never a valid answer to a probe.
var zero Addr

// IsZero reports whether a is 00:00:00:00:00:00.
func (a Addr) IsZero() bool { return a == zero }

// String formats a as lower-case, colon-separated hex (02:00:00:00:00:10).
func (a Addr) String() string {
	const hex = "0123456789abcdef"
	buf := make([]byte, 0, 17)
	for i, b := range a {
		if i > 0 {
			buf = append(buf, ':')
		}
		buf = append(buf, hex[b>>4], hex[b&0xf])
	}
	return string(buf)
}

// FromSlice copies a 6-byte slice into an Addr; ok is false for any other
// length.
func FromSlice(b []byte) (a Addr, ok bool) {
	if len(b) != len(a) {
		return a, false
	}
	copy(a[:], b)
	return a, true
}

// OfInterface is ifi's own Ethernet address, which every probe sends from
// and tells its own frames by; an interface without one (a tunnel, a
// point-to-point link) cannot be probed at Layer 2.
func OfInterface(ifi *net.Interface) (Addr, error) {
	a, ok := FromSlice(ifi.HardwareAddr)
	if !ok {
		return Addr{}, fmt.Errorf("%s has no Ethernet address", ifi.Name)
	}
	return a, nil
}

// ErrSyntax is wrapped by every Parse error.
var ErrSyntax = errors.New("not a MAC address")

// Parse reads a MAC address in any of the common notations:
// 02:00:00:00:00:10, 02-00-00-00-00-10, 0200.0000.0010 (Cisco),
// 020000000010 (bare), upper or lower case. Single-digit groups in the colon
// or dash forms (2:0:0:0:0:10, as some tools print them) are accepted.
func Parse(s string) (Addr, error) {
	var a Addr
	fail := func() (Addr, error) {
		return Addr{}, fmt.Errorf("%q: %w (use a form such as 02:00:00:00:00:10, 02-00-00-00-00-10, 0200.0000.0010 or 020000000010)", s, ErrSyntax)
	}
	switch {
	case strings.ContainsAny(s, ":-"):
		sep := ":"
		if strings.Contains(s, "-") {
			sep = "-"
		}
		groups := strings.Split(s, sep)
		if len(groups) != 6 {
			return fail()
		}
		for i, g := range groups {
			if len(g) < 1 || len(g) > 2 {
				return fail()
			}
			v, ok := parseHex(g)
			if !ok {
				return fail()
			}
			a[i] = byte(v)
		}
		return a, nil
	case strings.Contains(s, "."):
		groups := strings.Split(s, ".")
		if len(groups) != 3 {
			return fail()
		}
		for i, g := range groups {
			if len(g) != 4 {
				return fail()
			}
			v, ok := parseHex(g)
			if !ok {
				return fail()
			}
			a[2*i] = byte(v >> 8)
			a[2*i+1] = byte(v)
		}
		return a, nil
	case len(s) == 12:
		for i := range a {
			v, ok := parseHex(s[2*i : 2*i+2])
			if !ok {
				return fail()
			}
			a[i] = byte(v)
		}
		return a, nil
	}
	return fail()
}

// parseHex decodes up to four hex digits without the sign and prefix forms
// that strconv would accept.
func parseHex(s string) (uint16, bool) {
	var v uint16
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}

// VRRP reports whether a is a VRRP virtual router MAC (RFC 5798 section
// 7.3): 00:00:5e:00:01:XX for IPv4 virtual routers, 00:00:5e:00:02:XX for
// IPv6, where XX is the virtual router ID. Two keepalived masters after a
// partition both answer from it, so naming it tells the operator which
// VRRP instance to look at. family is 4 or 6; ok is false for any other
// address.
func (a Addr) VRRP() (vrid, family int, ok bool) {
	if a[0] != 0x00 || a[1] != 0x00 || a[2] != 0x5e || a[3] != 0x00 {
		return 0, 0, false
	}
	switch a[4] {
	case 0x01:
		return int(a[5]), 4, true
	case 0x02:
		return int(a[5]), 6, true
	}
	return 0, 0, false
}

// Kind names what the address itself says about its owner, for printing
// beside it: "VRRP virtual MAC, VRID 51" (IPv6: "IPv6 VRRP virtual MAC,
// VRID 51"), or "" when it says nothing.
func (a Addr) Kind() string {
	vrid, family, ok := a.VRRP()
	switch {
	case !ok:
		return ""
	case family == 6:
		return fmt.Sprintf("IPv6 VRRP virtual MAC, VRID %d", vrid)
	}
	return fmt.Sprintf("VRRP virtual MAC, VRID %d", vrid)
}
