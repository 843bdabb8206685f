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
}

func summarize(obs Observation) stats {
	s := stats{
		sent:   len(obs.ProbesSent),
		probes: make([]probeStat, len(obs.ProbesSent)),
		perMAC: make(map[mac.Addr]*macStat),
	}
	for _, r := range obs.Replies {
		if r.Probe < 0 || r.Probe >= s.sent {
			continue
		}
		p := &s.probes[r.Probe]
		p.replies++
		if p.replies == 1 {
			p.firstRTT = r.RTT
		}
		if !contains(p.macs, r.MAC) {
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
				if !contains(s.multiMACs, m) {
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
	for _, a := range obs.Announcements {
		if !contains(s.announcers, a.MAC) {
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
		if !contains(out, a) {
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

func contains(list []mac.Addr, a mac.Addr) bool {
	for _, b := range list {
		if b == a {
			return true
		}
	}
	return false
}
