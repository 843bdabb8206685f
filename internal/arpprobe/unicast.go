package arpprobe

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/mdlayher/packet"

	"github.com/check-arp/check_arp/internal/mac"
)

// unicastTag is the probe index the unicast request carries in its tag:
// past every broadcast probe (at most 100), so the probe loop places no
// broadcast probe at its echo.
const unicastTag = 0xffff

// SendUnicast sends one ARP request for the target to the MAC to alone,
// as Linux sends it to refresh a neighbor entry (NUD_PROBE): the Ethernet
// destination is the cached MAC, the target hardware address zeros. A
// responder that answers only broadcast requests (or a switch that no
// longer forwards to the cached port) leaves it unanswered. It leaves at
// once (Run calls it in time).
func (t *Transport) SendUnicast(to mac.Addr, _ time.Time) (time.Time, error) {
	return sendUnicast(t.sender, t.request, to)
}

// sendUnicast sends request (a broadcast request frame, left unchanged)
// to the MAC to alone through sender, tagged past every probe, and
// returns when it was handed to the kernel.
func sendUnicast(sender socket, request []byte, to mac.Addr) (time.Time, error) {
	frame := append([]byte(nil), request...)
	copy(frame[offEthDst:offEthDst+6], to[:])
	if len(frame) >= offTag+tagLen {
		binary.BigEndian.PutUint16(frame[offTag+nonceLen:], unicastTag)
	}
	at := time.Now()
	if _, err := sender.WriteTo(frame, &packet.Addr{HardwareAddr: to[:]}); err != nil {
		return time.Time{}, fmt.Errorf("sending the unicast ARP request: %w", err)
	}
	return at, nil
}
