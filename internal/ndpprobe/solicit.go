package ndpprobe

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/rawsock"
)

// solicitation is one target's neighbor solicitation as the raw ICMPv6
// socket sends it: the message, its destination (the target's
// solicited-node group; nil on a connected socket) and the write callback,
// built once so that a send allocates nothing. A lone Transport and each
// address of a Group send theirs the same way.
type solicitation struct {
	msg     []byte
	dst     unix.Sockaddr
	rawDst  unix.RawSockaddrInet6 // dst for rawsock.SendTo
	writeFn func(fd uintptr) bool
	werr    error
}

func newSolicitation(msg []byte, dst unix.Sockaddr) *solicitation {
	s := &solicitation{msg: msg, dst: dst}
	if sa, ok := dst.(*unix.SockaddrInet6); ok {
		s.rawDst = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: sa.Addr, Scope_id: sa.ZoneId}
	}
	s.writeFn = func(fd uintptr) bool {
		s.werr = unix.Sendto(int(fd), s.msg, 0, s.dst)
		return !errors.Is(s.werr, unix.EAGAIN)
	}
	return s
}

// send writes the solicitation through raw and returns when it was handed
// to the kernel: stamped before the write, as ping does (see arpprobe). A
// source the kernel refuses is ErrSourceUnusable.
func (s *solicitation) send(raw syscall.RawConn) (time.Time, error) {
	at := time.Now()
	if err := raw.Write(s.writeFn); err != nil {
		return time.Time{}, err
	}
	return s.result(at)
}

// sendOn writes the solicitation on fd, a blocking socket that the Go
// runtime does not watch (a Group's), as send does: without waiting if it
// can (see rawsock.SendTo), else waiting for room in the socket's buffer.
func (s *solicitation) sendOn(fd int) (time.Time, error) {
	at := time.Now()
	s.werr = rawsock.SendTo(uintptr(fd), s.msg, unsafe.Pointer(&s.rawDst), unix.SizeofSockaddrInet6)
	if errors.Is(s.werr, unix.EAGAIN) {
		at = time.Now()
		s.werr = unix.Sendto(fd, s.msg, 0, s.dst)
	}
	return s.result(at)
}

// result is the outcome of a write that started at at.
func (s *solicitation) result(at time.Time) (time.Time, error) {
	if s.werr != nil {
		if errors.Is(s.werr, unix.EADDRNOTAVAIL) {
			return time.Time{}, fmt.Errorf("%w (the address is gone or still tentative during duplicate address detection)", ErrSourceUnusable)
		}
		return time.Time{}, s.werr
	}
	return at, nil
}
