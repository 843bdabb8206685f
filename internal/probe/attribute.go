package probe

import (
	"slices"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/verdict"
)

// wire is the sequence of requests for the target that left this host, in
// wire order, and the replies that followed them.
//
// ARP replies carry no request identifier, and every raw socket on a host
// sees every reply. So a reply answers some request that left before it,
// whoever sent that request, and not necessarily the latest: when requests
// of several processes interleave faster than the target answers, or the
// target answers late (a userspace responder behind under load, proxy ARP's
// random delay), replies land after later requests. assign matches them by
// count (see there), so that no check sees a loss that did not happen,
// while a request that really went unanswered (A lost: request A, request
// B, reply B) stays unanswered.
type wire struct {
	requests []wireRequest
	replies  []wireReply
	sentAt   []time.Time // send time of each own probe
	position []int       // index in requests of each own probe, -1 until seen
	macs     map[mac.Addr]bool
	// foreigners counts the requests of other processes seen, also
	// beyond the recording limit.
	foreigners int
}

type wireRequest struct {
	probe int // own probe index, or -1 for another process's request
}

type wireReply struct {
	mac     mac.Addr
	via     mac.Addr
	at      time.Time
	request int // index of the latest request before the reply, -1 if none
}

// sent records an own probe; place puts it in the sequence right away, for
// transports that do not report their own requests in wire order.
func (w *wire) sent(at time.Time, place bool) {
	w.sentAt = append(w.sentAt, at)
	w.position = append(w.position, -1)
	if place {
		w.echoed(len(w.sentAt) - 1)
	}
}

// echoed places own probe p in the sequence.
func (w *wire) echoed(p int) {
	if p < 0 || p >= len(w.position) || w.position[p] >= 0 {
		return
	}
	w.position[p] = len(w.requests)
	w.requests = append(w.requests, wireRequest{probe: p})
}

// foreign places another process's request; false when the sequence is
// full.
func (w *wire) foreign() bool {
	w.foreigners++
	if len(w.requests) >= MaxRecorded {
		return false
	}
	w.requests = append(w.requests, wireRequest{probe: -1})
	return true
}

// placeUnicast places the unicast request in the sequence, as a request
// that is no probe's: its answer then matches it and is credited to no
// probe, instead of looking like a second answer to the last one.
func (w *wire) placeUnicast() {
	if len(w.requests) < MaxRecorded {
		w.requests = append(w.requests, wireRequest{probe: -1})
	}
}

// known reports whether a reply from m is already recorded.
func (w *wire) known(m mac.Addr) bool { return w.macs[m] }

// reply records a reply that arrived at at. In wire order it follows the
// latest request placed; byArrival (transports that do not report requests
// in wire order, whose replies may be read only after a later probe left)
// instead follows the latest own probe sent before at.
func (w *wire) reply(m, via mac.Addr, at time.Time, byArrival bool) {
	if w.macs == nil {
		w.macs = make(map[mac.Addr]bool)
	}
	w.macs[m] = true
	req := len(w.requests) - 1
	if byArrival {
		for req >= 0 && w.requests[req].probe >= 0 && at.Before(w.sentAt[w.requests[req].probe]) {
			req--
		}
	}
	w.replies = append(w.replies, wireReply{mac: m, via: via, at: at, request: req})
}

