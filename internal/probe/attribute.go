package probe

import (
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/verdict"
)

// wire is the sequence of requests for the target that left this host, in
// wire order, and the replies that followed them.
//
// ARP replies carry no request identifier, and every raw socket on a host
// sees every reply. So a reply is credited to the latest request that left
// before it, whoever sent that request. When requests of several processes
// interleave faster than the target answers (request A, request B, reply
// A, reply B), the latest request collects two replies from one MAC and the
// one before it none: attribute then moves the surplus back to the
// unanswered requests just before it, so neither check sees a loss that
// did not happen, while a request that really went unanswered (A lost:
// request A, request B, reply B) stays unanswered.
type wire struct {
	requests []wireRequest
	replies  []wireReply
	sentAt   []time.Time // send time of each own probe
	position []int       // index in requests of each own probe, -1 until seen
	macs     map[mac.Addr]bool
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
	if len(w.requests) >= MaxRecorded {
		return false
	}
	w.requests = append(w.requests, wireRequest{probe: -1})
	return true
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

// assign maps each reply to a request: the latest before it, with surplus
// replies of a MAC moved back to the run of requests just before that it
// left unanswered, earliest reply to earliest request.
func (w *wire) assign() []int {
	to := make([]int, len(w.replies))
	perMAC := make(map[mac.Addr][]int) // MAC -> its reply indexes
	for i, r := range w.replies {
		to[i] = r.request
		if r.request >= 0 {
			perMAC[r.mac] = append(perMAC[r.mac], i)
		}
	}
	byRequest := make(map[int][]int) // request -> reply indexes, for one MAC
	for _, replies := range perMAC {
		if len(replies) < 2 {
			continue // no surplus possible
		}
		clear(byRequest)
		for _, i := range replies {
			byRequest[w.replies[i].request] = append(byRequest[w.replies[i].request], i)
		}
		for j, reps := range byRequest {
			if len(reps) < 2 {
				continue
			}
			var targets []int
			for k := j - 1; k >= 0 && len(targets) < len(reps)-1 && len(byRequest[k]) == 0; k-- {
				targets = append(targets, k)
			}
			// targets run backwards from j; the earliest reply goes to the
			// earliest request.
			for n := range targets {
				to[reps[n]] = targets[len(targets)-1-n]
			}
		}
	}
	return to
}

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
	if w.position[p] < 0 {
		return false
	}
	for i, req := range w.assign() {
		if req == w.position[p] && w.replies[i].at.After(w.sentAt[p]) {
			return true
		}
	}
	return false
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
