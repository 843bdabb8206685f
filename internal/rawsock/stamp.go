package rawsock

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const sizeofTimespec = int(unsafe.Sizeof(unix.Timespec{}))

// stampSpace is room for one SCM_TIMESTAMPNS control message.
var stampSpace = unix.CmsgSpace(sizeofTimespec)

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
// now's monotonic clock, as far back from now as the datagram waited.
// Without a plausible stamp (none, from the future, or older than the
// socket) the datagram counts as arriving now.
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
