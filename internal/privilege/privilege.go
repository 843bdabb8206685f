// Package privilege gives up what the check no longer needs once its
// sockets are open.
package privilege

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrUnsupported is returned where capabilities cannot be dropped for the
// whole process: in a build that links cgo, Go cannot change every thread.
var ErrUnsupported = errors.New("dropping capabilities needs a static (CGO_ENABLED=0) build")

// DropAll clears the effective, permitted and inheritable capability sets
// of every thread (and with them the ambient set), so that the rest of the
// run holds no privilege at all, whether it started as root or with
// cap_net_raw+ep. Any process may drop capabilities; it cannot regain them.
func DropAll() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3 takes two 32-bit halves
	_, _, errno := syscall.AllThreadsSyscall(unix.SYS_CAPSET,
		uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	switch {
	case errno == syscall.ENOTSUP:
		return ErrUnsupported
	case errno != 0:
		return fmt.Errorf("dropping capabilities: %w", errno)
	}
	return nil
}
