package verdict

import (
	"github.com/check-arp/check_arp/internal/mac"
	"strings"
	"testing"
	"time"
)

// The rules for what real responders do: two hosts behind one MAC, a
// silent target seen from a macvlan's parent, late replies, VRRP virtual
// MACs named, announcements counted per burst.

var (
	vmac4 = mustMAC("00:00:5e:00:01:33") // VRID 51, IPv4
	vmac6 = mustMAC("00:00:5e:00:02:33") // VRID 51, IPv6
)

const (
	sV4 = "00:00:5e:00:01:33"
	sV6 = "00:00:5e:00:02:33"
)

// twice has m answer each of n probes twice, gap apart.
func twice(n int, m mac.Addr, gap time.Duration) []Reply {
	var out []Reply
	for p := range n {
		out = append(out, rep(p, m, us(300)), rep(p, m, us(300)+gap))
	}
	return out
}

func withForeign(o Observation, foreign int) Observation {
	o.ForeignRequests = foreign
	return o
}

func TestRespondersRules(t *testing.T) {
	vrrpAllowed := policy("", "", entry{vmac4, "vip-a"})
	tests := []struct {
		name     string
		obs      Observation
		pol      Policy
		state    State
		findings string
		ndp      string // the NDP findings when they differ beyond wording, "" for the ARP ones
		repeats  int    // Facts.RepeatProbes
	}{
		// SharedMAC.
		{
			name:     "two VRRP masters behind the virtual MAC, every probe",
			obs:      observe(3, twice(3, vmac4, us(150))...),
			state:    Critical,
			findings: "is answered twice by " + sV4 + " (VRRP virtual MAC, VRID 51) within 0.15ms in 3 of 3 probes (two VRRP masters of VRID 51 behind its virtual MAC: split brain after a VRRP partition); is at " + sV4 + " (VRRP virtual MAC, VRID 51)",
			repeats:  3,
		},
		{
			name:     "two VRRP masters, labelled virtual MAC",
			obs:      observe(3, twice(3, vmac4, us(150))...),
			pol:      vrrpAllowed,
			state:    Critical,
			findings: "is answered twice by " + sV4 + " (vip-a, VRRP virtual MAC, VRID 51) within 0.15ms in 3 of 3 probes (two VRRP masters of VRID 51 behind its virtual MAC: split brain after a VRRP partition); is at " + sV4 + " (vip-a, VRRP virtual MAC, VRID 51)",
			repeats:  3,
		},
		{
			name:     "IPv6 virtual MAC",
			obs:      observe(3, twice(3, vmac6, us(700))...),
			state:    Critical,
			findings: "is answered twice by " + sV6 + " (IPv6 VRRP virtual MAC, VRID 51) within 0.7ms in 3 of 3 probes (two VRRP masters of VRID 51 behind its virtual MAC: split brain after a VRRP partition); is at " + sV6 + " (IPv6 VRRP virtual MAC, VRID 51)",
			repeats:  3,
		},
		{
			name:     "a bond answering twice from an ordinary MAC",
			obs:      observe(3, twice(3, macA, us(20))...),
			state:    Critical,
			findings: "is answered twice by " + sA + " within 0.02ms in 3 of 3 probes (two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch); is at " + sA,
			repeats:  3,
		},
		{
			name:     "three times in every probe",
			obs:      observe(2, rep(0, macA, us(300)), rep(0, macA, us(400)), rep(0, macA, us(500)), rep(1, macA, us(300)), rep(1, macA, us(350))),
			state:    Critical,
			findings: "is answered 3 times by " + sA + " within 0.1ms in 2 of 2 probes (two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch); is at " + sA,
			repeats:  2,
		},
		{
			name:     "twice in two of three probes is most",
			obs:      observe(3, append(twice(2, macA, us(100)), rep(2, macA, us(300)))...),
			state:    Critical,
			findings: "is answered twice by " + sA + " within 0.1ms in 2 of 3 probes (two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch); is at " + sA,
			repeats:  2,
		},
		{
			name:     "one retransmitted reply does not page",
			obs:      observe(3, rep(0, macA, us(300)), rep(0, macA, us(310)), rep(1, macA, us(300)), rep(2, macA, us(300))),
			state:    OK,
			findings: "is at " + sA,
			repeats:  1,
		},
		{
			name:     "twice in half the probes is not most",
			obs:      observe(4, append(twice(2, macA, us(100)), rep(2, macA, us(300)), rep(3, macA, us(300)))...),
			state:    OK,
			findings: "is at " + sA,
			repeats:  2,
		},
		{
			name:     "-p 1 answered twice cannot tell",
			obs:      observe(1, twice(1, vmac4, us(100))...),
			state:    OK,
			findings: "is at " + sV4 + " (VRRP virtual MAC, VRID 51)",
			repeats:  1,
		},
		{
			name:     "repeats farther apart than the window are no second host",
			obs:      observe(3, twice(3, macA, RepeatWindow+time.Microsecond)...),
			state:    OK,
			findings: "is at " + sA,
		},
		{
			name:     "repeats exactly at the window count",
			obs:      observe(3, twice(3, macA, RepeatWindow)...),
			state:    Critical,
			findings: "is answered twice by " + sA + " within 20ms in 3 of 3 probes (two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch); is at " + sA,
			repeats:  3,
		},
		{
			// Other checks of the address asked too: their answers
			// look like repeats.
			name:     "repeats while other processes asked prove nothing",
			obs:      withForeign(observe(3, twice(3, macA, us(100))...), 5),
			state:    OK,
			findings: "is at " + sA,
		},
		{
			name:     "repeats without other requesters count",
			obs:      withForeign(observe(3, twice(3, macA, us(100))...), 0),
			state:    Critical,
			findings: "is answered twice by " + sA + " within 0.1ms in 3 of 3 probes (two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch); is at " + sA,
			repeats:  3,
		},
		{
			name:  "two MACs each twice: split brain and shared MACs",
			obs:   observe(2, append(twice(2, macA, us(100)), twice(2, macB, us(100))...)...),
			state: Critical,
			findings: "is answered by 2 MACs at once in 2 of 2 probes (split brain): " + sA + " and " + sB +
				"; is answered twice by " + sA + " and " + sB + " within 0.1ms in 2 of 2 probes (two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch)",
			repeats: 2,
		},
		{
			name:  "an unexpected virtual MAC, twice",
			obs:   observe(3, twice(3, vmac4, us(100))...),
			pol:   policy("", "", nodeA),
			state: Critical,
			findings: "is claimed by " + sV4 + " (VRRP virtual MAC, VRID 51) (not in the allowlist), expected " + sA + " (node-a)" +
				"; is answered twice by " + sV4 + " (VRRP virtual MAC, VRID 51, not allowed) within 0.1ms in 3 of 3 probes (two VRRP masters of VRID 51 behind its virtual MAC: split brain after a VRRP partition)",
			repeats: 3,
		},

		// SplitBrain's cause.
		{
			name:     "keepalived's IPv6 virtual MAC interface answers ARP",
			obs:      observe(3, rep(0, macA, us(300)), rep(0, vmac6, us(310)), rep(1, macA, us(300)), rep(1, vmac6, us(310)), rep(2, macA, us(300)), rep(2, vmac6, us(310))),
			state:    Critical,
			findings: "is answered by 2 MACs at once in 3 of 3 probes (one host answering on two interfaces: its IPv6 VRRP virtual MAC interface of VRID 51 answers ARP; set arp_ignore=1 there): " + sA + " and " + sV6 + " (IPv6 VRRP virtual MAC, VRID 51)",
			ndp:      "is answered by 2 MACs at once in 3 of 3 probes (split brain): " + sA + " and " + sV6 + " (IPv6 VRRP virtual MAC, VRID 51)",
		},

		// MacvlanParent.
		{
			name: "silent from a macvlan's parent",
			obs: func() Observation {
				o := observe(3)
				o.MacvlanChildren = []string{"mv0", "mv1"}
				return o
			}(),
			state:    Critical,
			findings: "did not answer; may be on a macvlan of eth0, and the kernel never delivers frames between a macvlan's parent and its children (eth0 carries mv0 and mv1 here; those in other namespaces are not listed): check from another host, or from a macvlan of eth0",
		},
		{
			name: "answered from a macvlan's parent: no note",
			obs: func() Observation {
				o := observe(3, healthy3(macA)...)
				o.MacvlanChildren = []string{"mv0"}
				return o
			}(),
			state:    OK,
			findings: "is at " + sA,
		},

		// LateReply.
		{
			name: "late replies, none lost",
			obs: func() Observation {
				o := observe(3, healthy3(macA)...)
				o.LateReplies = 2
				return o
			}(),
			state:    OK,
			findings: "answers late: replies arrive after the next request in 2 of 3 probes; raise -i; is at " + sA,
		},
		{
			name: "late replies and loss",
			obs: func() Observation {
				o := observe(3, rep(0, macA, us(300)), rep(1, macA, us(300)))
				o.LateReplies = 1
				return o
			}(),
			state:    Warning,
			findings: "lost 1 of 3 probes (33.3%), while replies arrive after the next request, so the missing ones may have come after the deadline; raise -i and -t; is at " + sA,
		},
		{
			name: "loss while the check's socket dropped frames",
			obs: func() Observation {
				o := observe(3, rep(0, macA, us(300)), rep(2, macA, us(300)))
				o.ReceiveDrops = 17
				return o
			}(),
			state:    Warning,
			findings: "lost 1 of 3 probes (33.3%), while this check's socket dropped 17 frames this host did not let it read in time, so the missing replies may be among them; if many checks of it run at once here, spread them out; is at " + sA,
		},
		{
			name: "dropped frames, nothing lost",
			obs: func() Observation {
				o := observe(3, healthy3(macA)...)
				o.ReceiveDrops = 17
				return o
			}(),
			state:    OK,
			findings: "is at " + sA,
		},
		{
			name: "late replies and loss within the pl threshold",
			obs: func() Observation {
				o := observe(3, rep(0, macA, us(300)), rep(1, macA, us(300)))
				o.LateReplies = 1
				return o
			}(),
			pol:      policy("50%", ""),
			state:    OK,
			findings: "answers late: replies arrive after the next request in 1 of 3 probes; raise -i; is at " + sA,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, obs := range []Observation{tt.obs, asNDP(tt.obs)} {
				r := Decide(obs, tt.pol)
				want := tt.findings
				if obs.Protocol == ProtocolNDP {
					if tt.ndp != "" {
						want = tt.ndp
					}
					want = toNDPWords.Replace(want)
				}
				if r.State != tt.state {
					t.Errorf("%s: State = %v, want %v", obs.Protocol, r.State, tt.state)
				}
				if got := findingsText(r); got != want {
					t.Errorf("%s: findings mismatch\n got: %s\nwant: %s", obs.Protocol, got, want)
				}
				if r.Facts.RepeatProbes != tt.repeats {
					t.Errorf("%s: RepeatProbes = %d, want %d", obs.Protocol, r.Facts.RepeatProbes, tt.repeats)
				}
				checkInvariants(t, obs, r)
			}
		})
	}
}

