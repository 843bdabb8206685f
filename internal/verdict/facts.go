package verdict

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/allowlist"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/threshold"
)

// Facts are what the rules worked from, derived once from an observation
// and the policy, as plain values: every output format (the Nagios line,
// long output, performance data, and any other) prints from them without
// recomputing anything.
type Facts struct {
	// Protocol, Target, Interface, Source, LocalMAC and Elapsed are copied
	// from the observation.
	Protocol  string
	Target    netip.Addr
	Interface string
	Source    netip.Addr
	LocalMAC  mac.Addr
	Elapsed   time.Duration

	// Sent counts the probes sent, Received those answered at least once.
	Sent, Received int
	// LossPercent is the share of probes without an answer (100 when none
	// was sent).
	LossPercent float64
	// RTA, RTMin and RTMax are the average, lowest and highest round trip
	// over the first reply to each answered probe; zero when Received is 0.
	RTA, RTMin, RTMax time.Duration

	// Answerers are the distinct MACs that answered, by first reply.
	Answerers []Answerer
	// Announcers are the distinct MACs that announced the target, by first
	// announcement.
	Announcers []Announcer
	// Announcements counts the announcements (gratuitous ARP, unsolicited
	// neighbor advertisements): each MAC's frames within AnnouncementBurst
	// of the first frame of its burst count once, so that one takeover
	// round counts once in both families (MetalLB sends two ARP frames per
	// round but one IPv6 advertisement; keepalived a burst of five).
	// AnnouncementFrames counts every frame.
	Announcements, AnnouncementFrames int
	// Unexpected are the MACs outside a non-empty allowlist that claimed
	// the target, by reply or announcement.
	Unexpected []MAC
	// Owner is the MAC that alone answered the last probe answered by one
	// MAC only: who holds the address now. HasOwner is false when every
	// answered probe drew several MACs, or none was answered.
	Owner    MAC
	HasOwner bool
	// MultiMACProbes counts probes answered by more than one MAC.
	MultiMACProbes int
	// MACChanges counts changes of the answering MAC between consecutive
	// probes answered by one MAC.
	MACChanges int
	// RepeatProbes counts the probes that one MAC answered more than once,
	// its second reply within RepeatWindow of its first: two hosts behind
	// one MAC. It stays 0 when RepeatsAmbiguous.
	RepeatProbes int
	// RepeatsAmbiguous is true when other processes on this host asked for
	// the target during the check: an answer to them can look like a
	// repeated answer to us, so a repeat then proves nothing.
	RepeatsAmbiguous bool
	// Unicast is what became of the unicast reachability request, sent to
	// UnicastTo after every probe was answered, UnicastRTT its answer's
	// round trip.
	Unicast    UnicastResult
	UnicastTo  mac.Addr
	UnicastRTT time.Duration
	// ReceiveDrops counts the frames the check's socket dropped unread
	// (copied from the observation).
	ReceiveDrops int
	// LateReplies counts the probes whose first reply arrived after the
	// next probe left (copied from the observation).
	LateReplies int
	// MacvlanChildren names the macvlan interfaces of Interface (copied
	// from the observation).
	MacvlanChildren []string
	// Spoofed counts replies and announcements sent from a link-layer
	// address other than the MAC they claim.
	Spoofed int
	// Recorded counts the replies and announcements in the observation;
	// Unrecorded those that arrived beyond its recording limit.
	Recorded, Unrecorded int

	// Probes is the per-probe timeline, one entry per probe sent.
	Probes []Probe

	// Allowed is the allowlist in force, in ascending order; empty when
	// any one MAC may answer.
	Allowed []MAC
	// Warn and Crit are the thresholds the round trips and the loss were
	// judged by.
	Warn, Crit threshold.Pair

	// Memory is what earlier runs added (owner changes, the owner's age,
	// a reset); Memory.Used is false without memory.
	Memory Memory
}

// MAC is a link-layer address as the policy knows it.
type MAC struct {
	Addr mac.Addr
	// Label is its allowlist label, "" when it has none.
	Label string
	// Allowed is true when the allowlist permits it, or when there is no
	// allowlist.
	Allowed bool
}

