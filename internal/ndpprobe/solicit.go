package ndpprobe

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// solicitation is a lone Transport's neighbor solicitation as its raw
// ICMPv6 socket sends it: the message, its destination (the target's
// solicited-node group; nil on a connected socket) and the write callback,
// built once so that a send allocates nothing. (A Group sends prebuilt
// frames through its packet socket instead.)
type solicitation struct {
	msg     []byte
	dst     unix.Sockaddr
	writeFn func(fd uintptr) bool
	werr    error
}

func newSolicitation(msg []byte, dst unix.Sockaddr) *solicitation {
	s := &solicitation{msg: msg, dst: dst}
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
	if s.werr != nil {
		if errors.Is(s.werr, unix.EADDRNOTAVAIL) {
			return time.Time{}, fmt.Errorf("%w (the address is gone or still tentative during duplicate address detection)", ErrSourceUnusable)
		}
		return time.Time{}, s.werr
	}
	return at, nil
}
