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
	// Notes are sentences for the long output that say what else a
	// finding can mean, and how to tell, where the wire cannot.
	Notes []string
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
	// SharedMAC: one MAC answers one request twice, the replies close
	// together (RepeatWindow), in most probes and at least two: two hosts
	// behind one MAC (two VRRP masters with a virtual MAC after a
	// partition, a balance-rr or broadcast bond without LACP) is
	// CRITICAL. A single repeat (a retransmission, a late reply) is not.
	SharedMAC Rule = "shared-mac"
	// MacvlanParent: when nothing answered and the check's interface has
	// macvlan children, the summary says that the kernel never delivers
	// frames between them (a note; Silence sets the state).
	MacvlanParent Rule = "macvlan-parent"
	// LateReply: replies that arrive after the next request left are
	// named with the fix (raise -i): a note when nothing was lost; with
	// loss the loss finding says it instead.
	LateReply Rule = "late-replies"
	// UnicastRule: the owner answered every broadcast request but not
	// the unicast one to its MAC, which routers send to refresh their
	// neighbor entries: WARNING.
	UnicastRule Rule = "unicast"
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
	{SharedMAC, sharedMAC},
	{MacvlanParent, macvlanParent},
	{LateReply, lateReply},
	{UnicastRule, unicastIgnored},
	{Owner, owner},
	{StateProblem, stateProblem},
}

// decision is what a rule reads, and where it leaves notes.
type decision struct {
	f     *Facts
	d     *derived
	pol   Policy
	mem   *Memory
	words vocabulary
	notes []string
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
	if mem.Note != "" {
		c.notes = append(c.notes, mem.Note)
	}
	return Result{State: findings[0].State, Findings: findings, Facts: f, Notes: c.notes}
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
	cause, note := splitBrainCause(f.Protocol, c.d.multiMACs)
	if note != "" {
		c.notes = append(c.notes, note)
	}
	return found(Critical, "is answered by %d MACs at once in %d of %d probes (%s): %s",
		c.d.maxMACsPerProbe, f.MultiMACProbes, f.Sent, cause, ListMACs(c.d.multiMACs))
}

// splitBrainCause names what several MACs answering one request can be.
// Over ARP it can also be one host answering on two of its interfaces:
// Linux answers ARP for any of its addresses on every interface by
// default (arp_ignore=0, "ARP flux"), and nothing on the wire tells that
// from two hosts. When one of the MACs is an IPv6 VRRP virtual MAC
// answering ARP, it is certainly that: keepalived's IPv6 virtual MAC
// interface answering for an IPv4 address of its host. Neighbor discovery
// answers only on the interface that holds the address (measured: a host
// with the address on one of two interfaces in a segment answers ARP from
// both MACs, neighbor solicitations from one), so for NDP it is split
// brain. The summary names the certain cause; the possible one goes into
// a note, with how to tell.
func splitBrainCause(protocol string, macs []MAC) (cause, note string) {
	if protocol == ProtocolNDP {
		return "split brain", ""
	}
	for _, m := range macs {
		if vrid, family, ok := m.Addr.VRRP(); ok && family == 6 {
			return fmt.Sprintf("one host answering on two interfaces: its IPv6 VRRP virtual MAC interface of VRID %d answers ARP; set arp_ignore=1 there", vrid), ""
		}
	}
	return "split brain", "Several MACs answering one ARP request can also be one host answering on two of its interfaces in this segment (ARP flux: Linux answers ARP for any of its addresses on every interface while arp_ignore=0): if these MACs belong to one host ('ip -br link' there), set net.ipv4.conf.all.arp_ignore=1 on it."
}

// sharedMAC: the same MAC answering one broadcast request twice, close
// together, in most probes, is two hosts behind one MAC. "Most" is more
// than half of the probes sent and at least two, so that a single
// retransmitted or late reply never pages; -p 1 cannot show it. Repeats
// prove nothing when other processes asked for the target during the
// check (summarize then counts none): measured with 200 checks of a
// lagging userspace responder at once, answers to requests sent before a
// check began land after its own, in most of its probes now and then.
func sharedMAC(c *decision) (State, string, bool) {
	f := c.f
	if f.RepeatProbes < 2 || 2*f.RepeatProbes <= f.Sent {
		return OK, "", false
	}
	times := "twice"
	if n := c.d.maxRepeats; n > 2 {
		times = strconv.Itoa(n) + " times"
	}
	what := "two hosts behind one MAC: two VRRP masters sharing a virtual MAC, or a balance-rr or broadcast bond without LACP on the switch"
	if len(c.d.repeaters) == 1 {
		if vrid, _, ok := c.d.repeaters[0].Addr.VRRP(); ok {
			what = fmt.Sprintf("two VRRP masters of VRID %d behind its virtual MAC: split brain after a VRRP partition", vrid)
		}
	}
	return found(Critical, "is answered %s by %s within %sms in %d of %d probes (%s)",
		times, ListMACs(c.d.repeaters), threshold.FormatNumber(ms(c.d.repeatGap)), f.RepeatProbes, f.Sent, what)
}