// String names the MAC as the plugin prints it: the address, then in
// parentheses its label, what the address itself says (a VRRP virtual MAC
// and its VRID) and, on an allowlist that does not permit it, "not
// allowed": 00:00:5e:00:01:33 (vip-a, VRRP virtual MAC, VRID 51).
func (m MAC) String() string {
	notes := make([]string, 0, 3)
	if m.Allowed && m.Label != "" {
		notes = append(notes, m.Label)
	}
	if k := m.Addr.Kind(); k != "" {
		notes = append(notes, k)
	}
	if !m.Allowed {
		notes = append(notes, "not allowed")
	}
	if len(notes) == 0 {
		return m.Addr.String()
	}
	return m.Addr.String() + " (" + strings.Join(notes, ", ") + ")"
}

// Answerer is what one answering MAC did.
type Answerer struct {
	MAC
	// Replies counts its replies, duplicates included.
	Replies int
	// Probes are the 0-based indexes of the probes it answered, ascending.
	Probes []int
	// MinRTT and MaxRTT span its replies' round trips.
	MinRTT, MaxRTT time.Duration
}

// Announcer is a MAC that announced the target.
type Announcer struct {
	MAC
	// Count is how many announcements it sent (bursts, as
	// Facts.Announcements counts them); First is when the first arrived,
	// from the start of the check.
	Count int
	First time.Duration
}

// Probe is one probe of the timeline.
type Probe struct {
	// At is when it was sent, from the start of the check.
	At time.Duration
	// Replies counts every reply credited to it, duplicates included.
	Replies int
	// Answers lists the distinct MACs that answered it, in arrival order.
	Answers []Answer
}

// Answer is one MAC's answer to one probe.
type Answer struct {
	MAC
	// RTT is the round trip of its first reply to the probe.
	RTT time.Duration
	// Replies counts its replies to the probe.
	Replies int
	// Repeat is how long after its first reply its second arrived, among
	// replies sent from the MAC they claim; 0 when it replied once.
	Repeat time.Duration
}

// UnicastResult is what became of the unicast reachability request.
type UnicastResult int

// The unicast request's results.
const (
	// UnicastNotSent: disabled, a probe went unanswered, or too little
	// time was left.
	UnicastNotSent UnicastResult = iota
	// UnicastAnswered: the owner answered it.
	UnicastAnswered
	// UnicastIgnored: the owner did not answer it by the deadline.
	UnicastIgnored
	// UnicastUnknown: an answer came, but other processes asked for the
	// target too, so it may have been theirs.
	UnicastUnknown
)

// RepeatWindow is how close together one MAC's two replies to one request
// must arrive to count as two hosts answering: two kernels answering the
// same broadcast answer within a millisecond or two of each other, even
// on loaded hosts; a responder catching up on a backlog, or a reply to
// another request, is rarely this close in most probes.
const RepeatWindow = 20 * time.Millisecond

// AnnouncementBurst is how long after the first frame of a MAC's
// announcement burst its further frames count as the same announcement:
// MetalLB sends its two ARP frames back to back, keepalived its
// garp_master_repeat frames in one go, and both repeat rounds a second or
// more apart.
const AnnouncementBurst = 100 * time.Millisecond

// Lost counts the probes without an answer.
func (f *Facts) Lost() int { return f.Sent - f.Received }

// derived holds what only the rules need besides the facts.
type derived struct {
	perMAC          map[mac.Addr]int // index into Facts.Answerers
	maxMACsPerProbe int
	multiMACs       []MAC // distinct MACs seen in multi-MAC probes
	// sequence has the one MAC of each probe answered by exactly one MAC,
	// in probe order.
	sequence  []MAC
	spoofPair [2]mac.Addr // the first spoofed frame: claimed MAC, sender
	// repeaters are the MACs that answered a probe more than once, close
	// together; maxRepeats their most replies to one probe, repeatGap the
	// widest gap between such a MAC's first two replies.
	repeaters  []MAC
	maxRepeats int
	repeatGap  time.Duration
}

