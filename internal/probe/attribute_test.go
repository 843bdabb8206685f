package probe

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
)

// wireEvents builds a wire from a script: "o0" own probe 0 leaves, "f" a
// foreign request leaves, "a"/"b" a reply from macA/macB arrives.
func wireEvents(t *testing.T, script ...string) *wire {
	t.Helper()
	w := &wire{}
	base := time.Unix(1000, 0)
	for i, ev := range script {
		at := base.Add(time.Duration(i) * time.Millisecond)
		switch {
		case ev == "f":
			w.foreign()
		case ev == "a":
			w.reply(macA, mac.Addr{}, at, false)
		case ev == "b":
			w.reply(macB, mac.Addr{}, at, false)
		case len(ev) == 2 && ev[0] == 'o':
			w.sent(at, false)
			w.echoed(int(ev[1] - '0'))
		default:
			t.Fatalf("bad event %q", ev)
		}
	}
	return w
}

type got struct {
	probe int
	mac   mac.Addr
}

func TestAttribute(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		want   []got
		all    bool // every own probe answered
		late   int  // own probes answered after the next own probe left
	}{
		{"alone, each probe answered", []string{"o0", "a", "o1", "a"}, []got{{0, macA}, {1, macA}}, true, 0},
		{"alone, first probe lost", []string{"o0", "o1", "a"}, []got{{1, macA}}, false, 0},
		{"alone, duplicates stay with their probe", []string{"o0", "a", "a", "o1", "a"}, []got{{0, macA}, {0, macA}, {1, macA}}, true, 0},
		{"split brain is not a surplus", []string{"o0", "a", "b", "o1", "b", "a"}, []got{{0, macA}, {0, macB}, {1, macB}, {1, macA}}, true, 0},
		{"another check's request and reply in between", []string{"o0", "a", "f", "a", "o1", "a"}, []got{{0, macA}, {1, macA}}, true, 0},
		{"requests interleave faster than replies", []string{"o0", "f", "a", "a"}, []got{{0, macA}}, true, 0},
		{"another check's request is interleaved after ours", []string{"f", "o0", "a", "a"}, []got{{0, macA}}, true, 0},
		{"our request lost among others'", []string{"o0", "f", "a"}, nil, false, 0},
		{"their request lost, ours answered late", []string{"f", "o0", "a"}, []got{{0, macA}}, true, 0},
		{"three in flight, one lost", []string{"o0", "f", "f", "a", "a"}, nil, false, 0},
		// A userspace responder behind under load: its replies land
		// after requests that are already answered, and still answer
		// the earlier unanswered ones.
		{"surplus moves back across an answered request", []string{"o0", "f", "a", "o1", "a", "a"}, []got{{0, macA}, {1, macA}}, true, 0},
		{"responder two requests behind", []string{"o0", "f", "f", "a", "o1", "a", "f", "a", "a", "a"}, []got{{0, macA}, {1, macA}}, true, 0},
		{"responder behind, every request answered in the end", []string{"f", "o0", "f", "f", "a", "o1", "a", "f", "a", "o2", "a", "a", "a", "a"}, []got{{0, macA}, {1, macA}, {2, macA}}, true, 2},
		{"responder behind and one reply short: the earliest stays unanswered", []string{"o0", "f", "f", "a", "o1", "a", "f", "a", "a"}, []got{{1, macA}}, false, 0},
		// Late replies, each after the next request (proxy ARP's delay).
		{"alone, every reply after the next request", []string{"o0", "o1", "a", "o2", "a", "a"}, []got{{0, macA}, {1, macA}, {2, macA}}, true, 2},
		{"alone, all replies after the last request", []string{"o0", "o1", "o2", "a", "a", "a"}, []got{{0, macA}, {1, macA}, {2, macA}}, true, 2},
		{"alone, late and one short", []string{"o0", "o1", "o2", "a", "a"}, []got{{1, macA}, {2, macA}}, false, 1},
		// Replies never answer a request sent after them.
		{"surplus does not move forward", []string{"o0", "a", "a", "o1"}, []got{{0, macA}, {0, macA}}, false, 0},
		{"a reply before any request answers nothing", []string{"a", "o0"}, nil, false, 0},
		// One MAC answering every request twice (two hosts behind one
		// virtual MAC): each request keeps one answer and one duplicate.
		{"one MAC twice per request", []string{"o0", "a", "a", "o1", "a", "a", "o2", "a", "a"}, []got{{0, macA}, {0, macA}, {1, macA}, {1, macA}, {2, macA}, {2, macA}}, true, 0},
		// Each MAC is matched on its own: B's late reply does not hide
		// that A missed a request, and A's replies do not answer for B.
		{"per MAC: A lost probe 0, B answered both", []string{"o0", "b", "o1", "a", "b"}, []got{{0, macB}, {1, macA}, {1, macB}}, true, 0},
		{"per MAC: B late for probe 0", []string{"o0", "a", "o1", "a", "b", "b"}, []got{{0, macA}, {1, macA}, {0, macB}, {1, macB}}, true, 0},
		// A duplicate after a lost request cannot be told from a late
		// reply: as many replies as requests is no loss.
		{"as many replies as requests is no loss", []string{"o0", "o1", "a", "a"}, []got{{0, macA}, {1, macA}}, true, 1},
	}
	for _, tt := range tests {
		w := wireEvents(t, tt.script...)
		var gotReplies []got
		for _, r := range w.attribute() {
			gotReplies = append(gotReplies, got{r.Probe, r.MAC})
		}
		if !slices.Equal(gotReplies, tt.want) {
			t.Errorf("%s: replies %v, want %v", tt.name, gotReplies, tt.want)
		}
		if all := w.allAnswered(); all != tt.all {
			t.Errorf("%s: allAnswered = %v, want %v", tt.name, all, tt.all)
		}
		if late := w.lateReplies(); late != tt.late {
			t.Errorf("%s: lateReplies = %d, want %d", tt.name, late, tt.late)
		}
	}
}

