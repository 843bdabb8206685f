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
	"github.com/check-arp/check_arp/internal/ndppacket"
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
	frame := make([]byte, ethHeaderLen, ethHeaderLen+ndppacket.HeaderLen+len(solicit))
	copy(frame[6:12], local)
	binary.BigEndian.PutUint16(frame[offEtherType:], etherTypeIPv6)
	return ndppacket.Append(frame, source, target, solicit)
}

// SendUnicast sends one neighbor solicitation for the target to its own
// address and the MAC to alone, as a router confirming its neighbor entry
// does. MetalLB's speaker never receives these (it listens on the
// solicited-node group only, metallb#2920), so routers' entries for its
// IPv6 VIPs go FAILED.
func (t *Transport) SendUnicast(to mac.Addr, _ time.Time) (time.Time, error) {
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
