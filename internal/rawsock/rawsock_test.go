package rawsock

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pair returns a Reader over one end of a datagram socketpair, which polls,
// takes deadlines and carries receive timestamps as a raw socket does, and
// the other end to feed it.
func pair(tb testing.TB, size int) (*Reader, *os.File) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	ours, peer := os.NewFile(uintptr(fds[0]), "reader"), os.NewFile(uintptr(fds[1]), "peer")
	r, err := New(ours, size, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		r.Close()
		peer.Close()
	})
	return r, peer
}

func write(tb testing.TB, peer *os.File, b []byte) {
	tb.Helper()
	if _, err := peer.Write(b); err != nil {
		tb.Fatal(err)
	}
}

func TestReadReturnsEachDatagramWithItsArrival(t *testing.T) {
	r, peer := pair(t, 8)
	write(t, peer, []byte("one"))
	write(t, peer, []byte("longer than eight"))
	sent := time.Now()
	time.Sleep(60 * time.Millisecond) // the reader is busy elsewhere
	if err := r.SetDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	d, err := r.Read()
	if err != nil || !bytes.Equal(d.Data, []byte("one")) {
		t.Fatalf("first read %q, %v", d.Data, err)
	}
	if waited := time.Since(d.At); waited < 50*time.Millisecond {
		t.Fatalf("datagram read 60ms after it arrived is stamped %v ago: want its arrival time", waited)
	}
	if d.At.Before(sent.Add(-time.Second)) {
		t.Fatalf("datagram stamped %v, long before it was sent at %v", d.At, sent)
	}
	if _, ok := timestampOf(d.Control); !ok {
		t.Fatalf("no receive timestamp in the control data %x", d.Control)
	}
	d, err = r.Read()
	if err != nil || !bytes.Equal(d.Data, []byte("longer t")) {
		t.Fatalf("second read %q, %v; want it cut to the buffer", d.Data, err)
	}
}

func TestReadTimesOutAtTheDeadline(t *testing.T) {
	r, _ := pair(t, 8)
	start := time.Now()
	if err := r.SetDeadline(start.Add(30 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want os.ErrDeadlineExceeded", err)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Fatalf("Read returned after %v, before the 30ms deadline", took)
	}
}

func TestInterruptEndsReadForGood(t *testing.T) {
	r, peer := pair(t, 8)
	if err := r.SetDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, r.Interrupt)
	if _, err := r.Read(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want os.ErrDeadlineExceeded", err)
	}
	// Later reads return at once, even with a datagram queued and a new
	// deadline.
	write(t, peer, []byte("late"))
	if err := r.SetDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, err := r.Read(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("after Interrupt: %q, %v", d.Data, err)
	}
}

// closer counts its Close calls.
type closer struct{ calls int }

func (c *closer) Close() error { c.calls++; return nil }

func TestCloseClosesOnceWithTheOthers(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	other := &closer{}
	r, err := New(os.NewFile(uintptr(fds[0]), "reader"), 8, 0, other)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if other.calls != 1 {
		t.Fatalf("the other socket was closed %d times", other.calls)
	}
	if _, err := r.Read(); err == nil {
		t.Fatal("Read after Close succeeded")
	}
}

func TestNewRejectsAnEmptyBuffer(t *testing.T) {
	if _, err := New(nil, 0, 0); err == nil {
		t.Fatal("New accepted a zero-byte buffer")
	}
}

func TestReadAllocatesNothing(t *testing.T) {
	r, peer := pair(t, 64)
	if err := r.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	msg := []byte("a datagram")
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := peer.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Read allocates %v times per datagram", allocs)
	}
}

func TestTimestampOf(t *testing.T) {
	ts := unix.NsecToTimespec(1_700_000_000_123_456_789)
	good := make([]byte, stampSpace)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&good[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS
	h.SetLen(unix.CmsgLen(sizeofTimespec))
	*(*unix.Timespec)(unsafe.Pointer(&good[unix.CmsgLen(0)])) = ts
	if got, ok := timestampOf(good); !ok || got != ts {
		t.Fatalf("timestampOf = %v, %v; want %v", got, ok, ts)
	}
	// After another message, as on an ICMPv6 socket that also reports the
	// hop limit.
	first := make([]byte, unix.CmsgSpace(4))
	fh := (*unix.Cmsghdr)(unsafe.Pointer(&first[0]))
	fh.Level, fh.Type = unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT
	fh.SetLen(unix.CmsgLen(4))
	if got, ok := timestampOf(append(first, good...)); !ok || got != ts {
		t.Fatalf("after a hop limit message: timestampOf = %v, %v; want %v", got, ok, ts)
	}
	other := append([]byte(nil), good...)
	(*unix.Cmsghdr)(unsafe.Pointer(&other[0])).Type = unix.SCM_RIGHTS
	for name, b := range map[string][]byte{
		"empty":        nil,
		"short header": good[:unix.SizeofCmsghdr-1],
		"truncated":    good[:unix.CmsgLen(0)+2],
		"other type":   other,
	} {
		if got, ok := timestampOf(b); ok {
			t.Errorf("%s: timestampOf = %v, want none", name, got)
		}
	}
	bad := append([]byte(nil), good...)
	(*unix.Cmsghdr)(unsafe.Pointer(&bad[0])).SetLen(1 << 20)
	if _, ok := timestampOf(bad); ok {
		t.Error("a length beyond the buffer was trusted")
	}
}

func TestArrival(t *testing.T) {
	opened := time.Now()
	now := opened.Add(time.Second)
	stampAt := func(d time.Duration) unix.Timespec { return unix.NsecToTimespec(now.Add(d).UnixNano()) }
	if got := arrival(now, opened, stampAt(-300*time.Millisecond), true); got.Sub(now) != -300*time.Millisecond {
		t.Errorf("300ms-old stamp gives %v", got.Sub(now))
	}
	if got := arrival(now, opened, stampAt(-300*time.Millisecond), true); got.Sub(opened) != 700*time.Millisecond {
		t.Errorf("arrival is not on the monotonic clock: %v after opening", got.Sub(opened))
	}
	for name, c := range map[string]struct {
		stamp unix.Timespec
		ok    bool
	}{
		"no stamp":              {stampAt(-time.Millisecond), false},
		"from the future":       {stampAt(time.Millisecond), true},
		"older than the socket": {stampAt(-2 * time.Second), true},
	} {
		if got := arrival(now, opened, c.stamp, c.ok); !got.Equal(now) {
			t.Errorf("%s: arrival %v before now, want now", name, now.Sub(got))
		}
	}
}

// BenchmarkRead is one datagram written and read back with its timestamp.
func BenchmarkRead(b *testing.B) {
	r, peer := pair(b, 64)
	if err := r.SetDeadline(time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	msg := []byte("a datagram")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := peer.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReceiveSkipsWhatDecodeRejects(t *testing.T) {
	r, peer := pair(t, 8)
	for _, m := range []string{"noise", "x", "wanted", "later"} {
		write(t, peer, []byte(m))
	}
	decode := func(d Datagram) (string, bool) {
		s := string(d.Data)
		return s, s == "wanted" || s == "later"
	}
	deadline := time.Now().Add(time.Second)
	for _, want := range []string{"wanted", "later"} {
		if got, err := Receive(r, deadline, decode); err != nil || got != want {
			t.Fatalf("Receive = %q, %v; want %q", got, err, want)
		}
	}
	if got, err := Receive(r, time.Now().Add(20*time.Millisecond), decode); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("with nothing queued: %q, %v; want os.ErrDeadlineExceeded", got, err)
	}
}