// TestAttributeLaggingResponderUnderConcurrency simulates checks of one
// target started within 300ms on one host, each seeing the wire from
// just before its first probe, answered by a responder that answers every
// request in turn 5-80ms after it (a userspace responder under load).
// Every check must see all its probes answered: no false loss. With the
// responder dropping one request, no more probes may go unanswered than
// there are checks that saw that request leave (which request of a check's
// view went unanswered cannot be known, only how many).
func TestAttributeLaggingResponderUnderConcurrency(t *testing.T) {
	type event struct {
		at    time.Duration
		check int // -1: a reply
		probe int
	}
	for _, tc := range []struct {
		checks int
		seed   uint64
		drop   bool
	}{{50, 1, false}, {50, 2, false}, {200, 3, false}, {200, 4, false}, {50, 5, true}, {200, 6, true}} {
		rng := rand.New(rand.NewPCG(tc.seed, 0))
		base := time.Unix(1000, 0)
		var requests, events []event
		opened := make([]time.Duration, tc.checks)
		for c := range tc.checks {
			start := time.Duration(rng.IntN(300000)) * time.Microsecond
			opened[c] = start - time.Millisecond
			for p := range 3 {
				requests = append(requests, event{start + time.Duration(p)*100*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond, c, p})
			}
		}
		slices.SortFunc(requests, func(a, b event) int { return int(a.at - b.at) })
		var last time.Duration
		dropped := event{check: -2}
		for i, r := range requests {
			events = append(events, r)
			// In turn: no reply overtakes the one before.
			at := max(r.at+5*time.Millisecond+time.Duration(rng.IntN(75000))*time.Microsecond, last+10*time.Microsecond)
			last = at
			if tc.drop && i == len(requests)/2 {
				dropped = r
				continue
			}
			events = append(events, event{at, -1, 0})
		}
		slices.SortStableFunc(events, func(a, b event) int { return int(a.at - b.at) })
		unanswered, sawDrop := 0, 0
		for c := range tc.checks {
			w := &wire{}
			for _, e := range events {
				switch {
				case e.at < opened[c]:
				case e.check == -1:
					w.reply(macA, mac.Addr{}, base.Add(e.at), false)
				case e.check == c:
					w.sent(base.Add(e.at), false)
					w.echoed(e.probe)
				default:
					w.foreign()
				}
			}
			if dropped.check >= 0 && dropped.at >= opened[c] {
				sawDrop++
			}
			for p := range 3 {
				if !w.answered(p) {
					unanswered++
				}
			}
		}
		if unanswered > sawDrop {
			t.Errorf("%d checks (seed %d, drop %v): %d probes unanswered, want at most %d", tc.checks, tc.seed, tc.drop, unanswered, sawDrop)
		}
		t.Logf("%d checks, drop %v: %d probes unanswered (%d checks saw the dropped request)", tc.checks, tc.drop, unanswered, sawDrop)
	}
}

func TestAnsweredFollowsAttribution(t *testing.T) {
	w := wireEvents(t, "o0", "f", "a")
	if w.answered(0) {
		t.Fatal("probe 0 answered although the only reply follows another check's request")
	}
	w.reply(macA, mac.Addr{}, time.Unix(2000, 0), false)
	if !w.answered(0) {
		t.Fatal("probe 0 not answered although the second reply is surplus")
	}
}
