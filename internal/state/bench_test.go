package state

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/ownership"
)

// BenchmarkLoadUpdate is the cost of state in one check run: Open of the
// directory, the update (lock, read, decode, Observe) and Close, on a
// record with a history of hist changes, for a run that finds what the
// last one found (run=same: the file's time is set, nothing written) and
// for one whose outcome differs (run=changed: encode, write, fsync,
// rename, fsync of the directory). cpu-ns/op is user+system CPU time from
// getrusage (also split into user and system), the figure to compare with
// the run's CPU time without state; ns/op is wall time, mostly the two
// fsyncs of a write.
func BenchmarkLoadUpdate(b *testing.B) {
	for _, bc := range []struct {
		name    string
		hist    int
		changed bool
	}{
		{"run=same/history=0", 0, false}, {"run=same/history=16", 16, false}, {"run=same/history=256", ownership.MaxChanges, false},
		{"run=changed/history=0", 0, true}, {"run=changed/history=16", 16, true}, {"run=changed/history=256", ownership.MaxChanges, true},
	} {
		hist := bc.hist
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			s, err := Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			rec := ownership.Record{}
			for i := range hist + 1 {
				rec, _ = ownership.Observe(rec, ownership.Run{At: start.Add(time.Duration(i) * time.Second), Outcome: ownership.OutcomeOwner, Owner: nodeMAC(i)}, ownership.DefaultFlap)
			}
			if _, err := s.Update(context.Background(), testKey, func(Loaded) ownership.Record { return rec }); err != nil {
				b.Fatal(err)
			}
			s.Close()
			at := start.Add(time.Hour)
			usr0, sys0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				// The same owner each run, or every other run nobody:
				// the history keeps its size either way.
				run := ownership.Run{At: at.Add(time.Duration(i) * time.Second), Outcome: ownership.OutcomeOwner, Owner: rec.Owner}
				if bc.changed && i%2 == 1 {
					run = ownership.Run{At: run.At, Outcome: ownership.OutcomeNoReply}
				}
				_, err = s.Update(context.Background(), testKey, func(l Loaded) ownership.Record {
					next, _ := ownership.Observe(l.Record, run, ownership.DefaultFlap)
					return next
				})
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.StopTimer()
			usr, sys := cpuTime()
			b.ReportMetric(float64(usr-usr0+sys-sys0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(usr-usr0)/float64(b.N), "user-ns/op")
			b.ReportMetric(float64(sys-sys0)/float64(b.N), "sys-ns/op")
		})
	}
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// The parts of an update that are pure CPU, for a full history.
func fullRecord() ownership.Record {
	rec := ownership.Record{}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range ownership.MaxChanges + 1 {
		rec, _ = ownership.Observe(rec, ownership.Run{At: start.Add(time.Duration(i) * time.Second), Outcome: ownership.OutcomeOwner, Owner: nodeMAC(i)}, ownership.DefaultFlap)
	}
	return rec
}

func BenchmarkEncodeFullHistory(b *testing.B) {
	rec := fullRecord()
	for b.Loop() {
		if _, err := encode(testKey, rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFullHistory(b *testing.B) {
	data, err := encode(testKey, fullRecord())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, reset := decode(testKey, data); reset != "" {
			b.Fatal(reset)
		}
	}
}