// assign maps each reply to a request (-1: none).
//
// Each MAC's replies are matched to distinct requests sent before them, as
// many as can be: a reply takes the latest request before it that none of
// the MAC's earlier replies took. So a reply that lands after later
// requests (a userspace responder falling behind under load, a proxy-ARP
// router's random delay, requests of other checks interleaving) still
// answers an earlier unanswered request, across answered ones too, while a
// request is reported unanswered only when its MAC sent fewer replies than
// there were requests: when every request got a reply, none is lost. What
// stays unanswered is the earliest, since a prompt responder answers the
// latest request before its reply (request A lost, request B, reply B).
//
// The matched requests are then paired with the matched replies in order,
// earliest with earliest, as a responder that answers in turn does; any
// matching of these sets is consistent with the wire, and this one gives
// each request the round trip it really had when the responder keeps the
// order. Replies beyond the requests (one MAC answering a request twice)
// stay with the latest request before them.
func (w *wire) assign() []int {
	to := make([]int, len(w.replies))
	perMAC := make(map[mac.Addr][]int) // MAC -> its reply indexes
	for i, r := range w.replies {
		to[i] = r.request
		if r.request >= 0 {
			perMAC[r.mac] = append(perMAC[r.mac], i)
		}
	}
	var (
		stack []span // unmatched requests not yet taken, ascending
		reqs  []int
		reps  []int
	)
	for _, replies := range perMAC {
		// By the latest request each may answer; arrival order within.
		// For transports in wire order this is arrival order already.
		slices.SortStableFunc(replies, func(a, b int) int { return w.replies[a].request - w.replies[b].request })
		stack, reqs, reps = stack[:0], reqs[:0], reps[:0]
		next := 0 // first request not yet on the stack
		for _, i := range replies {
			if b := w.replies[i].request; b >= next {
				stack = append(stack, span{next, b})
				next = b + 1
			}
			if len(stack) == 0 {
				continue // a surplus: stays with the latest request before it
			}
			top := &stack[len(stack)-1]
			reqs = append(reqs, top.hi)
			reps = append(reps, i)
			if top.hi--; top.hi < top.lo {
				stack = stack[:len(stack)-1]
			}
		}
		slices.Sort(reqs)
		for k, i := range reps {
			to[i] = reqs[k]
		}
	}
	return to
}

// span is a run of request indexes, lo to hi inclusive.
type span struct{ lo, hi int }

// attribute returns the replies to own probes, in arrival order.
func (w *wire) attribute() []verdict.Reply {
	to := w.assign()
	out := make([]verdict.Reply, 0, len(w.replies))
	for i, r := range w.replies {
		if to[i] < 0 {
			continue
		}
		p := w.requests[to[i]].probe
		if p < 0 {
			continue
		}
		out = append(out, verdict.Reply{Probe: p, MAC: r.mac, RTT: max(r.at.Sub(w.sentAt[p]), 0), Via: r.via})
	}
	return out
}

// answered reports whether own probe p has a reply.
func (w *wire) answered(p int) bool {
	return w.answeredBy(w.assign(), p)
}

func (w *wire) answeredBy(to []int, p int) bool {
	if w.position[p] < 0 {
		return false
	}
	for i, req := range to {
		if req == w.position[p] && w.replies[i].at.After(w.sentAt[p]) {
			return true
		}
	}
	return false
}

// allAnswered reports whether every own probe sent has a reply.
func (w *wire) allAnswered() bool {
	to := w.assign()
	for p := range w.sentAt {
		if !w.answeredBy(to, p) {
			return false
		}
	}
	return true
}

// lateReplies counts the own probes whose first reply arrived after the
// next own probe left: the target answers slower than the interval.
func (w *wire) lateReplies() int {
	first := make(map[int]time.Time)
	for _, r := range w.attribute() {
		at := w.sentAt[r.Probe].Add(r.RTT)
		if f, ok := first[r.Probe]; !ok || at.Before(f) {
			first[r.Probe] = at
		}
	}
	n := 0
	for p, at := range first {
		if p+1 < len(w.sentAt) && at.After(w.sentAt[p+1]) {
			n++
		}
	}
	return n
}

// lastAnswerer returns the MAC whose reply to the last own probe came
// first: who holds the address now.
func (w *wire) lastAnswerer() (mac.Addr, bool) {
	last := len(w.sentAt) - 1
	var (
		best  mac.Addr
		first time.Duration
		found bool
	)
	for _, r := range w.attribute() {
		if r.Probe == last && (!found || r.RTT < first) {
			best, first, found = r.MAC, r.RTT, true
		}
	}
	return best, found
}

// slowest returns the longest round trip among own probes' first replies.
func (w *wire) slowest() time.Duration {
	var d time.Duration
	seen := make(map[int]bool)
	for _, r := range w.attribute() {
		if !seen[r.Probe] {
			seen[r.Probe] = true
			d = max(d, r.RTT)
		}
	}
	return d
}
