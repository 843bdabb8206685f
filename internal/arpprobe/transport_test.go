package arpprobe

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/mdlayher/arp"
	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/probe"
)

// pairSocket is one end of a datagram socketpair standing in for the
// packet socket: frames written to the other end arrive one per read, as
// frames do on a packet socket, and it polls, takes deadlines and carries
// receive timestamps the same way.
type pairSocket struct{ *os.File }

func (p pairSocket) WriteTo(b []byte, _ net.Addr) (int, error) { return p.Write(b) }

// newPairTransport returns a Transport for targetIP over a socketpair, and
// the peer end to feed it frames.
func newPairTransport(tb testing.TB) (*Transport, *os.File) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	ours, peer := os.NewFile(uintptr(fds[0]), "transport"), os.NewFile(uintptr(fds[1]), "peer")
	t, err := newTransport(pairSocket{ours}, pairSocket{ours}, []byte("request"), nil, newClassifier(targetIP, sourceIP, local, testNonce))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		t.Close()
		peer.Close()
	})
	return t, peer
}

func feed(tb testing.TB, peer *os.File, frames ...[]byte) {
	tb.Helper()
	for _, f := range frames {
		if _, err := peer.Write(f); err != nil {
			tb.Fatal(err)
		}
	}
}

func replyFrame(tb testing.TB) []byte {
	return frame(tb, arp.OperationReply, local, nodeA, targetIP, local, sourceIP)
}

// noiseFrames are frames a check's socket may see that say nothing about
// its target: garbage, another target's reply, the target asking for its
// gateway.
func noiseFrames(tb testing.TB) [][]byte {
	return [][]byte{
		{0xde, 0xad},
		frame(tb, arp.OperationReply, local, nodeA, otherIP, local, sourceIP),
		frame(tb, arp.OperationRequest, broadcast, nodeA, targetIP, mac.Addr{}, otherIP),
	}
}

func TestReceiveSkipsNoiseAndReportsAnswers(t *testing.T) {
	tr, peer := newPairTransport(t)
	feed(t, peer, noiseFrames(t)...)
	feed(t, peer, frame(t, arp.OperationReply, broadcast, other, targetIP, broadcast, targetIP))
	feed(t, peer, noiseFrames(t)...)
	feed(t, peer, replyFrame(t))
	deadline := time.Now().Add(5 * time.Second)
	a, err := tr.Receive(deadline)
	if err != nil || a.Kind != probe.Announcement || a.MAC != other {
		t.Fatalf("first answer %+v, %v; want the announcement from %s", a, err, other)
	}
	a, err = tr.Receive(deadline)
	if err != nil || a.Kind != probe.Reply || a.MAC != nodeA {
		t.Fatalf("second answer %+v, %v; want the reply from %s", a, err, nodeA)
	}
	if a.At.IsZero() || time.Since(a.At) > 5*time.Second {
		t.Fatalf("reply stamped %v", a.At)
	}
}

func TestReceiveTimesOutAtTheDeadline(t *testing.T) {
	tr, peer := newPairTransport(t)
	feed(t, peer, noiseFrames(t)...)
	start := time.Now()
	_, err := tr.Receive(start.Add(30 * time.Millisecond))
	if !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("err = %v, want probe.ErrTimeout", err)
	}
	if took := time.Since(start); took < 30*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Receive returned after %v, want the 30ms deadline", took)
	}
}

func TestInterruptEndsReceive(t *testing.T) {
	tr, _ := newPairTransport(t)
	time.AfterFunc(20*time.Millisecond, tr.Interrupt)
	start := time.Now()
	if _, err := tr.Receive(start.Add(10 * time.Second)); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("err = %v, want probe.ErrTimeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("interrupted Receive took %v", took)
	}
	// Later calls return at once too.
	if _, err := tr.Receive(time.Now().Add(10 * time.Second)); !errors.Is(err, probe.ErrTimeout) {
		t.Fatalf("after Interrupt: err = %v", err)
	}
}

