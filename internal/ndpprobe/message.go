// Package ndpprobe is the IPv6 transport of the probe layer: it sends
// Neighbor Solicitations for a target to its solicited-node multicast group
// on a raw ICMPv6 socket and reports the Neighbor Advertisements that claim
// it (RFC 4861), as arpprobe does for ARP.
//
// The socket works at layer 3, so the MAC of an answer is the one its
// target link-layer address option carries: the address the neighbor
// tells hosts to send to, just like the sender hardware address of an ARP
// reply. The Ethernet source address is not seen and not used. An
// advertisement without that option is ignored: RFC 4861 (7.2.4) requires
// it in every answer to a multicast solicitation, which is all this
// package sends.
package ndpprobe

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
)

// ICMPv6 message layout of a Neighbor Advertisement (RFC 4861 4.4).
const (
	icmpTypeNS = 135
	icmpTypeNA = 136

	offType   = 0
	offCode   = 1
	offFlags  = 4
	offTarget = 8
	naLen     = 24 // the fixed part, options follow

	flagSolicited = 0x40

	optTargetLLA = 2
	// optUnit is the unit of an option's length field, in bytes.
	optUnit = 8

	// hopLimit is the only hop limit a neighbor discovery message may
	// arrive with: anything else crossed a router (RFC 4861 7.1.2).
	hopLimit = 255
)

// advert is what the read loop needs from one Neighbor Advertisement.
type advert struct {
	solicited bool
	target    [16]byte
	// tlla is the target link-layer address option's MAC, if hasTLLA.
	tlla    mac.Addr
	hasTLLA bool
}

// parseAdvert decodes an ICMPv6 message (without the IPv6 header) as a
// Neighbor Advertisement and applies RFC 4861's validity checks on the
// message itself (7.1.2: code 0, at least 24 bytes, a unicast target, no
// option of length zero or running past the end). It never allocates.
func parseAdvert(b []byte) (a advert, ok bool) {
	if len(b) < naLen || b[offType] != icmpTypeNA || b[offCode] != 0 {
		return a, false
	}
	copy(a.target[:], b[offTarget:offTarget+16])
	if a.target[0] == 0xff {
		return a, false
	}
	a.solicited = b[offFlags]&flagSolicited != 0
	for opts := b[naLen:]; len(opts) > 0; {
		if len(opts) < 2 || opts[1] == 0 || int(opts[1])*optUnit > len(opts) {
			return a, false
		}
		n := int(opts[1]) * optUnit
		// An Ethernet address fills a one-unit option; other link types
		// (longer addresses) do not name a MAC.
		if opts[0] == optTargetLLA && n == optUnit && !a.hasTLLA {
			copy(a.tlla[:], opts[2:8])
			a.hasTLLA = true
		}
		opts = opts[n:]
	}
	return a, true
}

// meta is what the kernel said about a received packet.
type meta struct {
	hopLimit int
	dst      [16]byte
	ifIndex  int
}

// classifier decides what an advertisement means for one check.
type classifier struct {
	target, source [16]byte
	ifIndex        int
}

func newClassifier(target, source netip.Addr, ifIndex int) classifier {
	return classifier{target: target.As16(), source: source.As16(), ifIndex: ifIndex}
}

// classify returns the kind of answer an advertisement is, or 0 when it
// says nothing about the target to this check:
//   - one that did not arrive on the probed link with hop limit 255 or is
//     about another address is ignored;
//   - a solicited advertisement (S flag) sent to our source address is a
//     Reply; without a target link-layer address option it is a
//     MACLessReply, as Linux answers a unicast solicitation (RFC 4861
//     7.2.4 requires the option only in answers to multicast ones);
//   - an unsolicited one that names no MAC is ignored;
//   - an unsolicited one (S flag clear, typically to all-nodes ff02::1, as
//     a node sends when it takes an address over) is an Announcement;
//   - a solicited one to any other address answers someone else (or, to a
//     multicast address, is invalid) and is ignored.
func (c classifier) classify(a advert, m meta) probe.Kind {
	if m.hopLimit != hopLimit || m.ifIndex != c.ifIndex || a.target != c.target {
		return 0
	}
	named := a.hasTLLA && !a.tlla.IsZero()
	switch {
	case !a.solicited && named:
		return probe.Announcement
	case !a.solicited || m.dst != c.source:
		return 0
	case named:
		return probe.Reply
	case !a.hasTLLA:
		return probe.MACLessReply
	}
	return 0
}

// parseControl reads the hop limit and the packet info (destination
// address, arrival interface) from a received packet's control messages.
// It never allocates; b must be the start of a control buffer as the
// kernel filled it (aligned).
func parseControl(b []byte) (m meta) {
	for len(b) >= unix.CmsgLen(0) {
		h, data, rest, err := unix.ParseOneSocketControlMessage(b)
		if err != nil {
			break
		}
		if h.Level == unix.IPPROTO_IPV6 {
			switch h.Type {
			case unix.IPV6_HOPLIMIT:
				if len(data) >= 4 {
					m.hopLimit = int(int32(binary.NativeEndian.Uint32(data)))
				}
			case unix.IPV6_PKTINFO:
				if len(data) >= unix.SizeofInet6Pktinfo {
					copy(m.dst[:], data[:16])
					m.ifIndex = int(binary.NativeEndian.Uint32(data[16:20]))
				}
			}
		}
		b = rest
	}
	return m
}
