package verdict

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/allowlist"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/threshold"
)

// State is a monitoring plugin state; its value is the plugin's exit code.
type State int

// The plugin states, ordered so that a larger value is worse.
const (
	OK       State = 0
	Warning  State = 1
	Critical State = 2
	Unknown  State = 3
)

// String returns the state's name as plugins print it.
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	default:
		return "UNKNOWN"
	}
}

// Policy is what the operator expects: the allowed MACs and the thresholds.
type Policy struct {
	// Allowed lists the MACs that may answer. Empty means any one MAC may.
	Allowed allowlist.List
	// Warn and Crit are the -w and -c thresholds on rta (ms) and loss (%).
	Warn, Crit threshold.Pair
}

// Finding is one thing the check noticed, with the state it calls for. Text
// continues a sentence whose subject is the target address.
type Finding struct {
	State State
	Text  string
}

// Decide applies the rules below to an observation. The worst finding sets
// the state; findings are ordered worst first, and within a state in the
// order the rules are listed.
//
// The rules:
//  1. No reply at all: CRITICAL.
//  2. More replies and announcements than the check records (a flood):
//     CRITICAL, named first since it explains what else looks wrong.
//  3. A reply or announcement from a MAC outside a non-empty allowlist:
//     CRITICAL (IP conflict or hijack).
//  4. Two or more MACs answering the same probe: CRITICAL (split brain, or
//     every node answering), even when all of them are allowed.
//  5. The answering MAC changes between probes: one change is WARNING
//     (a failover during the check), two or more are CRITICAL (flapping).
//     Probes answered by several MACs are left out of this sequence.
//  6. An allowed MAC that did not answer announces the target (gratuitous
//     ARP, unsolicited neighbor advertisement) while another MAC answers:
//     WARNING (contested).
//  7. A reply or announcement sent from a link-layer address other than
//     the MAC it claims: WARNING (a sign of spoofing).
//  8. Packet loss is judged by the pl part of -w/-c; without one, any lost
//     probe is WARNING.
//  9. The round-trip average is judged by the rta part of -w/-c, if given.
//  10. Otherwise: OK, naming the one MAC that answered.
func Decide(obs Observation, pol Policy) Result {
	s := summarize(obs)
	var findings []Finding
	add := func(st State, format string, args ...any) {
		findings = append(findings, Finding{st, fmt.Sprintf(format, args...)})
	}
	name := func(a mac.Addr) string { return describeMAC(a, pol.Allowed) }
	words := wordsFor(obs.Protocol)

	// Rule 1.
	if s.answered == 0 {
		add(Critical, "did not answer")
	}

	// Rule 2: a flood explains whatever else looks wrong, so it leads.
	if obs.Unrecorded > 0 {
		recorded := len(obs.Replies) + len(obs.Announcements)
		from := ""
		if claimants := s.claimants(); len(claimants) > 0 {
			from = fmt.Sprintf(", from at least %d MAC%s (%s)", len(claimants), plural(len(claimants), "", "s"),
				listMACs(claimants, func(a mac.Addr) string { return a.String() }))
		}
		add(Critical, "is flooded: %d frames about it arrived%s; the check records %d", obs.Unrecorded+recorded, from, recorded)
	}

	// Rule 3.
	var unexpected []mac.Addr
	if pol.Allowed.Len() > 0 {
		for _, m := range s.claimants() {
			if !pol.Allowed.Allows(m) {
				unexpected = append(unexpected, m)
			}
		}
		if len(unexpected) > 0 {
			how := "announced by " + words.announcedBy + " from"
			for _, m := range unexpected {
				if s.perMAC[m] != nil {
					how = "claimed by"
				}
			}
			add(Critical, "is %s %s (not in the allowlist), expected %s", how,
				listMACs(unexpected, func(a mac.Addr) string { return a.String() }),
				listMACs(pol.Allowed.Addrs(), name))
		}
	}

	// Rule 4.
	if s.multiMACProbes > 0 {
		add(Critical, "is answered by %d MACs at once in %d of %d probes (split brain): %s",
			s.maxMACsPerProbe, s.multiMACProbes, s.sent, listMACs(s.multiMACs, name))
	}

	// Rule 5.
	switch {
	case s.changes == 1:
		add(Warning, "moved from %s to %s during the check (failover)", name(s.sequence[0]), name(s.sequence[len(s.sequence)-1]))
	case s.changes > 1:
		add(Critical, "is flapping between %s: its MAC changed %d times in %d probes", listMACs(distinct(s.sequence), name), s.changes, s.sent)
	}

	// Rule 6: an allowed MAC that announces the target while others answer
	// for it contests the address (a takeover the old owner ignores, or
	// two nodes that both think they lead).
	if len(s.macOrder) > 0 {
		var contesting []mac.Addr
		for _, a := range s.announcers {
			if s.perMAC[a] == nil && (pol.Allowed.Len() == 0 || pol.Allowed.Allows(a)) {
				contesting = append(contesting, a)
			}
		}
		if len(contesting) > 0 {
			add(Warning, "was announced by %s from %s while %s answered", words.announcedBy, listMACs(contesting, name), listMACs(s.macOrder, name))
		}
	}

	// Rule 7: a frame that claims one MAC but leaves another is forged.
	if s.spoofed > 0 {
		add(Warning, "got %d frame%s claiming %s sent from %s (a sign of spoofing)",
			s.spoofed, plural(s.spoofed, "", "s"), s.spoofPair[0], s.spoofPair[1])
	}

	// Rule 8.
	if s.answered > 0 && s.lost() > 0 {
		st := Warning
		if pol.Warn.HasPL || pol.Crit.HasPL {
			st = judge(s.lossPercent(), pol.Warn.HasPL, pol.Warn.PL, pol.Crit.HasPL, pol.Crit.PL)
		}
		if st != OK {
			add(st, "lost %d of %d probes (%s%%)", s.lost(), s.sent, formatPercent(s.lossPercent()))
		}
	}

	// Rule 9.
	if s.answered > 0 {
		rta := ms(s.rta)
		if st := judge(rta, pol.Warn.HasRTA, pol.Warn.RTA, pol.Crit.HasRTA, pol.Crit.RTA); st != OK {
			r := pol.Warn.RTA
			if st == Critical {
				r = pol.Crit.RTA
			}
			add(st, "%s", describeRTA(rta, st, r))
		}
	}

	// Rule 10: name the one answering MAC unless a finding already did.
	if len(s.macOrder) == 1 && len(unexpected) == 0 && s.changes == 0 {
		add(OK, "is at %s", name(s.macOrder[0]))
	}

	sort.SliceStable(findings, func(i, j int) bool { return findings[i].State > findings[j].State })
	return Result{
		State:    findings[0].State,
		Findings: findings,
		obs:      obs,
		pol:      pol,
		stats:    s,
		unexp:    len(unexpected),
	}
}

