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

// frameFields is what the read loop needs from one ARP frame.
type frameFields struct {
	op       uint16
	ethSrc   mac.Addr
	sha, tha mac.Addr
	spa, tpa [4]byte
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
	return f, true
}

// classifier decides what a frame means for one check.
type classifier struct {
	target, source [4]byte
	local          mac.Addr
}

func newClassifier(target, source netip.Addr, local mac.Addr) classifier {
	return classifier{target: target.As4(), source: source.As4(), local: local}
}

// classify returns the kind of answer a decoded frame is, or 0 when the
// frame says nothing about the target to this check:
//   - a reply from the target to our sender addresses is a Reply;
//   - a request or reply whose sender and target address are both the
//     target (gratuitous ARP) is an Announcement;
//   - anything else (the target asking for others, replies to other hosts,
//     claims by a zero MAC) is ignored.
func (c classifier) classify(f frameFields) probe.Kind {
	if f.spa != c.target || f.sha.IsZero() {
		return 0
	}
	switch {
	case f.op == opReply && f.tha == c.local && f.tpa == c.source && f.tpa != c.target:
		return probe.Reply
	case f.tpa == c.target:
		return probe.Announcement
	}
	return 0
}
