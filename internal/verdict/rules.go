package verdict

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/allowlist"
	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
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

	// Moved is the state a change of owner since the last check calls for
	// (--moved). The command line sets it, to Warning by default; OK keeps
	// an expected failover out of the state but still in the text.
	Moved State
	// ExpectOwner lists the MACs that should hold the address
	// (--expect-owner: one MAC, or every MAC with one label), and
	// ExpectOwnerName names them as the operator did. Empty when no owner
	// is expected.
	ExpectOwner     []mac.Addr
	ExpectOwnerName string
}

// Finding is one thing the check noticed, with the state it calls for and
// the rule that found it. Text continues a sentence whose subject is the
// target address.
type Finding struct {
	State State
	Rule  Rule
	Text  string
}

// Result is the verdict on one observation.
type Result struct {
	// State is the worst state among the findings.
	State State
	// Findings are ordered worst first, and within a state in the order of
	// the rules; the first one leads the summary.
	Findings []Finding
	// Facts are what the rules worked from.
	Facts Facts
}

// Rule names one of the rules below, as Finding.Rule reports it.
type Rule string

// The rules, in the order Decide applies them. Within a state, findings
// keep this order.
const (
	// Silence: no reply at all is CRITICAL.
	Silence Rule = "silence"
	// Flood: more replies and announcements than the check records is
	// CRITICAL, named before the rest since it explains what else looks
	// wrong.
	Flood Rule = "flood"
	// UnexpectedMAC: a reply or announcement from a MAC outside a
	// non-empty allowlist is CRITICAL (IP conflict or hijack).
	UnexpectedMAC Rule = "unexpected-mac"
	// SplitBrain: two or more MACs answering the same probe is CRITICAL
	// (split brain, or every node answering), even when all are allowed.
	SplitBrain Rule = "split-brain"
	// MACChange: the answering MAC changes between probes; once is
	// WARNING (a failover during the check), twice or more CRITICAL
	// (flapping). Probes answered by several MACs are left out.
	MACChange Rule = "mac-change"
	// Contested: an allowed MAC that did not answer announces the target
	// (gratuitous ARP, unsolicited neighbor advertisement) while another
	// answers: WARNING.
	Contested Rule = "contested"
	// Spoofing: a reply or announcement sent from a link-layer address
	// other than the MAC it claims: WARNING.
	Spoofing Rule = "spoofing"
	// Loss is judged by the pl part of -w/-c; without one, any lost probe
	// is WARNING.
	Loss Rule = "loss"
	// RoundTrip: the round-trip average is judged by the rta part of
	// -w/-c, if given.
	RoundTrip Rule = "rta"
	// Owner: the one answering MAC is named (OK) unless another finding
	// already did.
	Owner Rule = "owner"

	// The rules of memory between runs. They speak only when the caller
	// hands Decide a Memory.

	// FlappingOverTime: the owner changed --flap COUNT times or more
	// within its window, over many checks: CRITICAL, naming the changes.
	FlappingOverTime Rule = "flapping-over-time"
	// Moved: the owner differs from the one the last check saw: the state
	// of --moved (WARNING by default), once, on the run that sees it. A
	// change the check itself saw between its probes is MACChange's.
	Moved Rule = "moved"
	// ExpectedOwner: another allowed MAC than --expect-owner holds the
	// address: WARNING. A MAC outside the allowlist is UnexpectedMAC's.
	ExpectedOwner Rule = "expected-owner"
	// StateProblem: memory could not be used (an unsafe or unwritable
	// state directory): WARNING with the fix, beside the Layer 2 verdict.
	StateProblem Rule = "state-problem"
)

// rules are the checks Decide runs, in order. Each returns at most one
// finding; ok is false when it has nothing to say.
var rules = []struct {
	name  Rule
	check func(c *decision) (st State, text string, ok bool)
}{
	{Silence, silence},
	{Flood, flood},
	{UnexpectedMAC, unexpectedMAC},
	{SplitBrain, splitBrain},
	{MACChange, macChange},
	{Contested, contested},
	{FlappingOverTime, flappingOverTime},
	{Moved, moved},
	{ExpectedOwner, expectedOwner},
	{Spoofing, spoofing},
	{Loss, loss},
	{RoundTrip, roundTrip},
	{Owner, owner},
	{StateProblem, stateProblem},
}

// decision is what a rule reads.
type decision struct {
	f     *Facts
	d     *derived
	pol   Policy
	mem   *Memory
	words vocabulary
}

// Decide applies the rules to an observation, without memory of earlier
// runs. The worst finding sets the state; findings are ordered worst
// first, and within a state in the order of the rules.
func Decide(obs Observation, pol Policy) Result {
	return Prepare(obs, pol).Decide(Memory{})
}

