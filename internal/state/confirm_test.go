package state

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/ownership"
)

// fileStat returns the state file's inode, modification time and bytes.
func fileStat(t *testing.T, s *Store) (uint64, time.Time, string) {
	t.Helper()
	path, err := s.Path(testKey)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime().UTC(), string(data)
}

// observeRun records one run as the check does.
func observeRun(t *testing.T, s *Store, run ownership.Run) (Loaded, ownership.Events) {
	t.Helper()
	var ev ownership.Events
	l, err := s.Update(ctx(t), testKey, func(l Loaded) ownership.Record {
		var next ownership.Record
		next, ev = ownership.Observe(l.Record, run, ownership.DefaultFlap)
		return next
	})
	if err != nil {
		t.Fatal(err)
	}
	return l, ev
}

func TestRunsThatFindNothingNewOnlyConfirm(t *testing.T) {
	s := openStore(t, t.TempDir())
	own := func(at time.Duration, m [6]byte) ownership.Run {
		return ownership.Run{At: t0.Add(at), Outcome: ownership.OutcomeOwner, Owner: m}
	}

	observeRun(t, s, own(0, ma))
	ino0, mt0, data0 := fileStat(t, s)
	if !mt0.Equal(t0) {
		t.Errorf("written file's modification time %v, want the run's %v", mt0, t0)
	}

	// The same owner a minute later: the file is not rewritten, only its
	// modification time moves to the run's.
	observeRun(t, s, own(time.Minute, ma))
	ino1, mt1, data1 := fileStat(t, s)
	if ino1 != ino0 || data1 != data0 {
		t.Errorf("a run that found the same owner rewrote the file")
	}
	if !mt1.Equal(t0.Add(time.Minute)) {
		t.Errorf("modification time %v, want %v", mt1, t0.Add(time.Minute))
	}
	l, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Record.LastRun.Equal(t0.Add(time.Minute)) || !l.Record.LastSeen.Equal(t0.Add(time.Minute)) || !l.Record.Since.Equal(t0) {
		t.Errorf("loaded last run %v, last seen %v, since %v; want the confirmed run's time and the first run's", l.Record.LastRun, l.Record.LastSeen, l.Record.Since)
	}

	// A move is written, and the next run reports the confirmed run as
	// the last check.
	_, ev := observeRun(t, s, own(2*time.Minute, mb))
	if !ev.Moved || !ev.PrevRun.Equal(t0.Add(time.Minute)) || !ev.FromLastSeen.Equal(t0.Add(time.Minute)) {
		t.Errorf("move: %+v; want moved since the confirmed run at %v", ev, t0.Add(time.Minute))
	}
	ino2, mt2, data2 := fileStat(t, s)
	if ino2 == ino1 || data2 == data1 || !mt2.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("a move was not written (same inode %v, same bytes %v, mtime %v)", ino2 == ino1, data2 == data1, mt2)
	}

	// Nobody answers, twice: the first is written (the outcome changed),
	// the second only confirmed; the owner's last sighting stays.
	observeRun(t, s, ownership.Run{At: t0.Add(3 * time.Minute), Outcome: ownership.OutcomeNoReply})
	ino3, _, data3 := fileStat(t, s)
	observeRun(t, s, ownership.Run{At: t0.Add(4 * time.Minute), Outcome: ownership.OutcomeNoReply})
	ino4, mt4, data4 := fileStat(t, s)
	if ino4 != ino3 || data4 != data3 || !mt4.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("a second run without reply rewrote the file or kept the old time (mtime %v)", mt4)
	}
	l, err = s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Record.LastRun.Equal(t0.Add(4*time.Minute)) || !l.Record.LastSeen.Equal(t0.Add(2*time.Minute)) || l.Record.LastOutcome != ownership.OutcomeNoReply {
		t.Errorf("loaded last run %v, last seen %v, outcome %s", l.Record.LastRun, l.Record.LastSeen, l.Record.LastOutcome)
	}

	// A stale run (older than the last on record) leaves the time alone.
	observeRun(t, s, ownership.Run{At: t0.Add(4*time.Minute - time.Second), Outcome: ownership.OutcomeNoReply})
	if _, mt, _ := fileStat(t, s); !mt.Equal(t0.Add(4 * time.Minute)) {
		t.Errorf("a stale run moved the modification time back to %v", mt)
	}
}

func TestConfirmedAt(t *testing.T) {
	rec := sampleRecord() // last outcome no_reply
	owned := rec
	owned.LastOutcome, owned.LastSeen = ownership.OutcomeOwner, rec.LastRun
	later := rec.LastRun.Add(time.Minute)
	tests := []struct {
		name           string
		rec            ownership.Record
		mtime          time.Time
		lastRun, lastS time.Time
	}{
		{"later modification time, owner seen", owned, later, later, later},
		{"later modification time, no reply", rec, later, later, rec.LastSeen},
		{"earlier modification time", owned, rec.LastRun.Add(-time.Minute), owned.LastRun, owned.LastSeen},
		{"modification time out of range", owned, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), owned.LastRun, owned.LastSeen},
		{"nothing on record", ownership.Record{}, later, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		got := confirmedAt(tt.rec, tt.mtime)
		if !got.LastRun.Equal(tt.lastRun) || !got.LastSeen.Equal(tt.lastS) {
			t.Errorf("%s: last run %v, last seen %v; want %v, %v", tt.name, got.LastRun, got.LastSeen, tt.lastRun, tt.lastS)
		}
	}
}
