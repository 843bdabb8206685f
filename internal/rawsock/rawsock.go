// Package rawsock reads a raw socket one datagram at a time, as both probe
// transports need it: with a deadline, interruptible from another
// goroutine, stamped with the kernel's receive time, into buffers set up
// once so that the read loop allocates nothing, and closed once.
//
// The receive timestamp (SO_TIMESTAMPNS) matters because a reply must
// count for the probe that was last sent before it arrived, not before the
// check got around to reading it: on a busy monitoring host the check may
// not run for a while, and a reply read only after the next probe left
// would otherwise be credited to that probe, leaving the one it answered
// "lost" and its round trip inflated.
package rawsock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn is what a Reader uses of a socket: *os.File and mdlayher/packet's
// *packet.Conn have it, and so has a socketpair end in tests.
type Conn interface {
	SetReadDeadline(t time.Time) error
	SyscallConn() (syscall.RawConn, error)
	Close() error
}

// Datagram is one datagram read. Data and Control point into the Reader's
// buffers and are valid until the next Read.
type Datagram struct {
	// Data is the datagram, cut to the Reader's size.
	Data []byte
	// Control is the control data the kernel attached (all of it, the
	// receive timestamp included), for the caller to parse.
	Control []byte
	// At is when the datagram arrived: the kernel's receive timestamp on
	// the monotonic clock, or the time it was read when the kernel gave
	// none.
	At time.Time
}

// Reader reads datagrams from one socket. Read and SetDeadline are for one
// goroutine; Interrupt and Close may be called from any.
type Reader struct {
	conn        Conn
	raw         syscall.RawConn
	also        []io.Closer
	opened      time.Time
	interrupted atomic.Bool
	closeOnce   sync.Once
	closeErr    error

	// recvmsg state, kept here so that the read callback is built once
	// and a read allocates nothing.
	buf, oob []byte
	iov      unix.Iovec
	msg      unix.Msghdr
	readFn   func(fd uintptr) bool
	n        int
	oobn     int
	err      error
}

// New returns a Reader of datagrams of up to size bytes from conn, with room
// for control bytes of the caller's own control messages besides the
// receive timestamp, which it asks the kernel for. Close closes conn and
// also, at the same time.
func New(conn Conn, size, control int, also ...io.Closer) (*Reader, error) {
	if size <= 0 || control < 0 {
		return nil, fmt.Errorf("rawsock: buffer of %d bytes with %d for control data", size, control)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("raw access to the socket: %w", err)
	}
	// Without timestamps (an old kernel) a datagram counts as arriving
	// when it is read.
	_ = raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	})
	r := &Reader{
		conn:   conn,
		raw:    raw,
		also:   also,
		opened: time.Now(),
		buf:    make([]byte, size),
		oob:    make([]byte, stampSpace+control),
	}
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
	r.msg.Control = &r.oob[0]
	r.readFn = r.recvmsg
	return r, nil
}

// SetDeadline sets when Read gives up waiting, for all following reads.
func (r *Reader) SetDeadline(t time.Time) error {
	if err := r.conn.SetReadDeadline(t); err != nil {
		return fmt.Errorf("setting the read deadline: %w", err)
	}
	return nil
}

// Read waits for the next datagram until the deadline. At the deadline,
// and at once for good after Interrupt, it returns os.ErrDeadlineExceeded.
func (r *Reader) Read() (Datagram, error) {
	// Checked after the caller set the deadline: an Interrupt racing with
	// it either is seen here or moves the deadline after the caller's.
	if r.interrupted.Load() {
		return Datagram{}, os.ErrDeadlineExceeded
	}
	if err := r.raw.Read(r.readFn); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return Datagram{}, os.ErrDeadlineExceeded
		}
		return Datagram{}, fmt.Errorf("reading the socket: %w", err)
	}
	if r.err != nil {
		return Datagram{}, fmt.Errorf("reading the socket: %w", r.err)
	}
	control := r.oob[:r.oobn]
	stamp, ok := timestampOf(control)
	return Datagram{Data: r.buf[:r.n], Control: control, At: arrival(time.Now(), r.opened, stamp, ok)}, nil
}

