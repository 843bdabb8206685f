package ndpprobe

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/probe"
)

// newPairTransport returns a Transport for targetIP over one end of a
// datagram socketpair standing in for the ICMPv6 socket, and the peer end
// to feed it messages: they arrive one per read, as on the raw socket, and
// poll, take deadlines and carry receive timestamps the same way. A
// socketpair carries no IPv6 control messages, so every message counts as
// arriving on the probed link, addressed to the source.
func newPairTransport(tb testing.TB) (*Transport, *os.File) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	ours, peer := os.NewFile(uintptr(fds[0]), "transport"), os.NewFile(uintptr(fds[1]), "peer")
	t, err := newTransport(ours, []byte("solicitation"), nil, classify7, func([]byte) meta { return toUs })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		t.Close()
		peer.Close()
	})
	return t, peer
}

func feed(tb testing.TB, peer *os.File, msgs ...[]byte) {
	tb.Helper()
	for _, m := range msgs {
		if _, err := peer.Write(m); err != nil {
			tb.Fatal(err)
		}
	}
}

func replyMsg(tb testing.TB) []byte { return advertisement(tb, true, targetIP, tlla(nodeA)) }

// noiseMsgs are messages a check's socket may be handed that say nothing
// about its target: garbage, another target's advertisement, an
// unsolicited one without the MAC.
func noiseMsgs(tb testing.TB) [][]byte {
	return [][]byte{
		{0xde, 0xad},
		advertisement(tb, true, netip.MustParseAddr("2001:db8::99"), tlla(nodeA)),
		advertisement(tb, false, targetIP),
	}
}

func TestReceiveSkipsNoiseAndReportsAnswers(t *testing.T) {
	tr, peer := newPairTransport(t)
	other := nodeA
	other[5] = 0x0b
	feed(t, peer, noiseMsgs(t)...)
	feed(t, peer, advertisement(t, false, targetIP, tlla(other)))
	feed(t, peer, noiseMsgs(t)...)
	feed(t, peer, replyMsg(t))
	deadline := time.Now().Add(5 * time.Second)
	a, err := tr.Receive(deadline)
	if err != nil || a.Kind != probe.Announcement || a.MAC != other {
		t.Fatalf("first answer %+v, %v; want the announcement from %s", a, err, other)
	}
	a, err = tr.Receive(deadline)
	if err != nil || a.Kind != probe.Reply || a.MAC != nodeA {
		t.Fatalf("second answer %+v, %v; want the reply from %s", a, err, nodeA)
	}
}

func TestReceiveTimesOutAtTheDeadline(t *testing.T) {
	tr, peer := newPairTransport(t)
	feed(t, peer, noiseMsgs(t)...)
	start := time.Now()
	_, err := tr.Receive(start.Add(30 * time.Millisecond))
	if !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("err = %v, want probe.ErrTimeout", err)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Fatalf("Receive returned after %v, before the 30ms deadline", took)
	}
}

func TestInterruptEndsReceive(t *testing.T) {
	tr, _ := newPairTransport(t)
	time.AfterFunc(20*time.Millisecond, tr.Interrupt)
	if _, err := tr.Receive(time.Now().Add(time.Hour)); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("err = %v, want probe.ErrTimeout", err)
	}
	if _, err := tr.Receive(time.Now().Add(time.Hour)); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("after Interrupt: err = %v", err)
	}
}

func TestSendWritesTheSolicitation(t *testing.T) {
	tr, peer := newPairTransport(t)
	before := time.Now()
	at, err := tr.Send()
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(before) || at.After(time.Now()) {
		t.Fatalf("send stamped %v, outside the call", at)
	}
	buf := make([]byte, 64)
	n, err := peer.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("solicitation")) {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
}

// TestReceiveReportsWhenTheAdvertisementArrived: an advertisement read
// 60ms after it arrived (the check was busy) keeps its arrival time, so
// that its round trip is not inflated and it counts for the solicitation
// it answered.
func TestReceiveReportsWhenTheAdvertisementArrived(t *testing.T) {
	tr, peer := newPairTransport(t)
	feed(t, peer, replyMsg(t))
	time.Sleep(60 * time.Millisecond)
	a, err := tr.Receive(time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(a.At); waited < 50*time.Millisecond {
		t.Fatalf("advertisement read 60ms after it arrived is stamped %v ago: want its arrival time", waited)
	}
}

// receiveOne is one step of the steady-state read loop: an advertisement
// arrives and is read, decoded and classified.
func receiveOne(tb testing.TB, tr *Transport, peer *os.File, noise [][]byte, reply []byte, deadline time.Time) {
	for _, m := range noise {
		if _, err := peer.Write(m); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := peer.Write(reply); err != nil {
		tb.Fatal(err)
	}
	if a, err := tr.Receive(deadline); err != nil || a.Kind != probe.Reply {
		tb.Fatalf("Receive = %+v, %v", a, err)
	}
}

func TestReceiveAllocatesNothingPerReply(t *testing.T) {
	tr, peer := newPairTransport(t)
	reply, noise := replyMsg(t), noiseMsgs(t)
	deadline := time.Now().Add(time.Minute)
	receiveOne(t, tr, peer, noise, reply, deadline) // warm up
	allocs := testing.AllocsPerRun(200, func() {
		receiveOne(t, tr, peer, noise, reply, deadline)
	})
	if allocs != 0 {
		t.Fatalf("the read loop allocates %v times per reply", allocs)
	}
}

// BenchmarkReceive is the read loop on an advertisement that is already
// queued: deadline, read, decode, classify.
func BenchmarkReceive(b *testing.B) {
	tr, peer := newPairTransport(b)
	reply := replyMsg(b)
	deadline := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		receiveOne(b, tr, peer, nil, reply, deadline)
	}
}
