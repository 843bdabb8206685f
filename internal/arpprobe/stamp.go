package arpprobe

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The read loop asks the kernel for each frame's receive timestamp
// (SO_TIMESTAMPNS), so that a reply counts for the probe that was last sent
// before it arrived, not before the check got around to reading it: on a
// busy monitoring host the check may not run for a while, and a reply read
// only after the next probe left would otherwise be credited to that probe,
// leaving the one it answered "lost" and its round trip inflated.

const sizeofTimespec = int(unsafe.Sizeof(unix.Timespec{}))

// stampSpace is room for one SCM_TIMESTAMPNS control message.
var stampSpace = unix.CmsgSpace(sizeofTimespec)

// reader reads one frame and its receive timestamp with recvmsg, into
// buffers set up once, so that reading allocates nothing.
type reader struct {
	buf []byte
	oob []byte
	iov unix.Iovec
	msg unix.Msghdr

	n     int
	stamp unix.Timespec
	ok    bool // stamp is valid
	err   error
}

func newReader(size int) *reader {
	r := &reader{buf: make([]byte, size), oob: make([]byte, stampSpace)}
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
	r.msg.Control = &r.oob[0]
	return r
}

// read is the raw connection's read callback: it reports false while no
// frame is queued (EAGAIN), so that the poller waits for one.
func (r *reader) read(fd uintptr) bool {
	r.msg.SetControllen(len(r.oob))
	r.msg.Flags = 0
	n, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), 0)
	if errno == unix.EAGAIN {
		return false
	}
	r.n, r.err, r.ok = 0, nil, false
	if errno != 0 {
		r.err = errno
		return true
	}
	r.n = int(n)
	r.stamp, r.ok = timestampOf(r.oob[:min(int(r.msg.Controllen), len(r.oob))])
	return true
}

// timestampOf finds an SCM_TIMESTAMPNS message in control data.
func timestampOf(oob []byte) (unix.Timespec, bool) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= unix.CmsgLen(sizeofTimespec) {
			return *(*unix.Timespec)(unsafe.Pointer(&oob[unix.CmsgLen(0)])), true
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	return unix.Timespec{}, false
}

// arrival turns the kernel's receive timestamp (wall clock) into a time on
// now's monotonic clock, as far back from now as the frame waited. Without
// a plausible stamp (none, from the future, or older than the socket) the
// frame counts as arriving now.
func arrival(now, opened time.Time, stamp unix.Timespec, ok bool) time.Time {
	if !ok {
		return now
	}
	waited := now.Sub(time.Unix(stamp.Unix()))
	if waited <= 0 || waited > now.Sub(opened) {
		return now
	}
	return now.Add(-waited)
}
