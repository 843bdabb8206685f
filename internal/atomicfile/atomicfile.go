// Package atomicfile replaces a file so that a reader (node_exporter's
// textfile collector, a script) sees either the old content or the new,
// never a half-written file, and so that the check, which may run with
// CAP_NET_RAW for any local user, writes only where it was told to: it
// follows no symbolic link and replaces only a regular file.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// MaxSize bounds what Write writes.
const MaxSize = 16 << 20

// Write replaces path with data: a temporary file in the same directory
// (so the rename stays on one file system), written, synced and renamed
// over path, then the directory synced. path must be a regular file or
// not exist; a symbolic link (at path itself) is refused rather than
// followed or replaced. The file gets mode perm, as umask allows.
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	if len(data) > MaxSize {
		return fmt.Errorf("%d bytes is more than the %d a file may take", len(data), MaxSize)
	}
	if st, err := os.Lstat(path); err == nil {
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; name the file itself", path)
		case !st.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	// O_NOFOLLOW on the directory: a symbolic link as the last part of
	// the directory is refused too.
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	defer unix.Close(dfd)
	tmp, err := createTemp(dfd, base, perm)
	if err != nil {
		return fmt.Errorf("creating a temporary file in %s: %w", dir, err)
	}
	f := os.NewFile(uintptr(tmp.fd), filepath.Join(dir, tmp.name))
	defer func() {
		if err != nil {
			f.Close()
			unix.Unlinkat(dfd, tmp.name, 0)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = unix.Renameat(dfd, tmp.name, dfd, base); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	return unix.Fsync(dfd)
}

type tempFile struct {
	fd   int
	name string
}

// createTemp creates a new file ".base.tmpNNN" in the directory dfd, with
// O_EXCL so that nothing already there, a link included, is opened.
func createTemp(dfd int, base string, perm fs.FileMode) (tempFile, error) {
	var err error
	for i := range 100 {
		name := fmt.Sprintf(".%s.tmp%d.%d", base, os.Getpid(), i)
		fd, e := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
		if e == nil {
			return tempFile{fd, name}, nil
		}
		if err = e; !errors.Is(e, unix.EEXIST) {
			break
		}
	}
	return tempFile{}, err
}