// Decide applies the rules to the draft's facts and what memory adds, as
// the package-level Decide does.
func (dr *Draft) Decide(mem Memory) Result {
	f, d := dr.f, dr.d
	f.Memory = mem
	c := &decision{f: &f, d: &d, pol: dr.pol, mem: &f.Memory, words: wordsFor(f.Protocol)}
	var findings []Finding
	for _, r := range rules {
		if st, text, ok := r.check(c); ok {
			findings = append(findings, Finding{State: st, Rule: r.name, Text: text})
		}
	}
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].State > findings[j].State })
	return Result{State: findings[0].State, Findings: findings, Facts: f}
}

func found(st State, format string, args ...any) (State, string, bool) {
	return st, fmt.Sprintf(format, args...), true
}

func silence(c *decision) (State, string, bool) {
	if c.f.Received > 0 {
		return OK, "", false
	}
	return Critical, "did not answer", true
}

func flood(c *decision) (State, string, bool) {
	f := c.f
	if f.Unrecorded == 0 {
		return OK, "", false
	}
	from := ""
	if claimants := f.claimants(c.d); len(claimants) > 0 {
		from = fmt.Sprintf(", from at least %d MAC%s (%s)", len(claimants), plural(len(claimants), "", "s"), listMACs(claimants, plainMAC))
	}
	return found(Critical, "is flooded: %d frames about it arrived%s; the check records %d", f.Unrecorded+f.Recorded, from, f.Recorded)
}

func unexpectedMAC(c *decision) (State, string, bool) {
	f := c.f
	if len(f.Unexpected) == 0 {
		return OK, "", false
	}
	how := "announced by " + c.words.announcedBy + " from"
	for _, m := range f.Unexpected {
		if _, answered := c.d.perMAC[m.Addr]; answered {
			how = "claimed by"
		}
	}
	return found(Critical, "is %s %s (not in the allowlist), expected %s", how, listMACs(f.Unexpected, plainMAC), ListMACs(f.Allowed))
}

func splitBrain(c *decision) (State, string, bool) {
	f := c.f
	if f.MultiMACProbes == 0 {
		return OK, "", false
	}
	return found(Critical, "is answered by %d MACs at once in %d of %d probes (split brain): %s",
		c.d.maxMACsPerProbe, f.MultiMACProbes, f.Sent, ListMACs(c.d.multiMACs))
}

func macChange(c *decision) (State, string, bool) {
	f, seq := c.f, c.d.sequence
	switch {
	case f.MACChanges == 1:
		return found(Warning, "moved from %s to %s during the check (failover)", seq[0], seq[len(seq)-1])
	case f.MACChanges > 1:
		return found(Critical, "is flapping between %s: its MAC changed %d times in %d probes", ListMACs(distinct(seq)), f.MACChanges, f.Sent)
	}
	return OK, "", false
}

// contested: an allowed MAC that announces the target while others answer
// for it contests the address (a takeover the old owner ignores, or two
// nodes that both think they lead).
func contested(c *decision) (State, string, bool) {
	f := c.f
	if len(f.Answerers) == 0 {
		return OK, "", false
	}
	var contesting []MAC
	for _, a := range f.Announcers {
		if _, answered := c.d.perMAC[a.Addr]; !answered && a.Allowed {
			contesting = append(contesting, a.MAC)
		}
	}
	if len(contesting) == 0 {
		return OK, "", false
	}
	answering := make([]MAC, len(f.Answerers))
	for i, a := range f.Answerers {
		answering[i] = a.MAC
	}
	return found(Warning, "was announced by %s from %s while %s answered", c.words.announcedBy, ListMACs(contesting), ListMACs(answering))
}

// spoofing: a frame that claims one MAC but leaves from another is forged.
func spoofing(c *decision) (State, string, bool) {
	n := c.f.Spoofed
	if n == 0 {
		return OK, "", false
	}
	return found(Warning, "got %d frame%s claiming %s sent from %s (a sign of spoofing)",
		n, plural(n, "", "s"), c.d.spoofPair[0], c.d.spoofPair[1])
}

func loss(c *decision) (State, string, bool) {
	f, pol := c.f, c.pol
	if f.Received == 0 || f.Lost() == 0 {
		return OK, "", false
	}
	st := Warning
	if pol.Warn.HasPL || pol.Crit.HasPL {
		st = judge(f.LossPercent, pol.Warn.HasPL, pol.Warn.PL, pol.Crit.HasPL, pol.Crit.PL)
	}
	if st == OK {
		return OK, "", false
	}
	return found(st, "lost %d of %d probes (%s%%)", f.Lost(), f.Sent, formatPercent(f.LossPercent))
}

func roundTrip(c *decision) (State, string, bool) {
	f, pol := c.f, c.pol
	if f.Received == 0 {
		return OK, "", false
	}
	rta := ms(f.RTA)
	st := judge(rta, pol.Warn.HasRTA, pol.Warn.RTA, pol.Crit.HasRTA, pol.Crit.RTA)
	if st == OK {
		return OK, "", false
	}
	r := pol.Warn.RTA
	if st == Critical {
		r = pol.Crit.RTA
	}
	return st, describeRTA(rta, st, r), true
}