func TestUnicastRequest(t *testing.T) {
	const arpIgnored = "answers broadcast ARP requests but not a unicast one to " + sA + ", which routers send to refresh their ARP entries: theirs go STALE then FAILED, and traffic to it blackholes once their cache expires"
	const ndpIgnored = "answers multicast solicitations but not a unicast one to " + sA + ", which routers and hosts send to confirm their neighbor entries: theirs go FAILED and traffic to it blackholes until they resolve it again"
	tests := []struct {
		name     string
		unicast  UnicastRequest
		foreign  int
		pol      Policy
		state    State
		result   UnicastResult
		arp, ndp string // findings
	}{
		{"not sent", UnicastRequest{}, 0, Policy{}, OK, UnicastNotSent, "is at " + sA, "is at " + sA},
		{"answered", UnicastRequest{Sent: true, To: macA, Answered: true, RTT: us(200)}, 0, Policy{}, OK, UnicastAnswered, "is at " + sA, "is at " + sA},
		{"ignored", UnicastRequest{Sent: true, To: macA}, 0, Policy{}, Warning, UnicastIgnored, arpIgnored + "; is at " + sA, ndpIgnored + "; is at " + toNDPWords.Replace(sA)},
		{"ignored while others asked: still no answer at all", UnicastRequest{Sent: true, To: macA}, 4, Policy{}, Warning, UnicastIgnored, arpIgnored + "; is at " + sA, ndpIgnored + "; is at " + sA},
		{"answered while others asked: unknown, no finding", UnicastRequest{Sent: true, To: macA, Answered: true}, 4, Policy{}, OK, UnicastUnknown, "is at " + sA, "is at " + sA},
		{"ignored, labelled owner", UnicastRequest{Sent: true, To: macA}, 0, policy("", "", nodeA), Warning, UnicastIgnored, arpIgnored + "; is at " + sA + " (node-a)", ndpIgnored + "; is at " + sA + " (node-a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observe(3, healthy3(macA)...)
			obs.Unicast, obs.ForeignRequests = tt.unicast, tt.foreign
			for _, o := range []Observation{obs, asNDP(obs)} {
				r := Decide(o, tt.pol)
				want := tt.arp
				if o.Protocol == ProtocolNDP {
					want = tt.ndp
				}
				if r.State != tt.state || findingsText(r) != want || r.Facts.Unicast != tt.result {
					t.Errorf("%s: %v %d %q\nwant %v %d %q", o.Protocol, r.State, r.Facts.Unicast, findingsText(r), tt.state, tt.result, want)
				}
				checkInvariants(t, o, r)
			}
		})
	}
}

