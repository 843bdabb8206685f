package probe

import (
	"net"
	"net/netip"
)

// Link says where a transport probes: the same three facts for ARP and
// NDP.
type Link struct {
	// Interface is the Ethernet interface to probe on.
	Interface *net.Interface
	// Source is the address requests are sent from, and answers come back
	// to: one of Interface's addresses, or for ARP 0.0.0.0 (RFC 5227
	// probes).
	Source netip.Addr
	// Target is the address to resolve.
	Target netip.Addr
}