// recvmsg is the raw connection's read callback: it reports false while
// nothing is queued (EAGAIN), so that the poller waits.
//
// The socket is non-blocking, so the call never waits in the kernel and is
// made without telling the runtime (RawSyscall): a system call announced
// to the runtime wakes its monitor thread (sysmon) from its sleep whenever
// the process was idle, and the monitor then polls every 20µs for a while.
// A check wakes for each reply; measured, those wake-ups cost 0.2 ms of
// a 4 ms check.
func (r *Reader) recvmsg(fd uintptr) bool {
	r.msg.SetControllen(len(r.oob))
	r.msg.Flags = 0
	n, _, errno := unix.RawSyscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), 0)
	if errno == unix.EAGAIN {
		return false
	}
	r.n, r.oobn, r.err = 0, 0, nil
	if errno != 0 {
		r.err = errno
		return true
	}
	r.n = min(int(n), len(r.buf))
	r.oobn = min(int(r.msg.Controllen), len(r.oob))
	return true
}

// Interrupt makes a blocked Read, and every later one, return
// os.ErrDeadlineExceeded at once.
func (r *Reader) Interrupt() {
	r.interrupted.Store(true)
	_ = r.conn.SetReadDeadline(time.Now())
}

// Close closes the socket and the closers given to New, at the same time:
// closing a packet socket waits for an RCU grace period (tens of
// milliseconds on a busy host), and closing them together waits once. It
// may be called more than once and returns the first call's result.
func (r *Reader) Close() error {
	r.closeOnce.Do(func() {
		errs := make(chan error, len(r.also))
		for _, c := range r.also {
			go func() { errs <- c.Close() }()
		}
		err := r.conn.Close()
		for range r.also {
			err = errors.Join(err, <-errs)
		}
		r.closeErr = err
	})
	return r.closeErr
}

// Receive reads datagrams until decode accepts one, and returns what decode
// made of it; at the deadline, and after Interrupt, it returns
// os.ErrDeadlineExceeded. decode must not keep the datagram's slices. A
// decode built once (a method value kept in a field, not a fresh closure
// per call) keeps the loop free of allocations.
func Receive[T any](r *Reader, deadline time.Time, decode func(Datagram) (T, bool)) (T, error) {
	var none T
	if err := r.SetDeadline(deadline); err != nil {
		return none, err
	}
	for {
		d, err := r.Read()
		if err != nil {
			return none, err
		}
		if v, ok := decode(d); ok {
			return v, nil
		}
	}
}

// GrowBuffer asks the kernel for a receive buffer of bytes on conn's
// socket, for a socket whose frames may come faster than a busy host runs
// its reader (many addresses sharing it, many checks of one target): they
// must wait there while the reader is not scheduled. The kernel caps it at
// net.core.rmem_max without an error; a socket keeps its buffer if the
// request fails.
func GrowBuffer(conn Conn, bytes int) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) { growFD(int(fd), bytes) })
}

func growFD(fd, bytes int) {
	if cur, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil && cur >= bytes {
		return
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bytes)
}

// LoneBuffer is the receive buffer a lone check's socket asks for (the
// kernel caps it at net.core.rmem_max, 208 KiB on a default Debian, unless
// the check runs as root): measured, 200 checks of one target at once on
// the lab VM, each seeing every request and reply for it, lost a reply in
// 20 of 600 runs to a full queue with the default buffer, none with this
// one. The memory is used only while frames wait.
const LoneBuffer = 1 << 20

// PoolBuffer is the receive buffer GrowBuffer asks for, for a socket that
// frames requests of many addresses share: about a kilobyte of kernel
// memory per frame (a request seen leaving and its reply), at most 4 MiB.
func PoolBuffer(frames int) int { return min(max(frames, 1)*1024, 4<<20) }
