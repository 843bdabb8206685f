package state

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/ownership"
)

// holdLock takes key's lock as another check recording a change would,
// until the test ends.
func holdLock(t *testing.T, s *Store) {
	t.Helper()
	name, _ := fileName(testKey)
	fd, err := s.openLock(name + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
}

// A run that finds what the last one found needs no lock: it is not held
// up, however long another check holds the lock.
func TestConfirmationTakesNoLock(t *testing.T) {
	s := openStore(t, t.TempDir())
	own := func(at time.Duration) ownership.Run {
		return ownership.Run{At: t0.Add(at), Outcome: ownership.OutcomeOwner, Owner: ma}
	}
	observeRun(t, s, own(0))
	holdLock(t, s)
	c, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-c.Done()
	if _, err := s.Update(c, testKey, func(l Loaded) ownership.Record {
		next, _ := ownership.Observe(l.Record, own(time.Minute), ownership.DefaultFlap)
		return next
	}); err != nil {
		t.Fatalf("a confirmation with the lock held elsewhere: %v", err)
	}
	if _, mt, _ := fileStat(t, s); !mt.Equal(t0.Add(time.Minute)) {
		t.Errorf("modification time %v, want the confirming run's %v", mt, t0.Add(time.Minute))
	}
}

// A check that must record a move waits for the lock; when the holder
// records the same move meanwhile, the waiter finds it on record and has
// nothing to write: no error, no second move.
func TestWaiterFindsTheSameChangeRecorded(t *testing.T) {
	s := openStore(t, t.TempDir())
	observeRun(t, s, ownership.Run{At: t0, Outcome: ownership.OutcomeOwner, Owner: ma})
	holdLock(t, s)

	type result struct {
		ev  ownership.Events
		err error
	}
	done := make(chan result, 1)
	calls := make(chan struct{}, 1)
	go func() {
		var ev ownership.Events
		_, err := s.Update(ctx(t), testKey, func(l Loaded) ownership.Record {
			select {
			case calls <- struct{}{}:
			default:
			}
			next, e := ownership.Observe(l.Record, ownership.Run{At: t0.Add(time.Minute + time.Millisecond), Outcome: ownership.OutcomeOwner, Owner: mb}, ownership.DefaultFlap)
			ev = e
			return next
		})
		done <- result{ev, err}
	}()
	// Once the waiter has read the file, record the move as the holder
	// would (the test holds the lock): the waiter can never take it, so
	// it must find the move on record.
	<-calls
	rec, _ := ownership.Observe(sampleFrom(t, s), ownership.Run{At: t0.Add(time.Minute), Outcome: ownership.OutcomeOwner, Owner: mb}, ownership.DefaultFlap)
	data, err := encode(testKey, rec)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := fileName(testKey)
	if err := s.write(name, data, rec.LastRun); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("the waiter failed although its change was on record: %v", r.err)
		}
		if r.ev.Moved {
			t.Errorf("the waiter reported the move the holder recorded: %+v", r.ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter did not notice that its change was on record")
	}
	l, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if l.Record.TotalChanges != 1 || l.Record.Owner != mb || !l.Record.LastRun.Equal(t0.Add(time.Minute+time.Millisecond)) {
		t.Errorf("on record: %d changes, owner %v, last run %v; want 1 change to %v, the waiter's run", l.Record.TotalChanges, l.Record.Owner, l.Record.LastRun, mb)
	}
}

func sampleFrom(t *testing.T, s *Store) ownership.Record {
	t.Helper()
	l, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return l.Record
}

// A confirmation that races a write lands on the file it read, never on
// the new one: the new record keeps its own time.
func TestConfirmationNeverLandsOnANewerFile(t *testing.T) {
	s := openStore(t, t.TempDir())
	observeRun(t, s, ownership.Run{At: t0, Outcome: ownership.OutcomeOwner, Owner: ma})
	name, _ := fileName(testKey)
	snap, err := s.read(testKey, name)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.close()
	// Another check records a move after this one read the file...
	observeRun(t, s, ownership.Run{At: t0.Add(time.Minute), Outcome: ownership.OutcomeOwner, Owner: mb})
	// ... and this one confirms what it read.
	if err := s.confirm(&snap, name, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	l := sampleFrom(t, s)
	if l.Owner != mb || !l.LastRun.Equal(t0.Add(time.Minute)) || !l.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Errorf("on record owner %v, last run %v, last seen %v; want %v seen at the writer's run %v",
			l.Owner, l.LastRun, l.LastSeen, mb, t0.Add(time.Minute))
	}
}

// 200 check processes see the same move at once: exactly one records it
// and reports it; none fails.
func TestConcurrentProcessesRaceOneMove(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	s := openStore(t, dir)
	observeRun(t, s, ownership.Run{At: time.Now().Add(-time.Minute), Outcome: ownership.OutcomeOwner, Owner: nodeMAC(0)})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range n {
		cmds[i] = exec.CommandContext(ctx(t), self, "-test.run=^$", dir, "1")
		cmds[i].Env = append(os.Environ(), helperEnv+"=move")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	moved := 0
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v: %s", i, err, outs[i].String())
		}
		switch out := strings.TrimSpace(outs[i].String()); out {
		case "moved":
			moved++
		case "same":
		default:
			t.Errorf("process %d said %q", i, out)
		}
	}
	l := sampleFrom(t, s)
	if moved != 1 || l.TotalChanges != 1 || len(l.Changes) != 1 || l.Owner != nodeMAC(1) {
		t.Errorf("%d processes reported the move; on record %d changes, owner %v; want exactly one of each, owner %v",
			moved, l.TotalChanges, l.Owner, nodeMAC(1))
	}
	t.Logf("%d processes raced one move: %d reported it", n, moved)
}
