package state

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
)

// The test binary doubles as a check process: with STATE_TEST_HELPER set it
// runs one of the helpers below instead of the tests, so that the tests can
// run real concurrent processes and kill them mid-write.
const helperEnv = "STATE_TEST_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Args[len(os.Args)-2:]))
	}
	os.Exit(m.Run())
}

var testKey = Key{Target: netip.MustParseAddr("198.51.100.10"), Interface: "eth0"}

// nodeMAC is a distinct MAC per writer, so that every update by another
// writer is a change of owner and a lost update shows in the counter.
func nodeMAC(i int) mac.Addr { return mac.Addr{2, 0, 0, 0, byte(i >> 8), byte(i)} }

// observeAs is one check run's update: writer i saw itself as the owner.
func observeAs(ctx context.Context, s *Store, i int, at time.Time) (Loaded, error) {
	return s.Update(ctx, testKey, func(l Loaded) ownership.Record {
		rec, _ := ownership.Observe(l.Record, ownership.Run{At: at, Outcome: ownership.OutcomeOwner, Owner: nodeMAC(i)}, ownership.DefaultFlap)
		return rec
	})
}

// runHelper: "update DIR I" does one update as writer I; "move DIR I"
// one check run that sees writer I as the owner; "loop DIR I" updates as
// writers I, I+1, ... until killed, each with a full history so that a
// write takes as long as it can.
func runHelper(mode string, args []string) int {
	dir := args[0]
	i, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	switch mode {
	case "update":
		if _, err := observeAs(ctx, s, i, time.Now()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	case "loop":
		for n := 0; ; n++ {
			if _, err := observeAs(ctx, s, i+n, time.Now()); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if n == 0 {
				// Tell the parent that the start-up is over and the
				// writes have begun.
				os.Stdout.WriteString("writing\n")
			}
		}
	case "move":
		// One check run that sees writer I as the owner, as the check
		// records it: a run older than the record (it waited while a
		// later run wrote) is not recorded. It says whether it saw a
		// move.
		run := ownership.Run{At: time.Now(), Outcome: ownership.OutcomeOwner, Owner: nodeMAC(i)}
		var ev ownership.Events
		_, err := s.Update(ctx, testKey, func(l Loaded) ownership.Record {
			if ownership.Stale(l.Record, run, time.Minute) {
				ev = ownership.Current(l.Record, run.At, ownership.DefaultFlap)
				return l.Record
			}
			var next ownership.Record
			next, ev = ownership.Observe(l.Record, run, ownership.DefaultFlap)
			return next
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if ev.Moved {
			fmt.Println("moved")
		} else {
			fmt.Println("same")
		}
	case "open":
		// Open succeeded: print the directory for the parent.
		fmt.Println(s.Dir())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", mode)
		return 2
	}
	return 0
}
