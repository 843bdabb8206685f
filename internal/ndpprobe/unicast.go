package ndpprobe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/packet"

	"github.com/check-arp/check_arp/internal/mac"
)

// A unicast solicitation, as IPv6 neighbor unreachability detection sends
// it (RFC 4861 section 7.3.3: routers and hosts confirm a cached entry so),
// goes to the target's own address and cached MAC. A raw ICMPv6 socket
// cannot choose the MAC (the kernel would resolve the target itself), so
// the whole frame is built here and leaves through the packet socket.

// unicastFrame builds the Ethernet frame of a unicast neighbor
// solicitation for target from source, with solicit (the ICMPv6 message,
// checksum zero) as its payload; the Ethernet destination is left zero
// for SendUnicast to fill in.
func unicastFrame(local net.HardwareAddr, source, target netip.Addr, solicit []byte) []byte {
	const ipv6HeaderLen = 40
	frame := make([]byte, ethHeaderLen+ipv6HeaderLen+len(solicit))
	copy(frame[6:12], local)
	binary.BigEndian.PutUint16(frame[offEtherType:], etherTypeIPv6)
	ip := frame[ethHeaderLen:]
	ip[0] = 6 << 4 // version 6, traffic class and flow label 0
	binary.BigEndian.PutUint16(ip[4:], uint16(len(solicit)))
	ip[6] = protoICMPv6
	ip[7] = hopLimit
	src, dst := source.As16(), target.As16()
	copy(ip[8:24], src[:])
	copy(ip[24:40], dst[:])
	msg := ip[ipv6HeaderLen:]
	copy(msg, solicit)
	msg[2], msg[3] = 0, 0
	binary.BigEndian.PutUint16(msg[2:], icmpv6Checksum(src, dst, msg))
	return frame
}

// icmpv6Checksum is the Internet checksum of an ICMPv6 message over the
// IPv6 pseudo-header (RFC 8200 section 8.1).
func icmpv6Checksum(src, dst [16]byte, msg []byte) uint16 {
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

// SendUnicast sends one neighbor solicitation for the target to its own
// address and the MAC to alone, as a router confirming its neighbor entry
// does. MetalLB's speaker never receives these (it listens on the
// solicited-node group only, metallb#2920), so routers' entries for its
// IPv6 VIPs go FAILED.
func (t *Transport) SendUnicast(to mac.Addr) (time.Time, error) {
	if t.watch == nil || t.unicast == nil {
		return time.Time{}, errors.New("no packet socket to send the unicast solicitation")
	}
	copy(t.unicast[0:6], to[:])
	at := time.Now()
	if _, err := t.watch.WriteTo(t.unicast, &packet.Addr{HardwareAddr: to[:]}); err != nil {
		return time.Time{}, fmt.Errorf("sending the unicast neighbor solicitation: %w", err)
	}
	// The socket that sends a frame does not see it leave.
	t.unicastSent++
	return at, nil
}
