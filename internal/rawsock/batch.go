package rawsock

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batch reads a socket on a clock instead of as datagrams arrive, for a
// socket that many addresses share. The Go runtime does not watch its
// socket: a socket in the runtime's poller wakes the process for every
// datagram, even one that nobody waits for yet, and a pool of a thousand
// addresses receives thousands. Drain reads everything queued, many
// datagrams per system call, and returns without waiting; the kernel's
// receive timestamps keep each datagram's arrival time exact however long
// it waited in the socket.
//
// Drain is for one goroutine; Control, SetBuffer and Close may be called
// from any.
type Batch struct {
	fd     int
	opened time.Time
	also   []io.Closer

	mu       sync.RWMutex // held by Close, read-held by the others: no use of a closed descriptor
	closed   bool
	closeErr error
	err      error // the socket's error that ended reading

	// recvmmsg state, set up once so that a drain allocates nothing.
	size, oobSize int
	buf, oob      []byte
	iovs          []unix.Iovec
	hdrs          []unix.Mmsghdr
}

// batchLen is how many datagrams one system call reads at most: a tick's
// worth of a large pool's replies at the default rate.
const batchLen = 32

// NewBatch returns a Batch of datagrams of up to size bytes from the socket
// fd, which it takes over (Close closes it), with room for control bytes
// of the caller's own control messages besides the receive timestamp,
// which it asks the kernel for. Close closes also at the same time.
func NewBatch(fd int, size, control int, also ...io.Closer) (*Batch, error) {
	if fd < 0 || size <= 0 || control < 0 {
		return nil, fmt.Errorf("rawsock: socket %d, buffer of %d bytes with %d for control data", fd, size, control)
	}
	// Without timestamps (an old kernel) a datagram counts as arriving
	// when it is read.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	b := &Batch{
		fd:      fd,
		opened:  time.Now(),
		also:    also,
		size:    size,
		oobSize: stampSpace + control,
		buf:     make([]byte, batchLen*size),
		oob:     make([]byte, batchLen*(stampSpace+control)),
		iovs:    make([]unix.Iovec, batchLen),
		hdrs:    make([]unix.Mmsghdr, batchLen),
	}
	for i := range b.hdrs {
		b.iovs[i].Base = &b.buf[i*size]
		b.iovs[i].SetLen(size)
		b.hdrs[i].Hdr.Iov = &b.iovs[i]
		b.hdrs[i].Hdr.SetIovlen(1)
		b.hdrs[i].Hdr.Control = &b.oob[i*b.oobSize]
	}
	return b, nil
}

// SetBuffer asks the kernel for a receive buffer of bytes, as GrowBuffer
// does: room for the datagrams of a tick, or of the longest pause of the
// reader.
func (b *Batch) SetBuffer(bytes int) {
	_ = b.Control(func(fd int) { growFD(fd, bytes) })
}

// Control calls fn with the socket's descriptor (to send on it), unless
// the Batch is closed (ErrClosed); Close waits for fn to return.
func (b *Batch) Control(fn func(fd int)) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	fn(b.fd)
	return nil
}

// Drain reads the datagrams queued on the socket and hands each to fn, in
// the order they arrived, until none is left or it reaches datagrams that
// arrived after the drain began (under a flood it returns all the same:
// the next drain reads them). It never waits. fn must not keep the
// datagram's slices. After Close it returns ErrClosed; after a socket
// error, that error, for good.
func (b *Batch) Drain(fn func(Datagram)) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	if b.err != nil {
		return b.err
	}
	began := time.Now()
	for {
		for i := range b.hdrs {
			b.hdrs[i].Hdr.SetControllen(b.oobSize)
			b.hdrs[i].Hdr.Flags = 0
			b.hdrs[i].Len = 0
		}
		// MSG_DONTWAIT: the call returns at once, so it need not tell the
		// scheduler it may block.
		r, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(b.fd), uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
		case unix.EAGAIN:
			return nil
		case unix.EINTR:
			continue
		default:
			// A socket error (ENETDOWN when the interface went away)
			// ends reading for good, as a failed Read does.
			b.err = fmt.Errorf("reading the socket: %w", errno)
			return b.err
		}
		n := int(r)
		now := time.Now()
		var last time.Time
		for i := range n {
			h := &b.hdrs[i]
			data := b.buf[i*b.size : i*b.size+min(int(h.Len), b.size)]
			control := b.oob[i*b.oobSize : i*b.oobSize+min(int(h.Hdr.Controllen), b.oobSize)]
			stamp, ok := timestampOf(control)
			last = arrival(now, b.opened, stamp, ok)
			fn(Datagram{Data: data, Control: control, At: last})
		}
		if n < len(b.hdrs) || last.After(began) {
			return nil
		}
	}
}

// ErrClosed is what Drain returns after Close.
var ErrClosed = errors.New("rawsock: the socket is closed")

// Close closes the socket and the closers given to NewBatch, at the same
// time (see Reader.Close). It may be called more than once and returns the
// first call's result.
func (b *Batch) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.closeErr
	}
	b.closed = true
	errs := make(chan error, len(b.also))
	for _, c := range b.also {
		go func() { errs <- c.Close() }()
	}
	err := unix.Close(b.fd)
	if err != nil {
		err = fmt.Errorf("closing the socket: %w", err)
	}
	for range b.also {
		err = errors.Join(err, <-errs)
	}
	b.closeErr = err
	return err
}

// SendTo sends p on the socket fd to the address to (a raw socket address
// of toLen bytes) if it can without waiting, and returns unix.EAGAIN when
// the socket's buffer is full, for the caller to wait its usual way. The
// system call bypasses the Go scheduler, as Drain's does: on a clock's
// tick every system call that tells the scheduler it might block wakes the
// runtime's monitor thread.
func SendTo(fd uintptr, p []byte, to unsafe.Pointer, toLen uintptr) error {
	if len(p) == 0 {
		return errors.New("rawsock: nothing to send")
	}
	for {
		_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_DONTWAIT, uintptr(to), toLen)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		default:
			return errno
		}
	}
}