// claimants returns every MAC that claimed the target, by reply or by
// announcement.
func (f *Facts) claimants(d *derived) []MAC {
	out := make([]MAC, 0, len(f.Answerers)+len(f.Announcers))
	for _, a := range f.Answerers {
		out = append(out, a.MAC)
	}
	for _, a := range f.Announcers {
		if _, ok := d.perMAC[a.Addr]; !ok {
			out = append(out, a.MAC)
		}
	}
	return out
}

func summarize(obs Observation, pol Policy) (Facts, derived) {
	describe := func(a mac.Addr) MAC {
		return MAC{Addr: a, Label: pol.Allowed.Label(a), Allowed: pol.Allowed.Len() == 0 || pol.Allowed.Allows(a)}
	}
	f := Facts{
		Protocol:           obs.Protocol,
		Target:             obs.Target,
		Interface:          obs.Interface,
		Source:             obs.Source,
		LocalMAC:           obs.LocalMAC,
		Elapsed:            obs.Elapsed,
		Sent:               len(obs.ProbesSent),
		AnnouncementFrames: len(obs.Announcements),
		LateReplies:        obs.LateReplies,
		ReceiveDrops:       obs.ReceiveDrops,
		MacvlanChildren:    obs.MacvlanChildren,
		RepeatsAmbiguous:   obs.ForeignRequests > 0,
		Unicast:            unicastResult(obs),
		UnicastTo:          obs.Unicast.To,
		UnicastRTT:         obs.Unicast.RTT,
		Recorded:           len(obs.Replies) + len(obs.Announcements),
		Unrecorded:         obs.Unrecorded,
		Probes:             make([]Probe, len(obs.ProbesSent)),
		Allowed:            allowed(pol.Allowed),
		Warn:               pol.Warn,
		Crit:               pol.Crit,
	}
	d := derived{perMAC: make(map[mac.Addr]int)}
	for i, at := range obs.ProbesSent {
		f.Probes[i].At = at
	}
	type probeMAC struct {
		probe int
		mac   mac.Addr
	}
	inProbe := make(map[probeMAC]int) // index into Answers; keeps a flood linear
	type repeat struct {
		n          int
		first, gap time.Duration
	}
	honest := make(map[probeMAC]repeat) // replies not spoofed, by probe and MAC
	spoof := func(claimed, via mac.Addr) {
		if via.IsZero() || via == claimed {
			return
		}
		if f.Spoofed == 0 {
			d.spoofPair = [2]mac.Addr{claimed, via}
		}
		f.Spoofed++
	}
	for _, r := range obs.Replies {
		if r.Probe < 0 || r.Probe >= f.Sent {
			continue
		}
		spoof(r.MAC, r.Via)
		p := &f.Probes[r.Probe]
		p.Replies++
		k := probeMAC{r.Probe, r.MAC}
		if !spoofedReply(r) {
			// Repeats count only among replies sent from the MAC they
			// claim: a forger's stream claiming the owner's MAC is
			// spoofing, not a second host.
			h := honest[k]
			if h.n++; h.n == 1 {
				h.first = r.RTT
			} else if h.n == 2 {
				h.gap = max(r.RTT-h.first, 0)
			}
			honest[k] = h
		}
		if i, ok := inProbe[k]; ok {
			p.Answers[i].Replies++
		} else {
			inProbe[k] = len(p.Answers)
			p.Answers = append(p.Answers, Answer{MAC: describe(r.MAC), RTT: r.RTT, Replies: 1})
		}
		i, ok := d.perMAC[r.MAC]
		if !ok {
			i = len(f.Answerers)
			d.perMAC[r.MAC] = i
			f.Answerers = append(f.Answerers, Answerer{MAC: describe(r.MAC), MinRTT: r.RTT, MaxRTT: r.RTT})
		}
		a := &f.Answerers[i]
		a.Replies++
		if n := len(a.Probes); n == 0 || a.Probes[n-1] != r.Probe {
			a.Probes = append(a.Probes, r.Probe)
		}
		a.MinRTT = min(a.MinRTT, r.RTT)
		a.MaxRTT = max(a.MaxRTT, r.RTT)
	}
	for k, h := range honest {
		if h.n > 1 {
			p := &f.Probes[k.probe]
			p.Answers[inProbe[k]].Repeat = h.gap
		}
	}
	var total time.Duration
	inMulti := make(map[mac.Addr]bool)
	for pi, p := range f.Probes {
		if p.Replies == 0 {
			continue
		}
		first := p.Answers[0].RTT // the probe's first reply
		if f.Received == 0 {
			f.RTMin, f.RTMax = first, first
		}
		f.Received++
		total += first
		f.RTMin = min(f.RTMin, first)
		f.RTMax = max(f.RTMax, first)
		repeated := false
		for _, a := range p.Answers {
			if honest[probeMAC{pi, a.Addr}].n > 1 && a.Repeat <= RepeatWindow && !f.RepeatsAmbiguous {
				repeated = true
				d.maxRepeats = max(d.maxRepeats, a.Replies)
				if !slices.ContainsFunc(d.repeaters, func(m MAC) bool { return m.Addr == a.Addr }) {
					d.repeaters = append(d.repeaters, a.MAC)
				}
				d.repeatGap = max(d.repeatGap, a.Repeat)
			}
		}
		if repeated {
			f.RepeatProbes++
		}
		if len(p.Answers) > 1 {
			f.MultiMACProbes++
			d.maxMACsPerProbe = max(d.maxMACsPerProbe, len(p.Answers))
			for _, a := range p.Answers {
				if !inMulti[a.Addr] {
					inMulti[a.Addr] = true
					d.multiMACs = append(d.multiMACs, a.MAC)
				}
			}
			continue
		}
		if n := len(d.sequence); n > 0 && d.sequence[n-1].Addr != p.Answers[0].Addr {
			f.MACChanges++
		}
		d.sequence = append(d.sequence, p.Answers[0].MAC)
	}
	if f.Received > 0 {
		f.RTA = total / time.Duration(f.Received)
	}
	if n := len(d.sequence); n > 0 {
		f.Owner, f.HasOwner = d.sequence[n-1], true
	}
	f.LossPercent = 100
	if f.Sent > 0 {
		f.LossPercent = 100 * float64(f.Lost()) / float64(f.Sent)
	}
	announcer := make(map[mac.Addr]int)
	burst := make([]time.Duration, 0, 4) // by announcer: its burst's first frame
	for _, a := range obs.Announcements {
		spoof(a.MAC, a.Via)
		i, ok := announcer[a.MAC]
		if !ok {
			i = len(f.Announcers)
			announcer[a.MAC] = i
			f.Announcers = append(f.Announcers, Announcer{MAC: describe(a.MAC), First: a.At})
			burst = append(burst, a.At)
			f.Announcers[i].Count++
			continue
		}
		// Frames arrive in order; one before its burst's start (clocks
		// of a fuzzed observation) starts none.
		if a.At-burst[i] >= AnnouncementBurst {
			burst[i] = a.At
			f.Announcers[i].Count++
		}
	}
	for _, a := range f.Announcers {
		f.Announcements += a.Count
	}
	if pol.Allowed.Len() > 0 {
		for _, m := range f.claimants(&d) {
			if !m.Allowed {
				f.Unexpected = append(f.Unexpected, m)
			}
		}
	}
	return f, d
}

// unicastResult judges the unicast request's answer: no answer by the
// deadline is certain, an answer is only ours when nobody else asked.
func unicastResult(obs Observation) UnicastResult {
	switch u := obs.Unicast; {
	case !u.Sent:
		return UnicastNotSent
	case !u.Answered:
		return UnicastIgnored
	case obs.ForeignRequests > 0:
		return UnicastUnknown
	}
	return UnicastAnswered
}

// allowed lists the allowlist as MACs, in its ascending order.
func allowed(l allowlist.List) []MAC {
	addrs := l.Addrs()
	out := make([]MAC, len(addrs))
	for i, a := range addrs {
		out[i] = MAC{Addr: a, Label: l.Label(a), Allowed: true}
	}
	return out
}

// spoofedReply reports whether a reply left from another link-layer
// address than the MAC it claims.
func spoofedReply(r Reply) bool { return !r.Via.IsZero() && r.Via != r.MAC }
