// Package verdict turns what a probe run observed into a monitoring state
// and the findings that explain it, and exports the facts it worked from,
// so that output formats only print. It does no I/O: the rules in rules.go
// can be audited and tested without a network.
package verdict

import (
	"net/netip"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
)

// The probe protocols, as Observation.Protocol names them.
const (
	ProtocolARP = "ARP"
	ProtocolNDP = "NDP"
)

// ProtocolOf names the protocol that probes target: NDP for IPv6, ARP for
// IPv4. It is the one place that choice is made.
func ProtocolOf(target netip.Addr) string {
	if target.Is6() {
		return ProtocolNDP
	}
	return ProtocolARP
}

// vocabulary holds the words that differ between the probe protocols, so
// that one set of rules reads naturally for both.
type vocabulary struct {
	// announcedBy says how an unsolicited claim arrived ("announced by
	// gratuitous ARP from ...").
	announcedBy string
}

func wordsFor(protocol string) vocabulary {
	if protocol == ProtocolNDP {
		return vocabulary{announcedBy: "unsolicited neighbor advertisement"}
	}
	return vocabulary{announcedBy: "gratuitous ARP"}
}

// Reply is one answer to one probe.
type Reply struct {
	// Probe is the 0-based index of the probe the reply answers: the last
	// probe sent before the reply arrived.
	Probe int
	// MAC is the link-layer address the reply claims for the target.
	MAC mac.Addr
	// RTT is the time from sending Probe to receiving the reply.
	RTT time.Duration
	// Via is the link-layer source of the frame when it differs from MAC:
	// a frame claiming one MAC sent from another is a sign of spoofing.
	Via mac.Addr
}

// Announcement is an unsolicited claim of the target seen during the check
// (a gratuitous ARP, an unsolicited neighbor advertisement), as a node sends
// when it takes an address over.
type Announcement struct {
	MAC mac.Addr
	// At is the time since the check started.
	At time.Duration
	// Via is the link-layer source when it differs from MAC, as in Reply.
	Via mac.Addr
}

// Observation is everything a probe run saw. The probe layer fills it; the
// verdict core only reads it.
type Observation struct {
	// Protocol names the probe kind in the summary: ProtocolARP or
	// ProtocolNDP. It also picks the words for announcements; any other
	// value reads as ARP.
	Protocol string
	// Target is the address that was probed.
	Target netip.Addr
	// Interface is the name of the interface the probes left on.
	Interface string
	// Source is the sender protocol address of the probes (0.0.0.0 for
	// RFC 5227 probes); LocalMAC their sender hardware address.
	Source   netip.Addr
	LocalMAC mac.Addr
	// ProbesSent holds, for each probe sent, its send time relative to the
	// start of the check. Its length is the number of probes sent.
	ProbesSent []time.Duration
	// Replies lists the replies in arrival order.
	Replies []Reply
	// Announcements lists unsolicited claims of the target in arrival order.
	Announcements []Announcement
	// Unrecorded counts replies and announcements that arrived after the
	// recording limit was reached (a flood); they are not in the lists.
	Unrecorded int
	// ReceiveDrops counts the frames the kernel dropped at the check's
	// socket because the check did not read them in time (its receive
	// queue was full: the host ran the check late while frames about
	// the target poured in): a reply may have been among them.
	ReceiveDrops int
	// LateReplies counts the probes whose first reply arrived after the
	// next probe left: the target answers slower than the interval (a
	// proxy-ARP router's random delay), and a longer interval would show
	// each reply with its own request.
	LateReplies int
	// ForeignRequests counts the requests for the target that other
	// processes on this host (other checks, arping, the kernel) sent
	// during the run, as far as the transport saw them. Their answers may
	// be among Replies: over NDP every raw socket bound to the source
	// receives them, and over ARP answers to requests sent before the run
	// began cannot be told from a second answer to ours.
	ForeignRequests int
	// Unicast is the unicast reachability request, if one was sent.
	Unicast UnicastRequest
	// MacvlanChildren names the macvlan (and macvtap) interfaces whose
	// parent is Interface: the kernel never delivers frames between a
	// macvlan's parent and its children.
	MacvlanChildren []string
	// Elapsed is the duration of the probe run.
	Elapsed time.Duration
}

// UnicastRequest is the one request sent, after the broadcast (multicast)
// ones were all answered, to the answering MAC alone, as a router sends
// it to refresh its neighbor entry (Linux: NUD_PROBE; IPv6 neighbor
// unreachability detection).
type UnicastRequest struct {
	// Sent is false when none was sent: disabled, a probe went
	// unanswered, or too little time was left before the deadline.
	Sent bool
	// To is the MAC it was sent to.
	To mac.Addr
	// Answered is true when To answered it, RTT after it left.
	Answered bool
	RTT      time.Duration
}
