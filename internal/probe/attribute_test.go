package probe

import (
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
	}{
		{"alone, each probe answered", []string{"o0", "a", "o1", "a"}, []got{{0, macA}, {1, macA}}},
		{"alone, first probe lost", []string{"o0", "o1", "a"}, []got{{1, macA}}},
		{"alone, duplicates stay with their probe", []string{"o0", "a", "a", "o1", "a"}, []got{{0, macA}, {0, macA}, {1, macA}}},
		{"split brain is not a surplus", []string{"o0", "a", "b", "o1", "b", "a"}, []got{{0, macA}, {0, macB}, {1, macB}, {1, macA}}},
		{"another check's request and reply in between", []string{"o0", "a", "f", "a", "o1", "a"}, []got{{0, macA}, {1, macA}}},
		{"requests interleave faster than replies", []string{"o0", "f", "a", "a"}, []got{{0, macA}}},
		{"another check's request is interleaved after ours", []string{"f", "o0", "a", "a"}, []got{{0, macA}}},
		{"our request lost among others'", []string{"o0", "f", "a"}, nil},
		{"their request lost, ours answered late", []string{"f", "o0", "a"}, []got{{0, macA}}},
		{"three in flight, one lost", []string{"o0", "f", "f", "a", "a"}, nil},
		{"surplus does not jump over an answered request", []string{"o0", "f", "a", "o1", "a", "a"}, []got{{1, macA}, {1, macA}}},
	}
	for _, tt := range tests {
		w := wireEvents(t, tt.script...)
		var gotReplies []got
		for _, r := range w.attribute() {
			gotReplies = append(gotReplies, got{r.Probe, r.MAC})
		}
		if len(gotReplies) != len(tt.want) {
			t.Errorf("%s: replies %v, want %v", tt.name, gotReplies, tt.want)
			continue
		}
		for i := range tt.want {
			if gotReplies[i] != tt.want[i] {
				t.Errorf("%s: replies %v, want %v", tt.name, gotReplies, tt.want)
				break
			}
		}
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