func TestSendWritesTheRequest(t *testing.T) {
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
	if err != nil || !bytes.Equal(buf[:n], []byte("request")) {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
}

// receiveOne is one step of the steady-state read loop: a reply arrives
// and is read, decoded and classified.
func receiveOne(tb testing.TB, tr *Transport, peer *os.File, noise [][]byte, reply []byte, deadline time.Time) {
	for _, f := range noise {
		if _, err := peer.Write(f); err != nil {
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
	reply, noise := replyFrame(t), noiseFrames(t)
	deadline := time.Now().Add(time.Minute)
	receiveOne(t, tr, peer, noise, reply, deadline) // warm up
	allocs := testing.AllocsPerRun(200, func() {
		receiveOne(t, tr, peer, noise, reply, deadline)
	})
	if allocs != 0 {
		t.Fatalf("the read loop allocates %v times per reply", allocs)
	}
}

// BenchmarkReceive is the read loop on a reply that is already queued:
// deadline, read, decode, classify.
func BenchmarkReceive(b *testing.B) {
	tr, peer := newPairTransport(b)
	reply := replyFrame(b)
	deadline := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		receiveOne(b, tr, peer, nil, reply, deadline)
	}
}

// BenchmarkReceiveSkip adds three frames to skip before each reply, as a
// busy segment or other checks' traffic would.
func BenchmarkReceiveSkip(b *testing.B) {
	tr, peer := newPairTransport(b)
	reply, noise := replyFrame(b), noiseFrames(b)
	deadline := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		receiveOne(b, tr, peer, noise, reply, deadline)
	}
}

// BenchmarkReceiveWake has another goroutine write each reply when asked,
// so that the reader usually blocks in the poller and is woken, as it is
// for a real reply.
func BenchmarkReceiveWake(b *testing.B) {
	tr, peer := newPairTransport(b)
	reply := replyFrame(b)
	deadline := time.Now().Add(time.Hour)
	next := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range next {
			if _, err := peer.Write(reply); err != nil {
				panic(err)
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		next <- struct{}{}
		if a, err := tr.Receive(deadline); err != nil || a.Kind != probe.Reply {
			b.Fatalf("Receive = %+v, %v", a, err)
		}
	}
	close(next)
	<-done
}

func TestReceiveReportsWhenTheFrameArrived(t *testing.T) {
	tr, peer := newPairTransport(t)
	feed(t, peer, replyFrame(t))
	sent := time.Now()
	time.Sleep(60 * time.Millisecond) // the check is busy elsewhere
	a, err := tr.Receive(time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(a.At); waited < 50*time.Millisecond {
		t.Fatalf("reply read 60ms after it arrived is stamped %v ago: want its arrival time", waited)
	}
	if a.At.Before(sent.Add(-time.Second)) {
		t.Fatalf("reply stamped %v, long before it was sent at %v", a.At, sent)
	}
}

// TestTargetFilterInTheKernel runs the socket filter where it runs for a
// check, in the kernel, on a socketpair: frames about the target pass, cut
// to snapLen; others never reach the read loop.
func TestTargetFilterInTheKernel(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, peer := os.NewFile(uintptr(fds[0]), "filtered"), os.NewFile(uintptr(fds[1]), "peer")
	defer ours.Close()
	defer peer.Close()
	prog, err := targetFilter(targetIP)
	if err != nil {
		t.Fatal(err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(fds[0], unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		t.Fatal(err)
	}
	reply := replyFrame(t)
	padded := append(append([]byte(nil), reply...), make([]byte, 100)...)
	asking := frame(t, arp.OperationRequest, broadcast, nodeA, otherIP, mac.Addr{}, targetIP)
	ipv4 := append([]byte(nil), reply...)
	ipv4[offEtherType], ipv4[offEtherType+1] = 0x08, 0x00
	feed(t, peer, noiseFrames(t)[1], ipv4, reply, noiseFrames(t)[0], padded, asking)
	var got [][]byte
	buf := make([]byte, 256)
	for {
		n, err := unix.Read(fds[0], buf)
		if err != nil {
			break
		}
		got = append(got, append([]byte(nil), buf[:n]...))
	}
	want := [][]byte{reply, padded[:snapLen], asking}
	if len(got) != len(want) {
		t.Fatalf("the filter passed %d frames, want %d (the reply, the padded reply, the request for the target): %x", len(got), len(want), got)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("frame %d passed as %x, want %x", i, got[i], want[i])
		}
	}
}
