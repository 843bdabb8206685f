// Package regularfile opens the files a user names on the command line
// (the allowlist, the hosts file) so that a bad path cannot hang the check:
// the open does not block (a FIFO with no writer would wait forever in a
// plain open), and anything but a regular file is refused before a read.
package regularfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrNotRegular is the error of a path that names a FIFO, a device, a
// directory or a socket.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading. Its errors are the system's (unwrapped from
// *os.PathError, so a caller's sentence names the path once) or
// ErrNotRegular.
func Open(path string) (*os.File, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("reading its status: %w", err)
	}
	if !st.Mode().IsRegular() {
		fh.Close()
		return nil, ErrNotRegular
	}
	return fh, nil
}
