package rawsock

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// batchPair returns a Batch over one end of a datagram socketpair (receive
// timestamps as a raw socket's) and the other end to feed it.
func batchPair(tb testing.TB, size int) (*Batch, *os.File) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := NewBatch(fds[0], size, 0)
	if err != nil {
		tb.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	tb.Cleanup(func() {
		b.Close()
		peer.Close()
	})
	return b, peer
}

// Drain reads everything queued, more than one system call's worth, in
// order, each datagram cut to the size and stamped with its arrival, and
// returns at once when nothing is queued.
func TestDrainReadsAllQueuedInOrder(t *testing.T) {
	b, peer := batchPair(t, 8)
	const n = 3*batchLen + 5
	for i := range n {
		write(t, peer, fmt.Appendf(nil, "%d-padding-beyond-8", i))
	}
	sent := time.Now()
	time.Sleep(30 * time.Millisecond) // the reader comes later
	var got []string
	var stamps []time.Time
	if err := b.Drain(func(d Datagram) {
		got = append(got, string(d.Data))
		stamps = append(stamps, d.At)
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("drained %d datagrams, want %d", len(got), n)
	}
	for i, s := range got {
		if want := fmt.Sprintf("%d-padding-beyond-8", i)[:8]; s != want {
			t.Fatalf("datagram %d is %q, want %q", i, s, want)
		}
		if stamps[i].After(sent) || time.Since(stamps[i]) < 25*time.Millisecond {
			t.Fatalf("datagram %d stamped %v before the drain: want its arrival, before %v", i, time.Since(stamps[i]), time.Since(sent))
		}
	}
	// An empty socket: Drain returns (it never waits).
	if err := b.Drain(func(Datagram) { t.Error("a datagram from an empty socket") }); err != nil {
		t.Fatal(err)
	}
}

// Under a flood a drain stops at the datagrams that arrived after it
// began, so that one tick's reading is bounded.
func TestDrainIsBoundedUnderFlood(t *testing.T) {
	b, peer := batchPair(t, 64)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = peer.Write([]byte("flood"))
			}
		}
	}()
	defer func() {
		close(stop)
		// The writer may be blocked on a full socket: make room.
		for {
			select {
			case <-done:
				return
			default:
				_ = b.Drain(func(Datagram) {})
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	finished := make(chan error, 1)
	go func() { finished <- b.Drain(func(Datagram) {}) }()
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Drain did not return during a flood")
	}
}

func TestDrainAfterCloseAndSend(t *testing.T) {
	b, peer := batchPair(t, 16)
	// SendTo on the connected pair: no address.
	if err := b.Control(func(fd int) {
		if err := SendTo(uintptr(fd), []byte("hello"), nil, 0); err != nil {
			t.Errorf("SendTo: %v", err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := peer.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Drain(func(Datagram) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Drain after Close: %v, want ErrClosed", err)
	}
	if err := b.Control(func(int) { t.Error("Control ran after Close") }); !errors.Is(err, ErrClosed) {
		t.Errorf("Control after Close: %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