// macvlanParent: a target on a macvlan of the check's own interface
// cannot answer, since the kernel never delivers frames between a
// macvlan's parent and its children.
func macvlanParent(c *decision) (State, string, bool) {
	f := c.f
	if f.Received > 0 || len(f.MacvlanChildren) == 0 {
		return OK, "", false
	}
	return found(OK, "may be on a macvlan of %s, and the kernel never delivers frames between a macvlan's parent and its children (%s carries %s here; those in other namespaces are not listed): check from another host, or from a macvlan of %s",
		f.Interface, f.Interface, listNames(f.MacvlanChildren), f.Interface)
}

// lateReply: a reply that arrives after the next request left is
// credited to the request it answers, but a responder this slow (a
// proxy-ARP router's proxy_delay) needs a longer interval for each
// request to be seen with its own reply.
func lateReply(c *decision) (State, string, bool) {
	f := c.f
	if f.LateReplies == 0 || lossFound(c) {
		return OK, "", false
	}
	return found(OK, "answers late: replies arrive after the next request in %d of %d probes; raise -i", f.LateReplies, f.Sent)
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
	f := c.f
	st := lossState(c)
	if st == OK {
		return OK, "", false
	}
	if f.ReceiveDrops > 0 {
		// The check's own socket dropped frames it read too late: the
		// missing replies may have reached this host all the same.
		return found(st, "lost %d of %d probes (%s%%), while this check's socket dropped %d frames this host did not let it read in time, so the missing replies may be among them; if many checks of it run at once here, spread them out",
			f.Lost(), f.Sent, formatPercent(f.LossPercent), f.ReceiveDrops)
	}
	if f.LateReplies > 0 {
		// The replies that were seen came after the next request: the
		// missing ones may still have been on their way at the deadline.
		return found(st, "lost %d of %d probes (%s%%), while replies arrive after the next request, so the missing ones may have come after the deadline; raise -i and -t",
			f.Lost(), f.Sent, formatPercent(f.LossPercent))
	}
	return found(st, "lost %d of %d probes (%s%%)", f.Lost(), f.Sent, formatPercent(f.LossPercent))
}

// lossState is the state the loss calls for: by the pl part of -w/-c,
// without one WARNING for any lost probe.
func lossState(c *decision) State {
	f, pol := c.f, c.pol
	if f.Received == 0 || f.Lost() == 0 {
		return OK
	}
	if pol.Warn.HasPL || pol.Crit.HasPL {
		return judge(f.LossPercent, pol.Warn.HasPL, pol.Warn.PL, pol.Crit.HasPL, pol.Crit.PL)
	}
	return Warning
}

// lossFound reports whether the loss rule speaks.
func lossFound(c *decision) bool { return lossState(c) != OK }

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

// unicastIgnored: a router keeps its neighbor entry for the target fresh
// with unicast requests to the MAC it cached (Linux: NUD_PROBE, IPv6
// neighbor unreachability detection); an owner that answers only
// broadcast (multicast) requests lets those entries fail, and traffic
// through the router blackholes until the entry is resolved again. The
// note names the causes measured: MetalLB's IPv6 responder, and Linux
// proxying NDP with only the interface's proxy_ndp set (ip6_forward looks
// at all.proxy_ndp, so the unicast solicitation is forwarded instead).
func unicastIgnored(c *decision) (State, string, bool) {
	f := c.f
	if f.Unicast != UnicastIgnored {
		return OK, "", false
	}
	if f.Protocol == ProtocolNDP {
		c.notes = append(c.notes, "Known causes of unanswered unicast solicitations: MetalLB's IPv6 responder, which listens on the solicited-node group only (metallb#2920); a Linux router proxying the address with net.ipv6.conf.IFACE.proxy_ndp=1 but net.ipv6.conf.all.proxy_ndp=0, which forwards unicast solicitations for it instead of answering them.")
		return found(Warning, "answers multicast solicitations but not a unicast one to %s, which routers and hosts send to confirm their neighbor entries: theirs go FAILED and traffic to it blackholes until they resolve it again",
			plainMAC(MAC{Addr: f.UnicastTo}))
	}
	c.notes = append(c.notes, "Known causes of unanswered unicast ARP requests: a responder that answers only broadcast requests, or one whose MAC the switch no longer forwards to the port it answers from (a moved VIP whose old MAC is still cached).")
	return found(Warning, "answers broadcast ARP requests but not a unicast one to %s, which routers send to refresh their ARP entries: theirs go STALE then FAILED, and traffic to it blackholes once their cache expires",
		plainMAC(MAC{Addr: f.UnicastTo}))
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

// plainMAC names a MAC by its address and what the address itself says
// (a VRRP virtual MAC), without label or allowlist verdict.
func plainMAC(m MAC) string {
	if k := m.Addr.Kind(); k != "" {
		return m.Addr.String() + " (" + k + ")"
	}
	return m.Addr.String()
}

func listMACs(macs []MAC, name func(MAC) string) string { return listOf(macs, name) }

func listOf[T any](items []T, name func(T) string) string {
	parts := make([]string, 0, maxListed+1)
	for i, m := range items {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("%d more", len(items)-maxListed))
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

// listNames names up to three names as ListMACs does MACs.
func listNames(names []string) string { return listOf(names, func(s string) string { return s }) }

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
