package state

import (
	"bytes"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/ownership"
)

// FuzzDecode: no file content panics or is accepted as a record that does
// not survive a write and a read unchanged; every refusal has a reason.
func FuzzDecode(f *testing.F) {
	valid, err := encode(testKey, sampleRecord())
	if err != nil {
		f.Fatal(err)
	}
	minimal, err := encode(testKey, ownership.Record{LastRun: t0, LastOutcome: ownership.OutcomeNoReply})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(minimal)
	f.Add([]byte{})
	f.Add([]byte("{}"))
	f.Add([]byte(`{"version": 2}`))
	f.Add(bytes.Replace(valid, []byte(`"owner_changes": 7`), []byte(`"owner_changes": 1e30`), 1))
	f.Add(bytes.Replace(valid, []byte(`"2025-03-01T10:31:02.123456789Z"`), []byte(`"2025-03-01T10:31:02+14:00"`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, reset := decode(testKey, data)
		if reset != "" {
			if !sameRecord(rec, ownership.Record{}) {
				t.Fatalf("reset %q but kept %+v", reset, rec)
			}
			return
		}
		again, err := encode(testKey, rec)
		if err != nil {
			t.Fatal(err)
		}
		rec2, reset := decode(testKey, again)
		if reset != "" || !sameRecord(rec, rec2) {
			t.Fatalf("accepted %q, but its rewrite %q reads back as %+v (%s)", data, again, rec2, reset)
		}
		// What was accepted is something Observe can build on.
		ownership.Observe(rec, ownership.Run{At: rec.LastRun.Add(time.Minute), Outcome: ownership.OutcomeOwner, Owner: ma}, ownership.DefaultFlap)
	})
}
