package verdict

import (
	"strings"
	"testing"
)

func TestSpoofedFramesAreReported(t *testing.T) {
	obs := observe(3, healthy3(macA)...)
	obs.Replies[1].Via = macZ // claims macA, sent from macZ
	res := Decide(obs, policy("", "", nodeA))
	want := "got 1 frame claiming " + sA + " sent from " + sZ + " (a sign of spoofing); is at " + sA + " (node-a)"
	if res.State != Warning || findingsText(res) != want {
		t.Fatalf("got %v %q\nwant WARNING %q", res.State, findingsText(res), want)
	}
	if res.Facts.Spoofed != 1 {
		t.Fatalf("Spoofed = %d, want 1", res.Facts.Spoofed)
	}

	// The same MAC as the frame's source, spelled out, is no spoofing.
	obs = observe(3, healthy3(macA)...)
	obs.Replies[0].Via = macA
	if res := Decide(obs, policy("", "", nodeA)); res.State != OK {
		t.Fatalf("Via equal to MAC: %v %q", res.State, findingsText(res))
	}

	// Announcements count too.
	obs = announce(observe(3, healthy3(macA)...), macA, 0)
	obs.Announcements[0].Via = macZ
	if res := Decide(obs, policy("", "", nodeA)); res.State != Warning || !strings.Contains(findingsText(res), "got 1 frame claiming "+sA+" sent from "+sZ) {
		t.Fatalf("spoofed announcement: %v %q", res.State, findingsText(res))
	}
}