func TestSplitBrainNotes(t *testing.T) {
	split := observe(3, rep(0, macA, us(300)), rep(0, macB, us(310)), rep(1, macA, us(300)), rep(1, macB, us(310)), rep(2, macA, us(300)), rep(2, macB, us(310)))
	r := Decide(split, Policy{})
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "ARP flux") || !strings.Contains(r.Notes[0], "arp_ignore=1") {
		t.Errorf("ARP split brain notes %q; want one naming ARP flux and the fix", r.Notes)
	}
	if r := Decide(asNDP(split), Policy{}); len(r.Notes) != 0 {
		t.Errorf("NDP split brain notes %q; neighbor discovery has no flux", r.Notes)
	}
	if r := Decide(observe(3, healthy3(macA)...), Policy{}); len(r.Notes) != 0 {
		t.Errorf("healthy notes %q, want none", r.Notes)
	}
}

func TestAnnouncementsCountBursts(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name          string
		frames        []Announcement
		announcements int
		perMAC        []int
	}{
		{"MetalLB ARP round: two frames back to back", []Announcement{{MAC: macA, At: ms(10)}, {MAC: macA, At: ms(10) + us(30)}}, 1, []int{1}},
		{"MetalLB NDP round: one frame", []Announcement{{MAC: macA, At: ms(10)}}, 1, []int{1}},
		{"two ARP rounds 1.1 s apart", []Announcement{{MAC: macA, At: 0}, {MAC: macA, At: us(20)}, {MAC: macA, At: ms(1100)}, {MAC: macA, At: ms(1100) + us(20)}}, 2, []int{2}},
		{"keepalived burst of five", []Announcement{{MAC: macA, At: 0}, {MAC: macA, At: ms(1)}, {MAC: macA, At: ms(2)}, {MAC: macA, At: ms(3)}, {MAC: macA, At: ms(4)}}, 1, []int{1}},
		{"a frame one window after the burst's first starts another", []Announcement{{MAC: macA, At: 0}, {MAC: macA, At: AnnouncementBurst}}, 2, []int{2}},
		{"a steady stream counts once per window", []Announcement{{MAC: macA, At: 0}, {MAC: macA, At: ms(50)}, {MAC: macA, At: ms(99)}, {MAC: macA, At: ms(150)}}, 2, []int{2}},
		{"two MACs interleaved count per MAC", []Announcement{{MAC: macA, At: 0}, {MAC: macB, At: us(10)}, {MAC: macA, At: us(20)}, {MAC: macB, At: us(30)}}, 2, []int{1, 1}},
		{"none", nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observe(3, healthy3(macA)...)
			obs.Announcements = tt.frames
			for _, o := range []Observation{obs, asNDP(obs)} {
				f := Decide(o, Policy{}).Facts
				if f.Announcements != tt.announcements || f.AnnouncementFrames != len(tt.frames) {
					t.Errorf("%s: %d announcements of %d frames, want %d of %d", o.Protocol, f.Announcements, f.AnnouncementFrames, tt.announcements, len(tt.frames))
				}
				var per []int
				for _, a := range f.Announcers {
					per = append(per, a.Count)
				}
				if len(per) != len(tt.perMAC) || (len(per) > 0 && !equalInts(per, tt.perMAC)) {
					t.Errorf("%s: per MAC %v, want %v", o.Protocol, per, tt.perMAC)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMACNames(t *testing.T) {
	tests := []struct {
		m    MAC
		want string
	}{
		{MAC{Addr: macA, Allowed: true}, sA},
		{MAC{Addr: macA, Label: "node-a", Allowed: true}, sA + " (node-a)"},
		{MAC{Addr: macA, Label: "node-a"}, sA + " (not allowed)"},
		{MAC{Addr: vmac4, Allowed: true}, sV4 + " (VRRP virtual MAC, VRID 51)"},
		{MAC{Addr: vmac4, Label: "vip-a", Allowed: true}, sV4 + " (vip-a, VRRP virtual MAC, VRID 51)"},
		{MAC{Addr: vmac4}, sV4 + " (VRRP virtual MAC, VRID 51, not allowed)"},
		{MAC{Addr: vmac6, Allowed: true}, sV6 + " (IPv6 VRRP virtual MAC, VRID 51)"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestSpoofedRepeatsAreNoSecondHost(t *testing.T) {
	// A forger sends replies claiming the owner's MAC from its own, every
	// few milliseconds: spoofing, not two hosts behind one MAC.
	obs := observe(3, twice(3, macA, us(100))...)
	for i := range obs.Replies {
		if i%2 == 1 {
			obs.Replies[i].Via = macZ
		}
	}
	r := Decide(obs, Policy{})
	if r.Facts.RepeatProbes != 0 || r.State != Warning || !strings.Contains(findingsText(r), "a sign of spoofing") {
		t.Errorf("%v %q, RepeatProbes %d; want WARNING for spoofing only", r.State, findingsText(r), r.Facts.RepeatProbes)
	}
	// Replies at the same instant are repeats too.
	if r := Decide(observe(2, twice(2, macA, 0)...), Policy{}); r.Facts.RepeatProbes != 2 || r.State != Critical {
		t.Errorf("simultaneous repeats: %v %q", r.State, findingsText(r))
	}
}