// judge returns the state a value calls for under optional warn and crit
// ranges.
func judge(v float64, hasWarn bool, warn threshold.Range, hasCrit bool, crit threshold.Range) State {
	switch {
	case hasCrit && crit.Alert(v):
		return Critical
	case hasWarn && warn.Alert(v):
		return Warning
	}
	return OK
}

// describeRTA says how the round-trip average broke a threshold range, in
// the plainest words the range allows.
func describeRTA(rta float64, st State, r threshold.Range) string {
	level := strings.ToLower(st.String())
	v := threshold.FormatNumber(rta) + "ms"
	switch {
	case r.Inside:
		return fmt.Sprintf("has rta %s, inside the %s range %s", v, level, r)
	case !r.NoEnd && rta > r.End && !r.NoStart && r.Start == 0:
		return fmt.Sprintf("answers slowly: rta %s is above %s %sms", v, level, threshold.FormatNumber(r.End))
	case !r.NoEnd && rta > r.End:
		return fmt.Sprintf("answers slowly: rta %s is above the %s range %s", v, level, r)
	}
	return fmt.Sprintf("answers too fast: rta %s is below the %s range %s", v, level, r)
}

// formatPercent prints a percentage with at most one decimal (33.3).
func formatPercent(p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// describeMAC renders a MAC with its label and, when an allowlist is in
// force and the MAC is not on it, says so.
func describeMAC(a mac.Addr, allowed allowlist.List) string {
	switch {
	case allowed.Len() == 0:
		return a.String()
	case !allowed.Allows(a):
		return a.String() + " (not allowed)"
	case allowed.Label(a) != "":
		return a.String() + " (" + allowed.Label(a) + ")"
	}
	return a.String()
}

// maxListed bounds how many MACs one sentence names.
const maxListed = 3

// listMACs names up to maxListed MACs as "A", "A and B" or "A, B and C",
// and counts the rest: "A, B, C and 4 more".
func listMACs(addrs []mac.Addr, name func(mac.Addr) string) string {
	parts := make([]string, 0, maxListed+1)
	for i, a := range addrs {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("%d more", len(addrs)-maxListed))
			break
		}
		parts = append(parts, name(a))
	}
	switch len(parts) {
	case 0:
		return "none"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func distinct(addrs []mac.Addr) []mac.Addr {
	seen := make(map[mac.Addr]bool, len(addrs))
	var out []mac.Addr
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
