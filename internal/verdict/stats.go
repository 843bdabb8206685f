package verdict

import (
	"time"

	"github.com/check-arp/check_arp/internal/mac"
)

// probeStat is what one probe drew.
type probeStat struct {
	macs     []mac.Addr // distinct, in arrival order
	firstRTT time.Duration
	replies  int
}

// macStat is what one answering MAC did.
type macStat struct {
	replies        int
	probes         []int // probes it answered, ascending, each once
	minRTT, maxRTT time.Duration
}

// stats are the counts the rules work on, derived once from an observation.
type stats struct {
	sent, answered  int
	probes          []probeStat
	macOrder        []mac.Addr // distinct answering MACs, by first reply
	perMAC          map[mac.Addr]*macStat
	multiMACProbes  int
	maxMACsPerProbe int
	multiMACs       []mac.Addr // distinct MACs seen in multi-MAC probes
	// sequence has the one MAC of each probe answered by exactly one MAC,
	// in probe order; changes counts neighbours that differ.
	sequence          []mac.Addr
	changes           int
	rta, rtmin, rtmax time.Duration
	announcers        []mac.Addr // distinct MACs of announcements
	// spoofed counts replies and announcements sent from a link-layer
	// source other than the MAC they claim; spoofPair is the first such.
	spoofed   int
	spoofPair [2]mac.Addr
}

func summarize(obs Observation) stats {
	s := stats{
		sent:   len(obs.ProbesSent),
		probes: make([]probeStat, len(obs.ProbesSent)),
		perMAC: make(map[mac.Addr]*macStat),
	}
	type probeMAC struct {
		probe int
		mac   mac.Addr
	}
	seenInProbe := make(map[probeMAC]bool) // keeps a flood linear
	spoof := func(claimed, via mac.Addr) {
		if via.IsZero() || via == claimed {
			return
		}
		if s.spoofed == 0 {
			s.spoofPair = [2]mac.Addr{claimed, via}
		}
		s.spoofed++
	}
	for _, r := range obs.Replies {
		if r.Probe < 0 || r.Probe >= s.sent {
			continue
		}
		spoof(r.MAC, r.Via)
		p := &s.probes[r.Probe]
		p.replies++
		if p.replies == 1 {
			p.firstRTT = r.RTT
		}
		if k := (probeMAC{r.Probe, r.MAC}); !seenInProbe[k] {
			seenInProbe[k] = true
			p.macs = append(p.macs, r.MAC)
		}
		m := s.perMAC[r.MAC]
		if m == nil {
			m = &macStat{minRTT: r.RTT, maxRTT: r.RTT}
			s.perMAC[r.MAC] = m
			s.macOrder = append(s.macOrder, r.MAC)
		}
		m.replies++
		if n := len(m.probes); n == 0 || m.probes[n-1] != r.Probe {
			m.probes = append(m.probes, r.Probe)
		}
		m.minRTT = min(m.minRTT, r.RTT)
		m.maxRTT = max(m.maxRTT, r.RTT)
	}
	var total time.Duration
	inMulti := make(map[mac.Addr]bool)
	for _, p := range s.probes {
		if p.replies == 0 {
			continue
		}
		if s.answered == 0 {
			s.rtmin, s.rtmax = p.firstRTT, p.firstRTT
		}
		s.answered++
		total += p.firstRTT
		s.rtmin = min(s.rtmin, p.firstRTT)
		s.rtmax = max(s.rtmax, p.firstRTT)
		if len(p.macs) > 1 {
			s.multiMACProbes++
			s.maxMACsPerProbe = max(s.maxMACsPerProbe, len(p.macs))
			for _, m := range p.macs {
				if !inMulti[m] {
					inMulti[m] = true
					s.multiMACs = append(s.multiMACs, m)
				}
			}
			continue
		}
		if n := len(s.sequence); n > 0 && s.sequence[n-1] != p.macs[0] {
			s.changes++
		}
		s.sequence = append(s.sequence, p.macs[0])
	}
	if s.answered > 0 {
		s.rta = total / time.Duration(s.answered)
	}
	announced := make(map[mac.Addr]bool)
	for _, a := range obs.Announcements {
		spoof(a.MAC, a.Via)
		if !announced[a.MAC] {
			announced[a.MAC] = true
			s.announcers = append(s.announcers, a.MAC)
		}
	}
	return s
}

// claimants returns every MAC that claimed the target, by reply or by
// announcement.
func (s stats) claimants() []mac.Addr {
	out := append([]mac.Addr(nil), s.macOrder...)
	for _, a := range s.announcers {
		if s.perMAC[a] == nil {
			out = append(out, a)
		}
	}
	return out
}

func (s stats) lost() int { return s.sent - s.answered }

func (s stats) lossPercent() float64 {
	if s.sent == 0 {
		return 100
	}
	return 100 * float64(s.lost()) / float64(s.sent)
}
