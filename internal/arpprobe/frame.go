// Package arpprobe is the ARP transport of the probe layer: it broadcasts
// ARP requests for a target on a raw packet socket and reports replies and
// gratuitous announcements for it.
package arpprobe

import (
	"encoding/binary"
	"net/netip"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
)

// Offsets in an Ethernet frame carrying ARP for IPv4 over Ethernet.
const (
	offEthDst    = 0
	offEthSrc    = 6
	offEtherType = 12
	offHType     = 14
	offPType     = 16
	offHLen      = 18
	offPLen      = 19
	offOp        = 20
	offSHA       = 22
	offSPA       = 28
	offTHA       = 32
	offTPA       = 38
	frameLen     = 42

	etherTypeARP  = 0x0806
	etherTypeIPv4 = 0x0800
	htypeEthernet = 1
	opRequest     = 1
	opReply       = 2
)

// Our requests carry a tag in the Ethernet padding after the ARP packet,
// which every receiver ignores: a per-run nonce and the probe index. It lets
// the check tell its own requests from other processes' identical ones when
// it sees them leave the interface.
const (
	offTag   = frameLen
	nonceLen = 8
	tagLen   = nonceLen + 2
)

// frameFields is what the read loop needs from one ARP frame.
type frameFields struct {
	op       uint16
	ethSrc   mac.Addr
	sha, tha mac.Addr
	spa, tpa [4]byte
	tag      [tagLen]byte
	tagged   bool
}

// parseFrame decodes an Ethernet frame carrying an IPv4-over-Ethernet ARP
// packet. It reports false for anything else (short, other hardware or
// protocol types, other lengths, other operations) and never allocates.
func parseFrame(b []byte) (f frameFields, ok bool) {
	if len(b) < frameLen ||
		binary.BigEndian.Uint16(b[offEtherType:]) != etherTypeARP ||
		binary.BigEndian.Uint16(b[offHType:]) != htypeEthernet ||
		binary.BigEndian.Uint16(b[offPType:]) != etherTypeIPv4 ||
		b[offHLen] != 6 || b[offPLen] != 4 {
		return f, false
	}
	f.op = binary.BigEndian.Uint16(b[offOp:])
	if f.op != opRequest && f.op != opReply {
		return f, false
	}
	copy(f.ethSrc[:], b[offEthSrc:offEthSrc+6])
	copy(f.sha[:], b[offSHA:offSHA+6])
	copy(f.tha[:], b[offTHA:offTHA+6])
	copy(f.spa[:], b[offSPA:offSPA+4])
	copy(f.tpa[:], b[offTPA:offTPA+4])
	if len(b) >= offTag+tagLen {
		copy(f.tag[:], b[offTag:offTag+tagLen])
		f.tagged = true
	}
	return f, true
}

// classifier decides what a frame means for one check.
type classifier struct {
	target, source [4]byte
	local          mac.Addr
	nonce          [nonceLen]byte
}

func newClassifier(target, source netip.Addr, local mac.Addr, nonce [nonceLen]byte) classifier {
	return classifier{target: target.As4(), source: source.As4(), local: local, nonce: nonce}
}

// classify returns the kind of a decoded frame, and the probe index of our
// own requests, or 0 when the frame says nothing about the target to this
// check:
//   - a reply from the target to our sender addresses is a Reply;
//   - a request or reply whose sender and target address are both the
//     target (gratuitous ARP) is an Announcement;
//   - a request for the target from our addresses leaving this host is an
//     OwnRequest when it carries our tag, else a ForeignRequest;
//   - anything else (the target asking for others, replies to other hosts,
//     claims by a zero MAC) is ignored.
func (c classifier) classify(f frameFields) (probe.Kind, int) {
	if f.op == opRequest && f.tpa == c.target && f.spa == c.source && f.sha == c.local && f.ethSrc == c.local {
		if f.tagged && [nonceLen]byte(f.tag[:nonceLen]) == c.nonce {
			return probe.OwnRequest, int(binary.BigEndian.Uint16(f.tag[nonceLen:]))
		}
		return probe.ForeignRequest, 0
	}
	if f.spa != c.target || f.sha.IsZero() {
		return 0, 0
	}
	switch {
	case f.op == opReply && f.tha == c.local && f.tpa == c.source && f.tpa != c.target:
		return probe.Reply, 0
	case f.tpa == c.target:
		return probe.Announcement, 0
	}
	return 0, 0
}
