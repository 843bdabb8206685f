package verdict

import (
	"strings"
	"testing"
)

func TestSpoofedFramesAreReported(t *testing.T) {
	obs := observe(3, healthy3(macA)...)
	obs.Replies[1].Via = macZ // claims macA, sent from macZ
	res := Decide(obs, policy("", "", nodeA))
	want := "ARP WARNING - 198.51.100.10 got 1 frame claiming " + sA + " sent from " + sZ +
		" (a sign of spoofing); is at " + sA + " (node-a) on eth0: 3/3 replies, rta 0.4ms"
	if res.State != Warning || res.Summary() != want {
		t.Fatalf("got %v %q\nwant WARNING %q", res.State, res.Summary(), want)
	}
	if got := perfString(res); !strings.Contains(got, "spoofed=1") {
		t.Fatalf("perfdata %q lacks spoofed=1", got)
	}

	// The same MAC as the frame's source, spelled out, is no spoofing.
	obs = observe(3, healthy3(macA)...)
	obs.Replies[0].Via = macA
	if res := Decide(obs, policy("", "", nodeA)); res.State != OK {
		t.Fatalf("Via equal to MAC: %v %q", res.State, res.Summary())
	}

	// Announcements count too.
	obs = announce(observe(3, healthy3(macA)...), macA, 0)
	obs.Announcements[0].Via = macZ
	if res := Decide(obs, policy("", "", nodeA)); res.State != Warning || !strings.Contains(res.Summary(), "got 1 frame claiming "+sA+" sent from "+sZ) {
		t.Fatalf("spoofed announcement: %v %q", res.State, res.Summary())
	}
}