// owner names the one answering MAC unless a finding already did.
func owner(c *decision) (State, string, bool) {
	f := c.f
	if len(f.Answerers) != 1 || len(f.Unexpected) > 0 || f.MACChanges > 0 || movedShown(c) || heldByOther(c) {
		return OK, "", false
	}
	return found(OK, "is at %s", f.Answerers[0].MAC)
}

// flappingOverTime: memory holds --flap COUNT changes of owner or more
// within its window. It speaks on every run while they are in the window,
// since the address is still unstable, and names the latest changes.
func flappingOverTime(c *decision) (State, string, bool) {
	ev := &c.mem.Events
	if !c.mem.Used || !ev.Flapping || len(ev.WindowChanges) == 0 {
		return OK, "", false
	}
	const listed = 3
	changes, which := ev.WindowChanges, ""
	if n := len(changes); n > listed {
		changes, which = changes[n-listed:], fmt.Sprintf(", the last %d", listed)
	}
	var parts []string
	for _, ch := range changes {
		parts = append(parts, fmt.Sprintf("%s to %s at %s",
			shortName(describeMAC(c.pol, ch.From)), shortName(describeMAC(c.pol, ch.To)), clock(ch.At, c.mem.At)))
	}
	list := parts[len(parts)-1]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + list
	}
	return found(Critical, "changed owner %d times within %s (flapping)%s: %s", len(ev.WindowChanges), Span(ev.Flap.Window), which, list)
}

// movedShown: memory saw a change of owner that no finding of this run's
// own probes reports.
func movedShown(c *decision) bool {
	return c.mem.Used && c.mem.Events.Moved && c.f.MACChanges == 0
}

// moved: the owner differs from the one remembered. When the last check
// saw the old owner answer, the move happened since then; when it heard
// nobody or several MACs, since the old owner was last seen.
func moved(c *decision) (State, string, bool) {
	if !movedShown(c) {
		return OK, "", false
	}
	ev, now := &c.mem.Events, c.mem.At
	from, to := describeMAC(c.pol, ev.MovedFrom), describeMAC(c.pol, ev.MovedTo)
	if ev.PrevOutcome == ownership.OutcomeOwner || ev.FromLastSeen.IsZero() || !ev.FromLastSeen.Before(ev.PrevRun) {
		return found(c.pol.Moved, "moved from %s to %s since the last check at %s", from, to, ago(ev.PrevRun, now))
	}
	return found(c.pol.Moved, "moved from %s to %s since %s was last seen at %s", from, to, shortName(from), ago(ev.FromLastSeen, now))
}

// heldByOther: the one MAC holding the address is allowed but not the
// expected owner.
func heldByOther(c *decision) bool {
	f := c.f
	if len(c.pol.ExpectOwner) == 0 || !f.HasOwner || !f.Owner.Allowed || f.MultiMACProbes > 0 || f.Unrecorded > 0 {
		return false
	}
	return !slices.Contains(c.pol.ExpectOwner, f.Owner.Addr)
}

// expectedOwner: the control plane (a keepalived priority, MetalLB's
// ServiceL2Status, a kube-vip lease) names another node than the one the
// wire shows.
func expectedOwner(c *decision) (State, string, bool) {
	if !heldByOther(c) {
		return OK, "", false
	}
	return found(Warning, "is held by %s, expected %s", shortName(c.f.Owner), c.pol.ExpectOwnerName)
}

// stateProblem: the check ran without memory it should have had.
func stateProblem(c *decision) (State, string, bool) {
	if c.mem.Problem == "" {
		return OK, "", false
	}
	return found(Warning, "has no memory between runs: %s", c.mem.Problem)
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

// maxListed bounds how many MACs one sentence names.
const maxListed = 3

// ListMACs names up to three MACs as "A", "A and B" or "A, B and C", and
// counts the rest: "A, B, C and 4 more". Each is named with its label, or
// as not allowed.
func ListMACs(macs []MAC) string { return listMACs(macs, MAC.String) }

// plainMAC names a MAC by its address alone.
func plainMAC(m MAC) string { return m.Addr.String() }

func listMACs(macs []MAC, name func(MAC) string) string {
	parts := make([]string, 0, maxListed+1)
	for i, m := range macs {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("%d more", len(macs)-maxListed))
			break
		}
		parts = append(parts, name(m))
	}
	switch len(parts) {
	case 0:
		return "none"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func distinct(macs []MAC) []MAC {
	seen := make(map[mac.Addr]bool, len(macs))
	var out []MAC
	for _, m := range macs {
		if !seen[m.Addr] {
			seen[m.Addr] = true
			out = append(out, m)
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
