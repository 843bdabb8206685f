// Package ndppacket builds the IPv6 packet of a neighbor discovery message
// as it goes on the wire, for senders that write whole frames through a
// packet socket: the probe's unicast solicitation, whose Ethernet
// destination a raw ICMPv6 socket cannot choose, and the test lab's
// responders. The checksum covers the IPv6 pseudo-header, so it is
// computed here, once the addresses are known.
package ndppacket

import (
	"encoding/binary"
	"net/netip"
)

const (
	// HeaderLen is the IPv6 header's length.
	HeaderLen = 40
	// HopLimit is the only hop limit a neighbor discovery message is
	// accepted with (RFC 4861 section 7.1.1 and 7.1.2).
	HopLimit = 255

	protoICMPv6 = 58
)

// Append appends to b the IPv6 packet from src to dst carrying msg, an
// ICMPv6 message, with msg's checksum filled in.
func Append(b []byte, src, dst netip.Addr, msg []byte) []byte {
	s, d := src.As16(), dst.As16()
	var h [HeaderLen]byte
	h[0] = 6 << 4 // version 6, traffic class and flow label 0
	binary.BigEndian.PutUint16(h[4:], uint16(len(msg)))
	h[6] = protoICMPv6
	h[7] = HopLimit
	copy(h[8:24], s[:])
	copy(h[24:40], d[:])
	b = append(b, h[:]...)
	start := len(b)
	b = append(b, msg...)
	m := b[start:]
	if len(m) >= 4 {
		m[2], m[3] = 0, 0
		binary.BigEndian.PutUint16(m[2:], checksum(s, d, m))
	}
	return b
}

// checksum is the Internet checksum of an ICMPv6 message over the IPv6
// pseudo-header (RFC 8200 section 8.1).
func checksum(src, dst [16]byte, msg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	sum += uint32(len(msg))
	sum += protoICMPv6
	add(msg)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
