// Package state keeps check_arp's memory between runs: one small,
// human-readable JSON file per address family, target and interface in a
// state directory (see DefaultDir for where), holding the record of
// internal/ownership.
//
// A state problem must never hide the Layer 2 verdict. A file that cannot
// be used (empty, truncated, corrupt, of a newer format, hand-edited into
// invalid values, too large) is not an error: Load reports why and memory
// starts over, and Update rewrites the file. Errors are reserved for what
// the operator must fix (a directory that is unsafe or not writable, a
// symbolic link where the file should be), and each says what is wrong and
// how to fix it, so the caller can show it as a finding and carry on
// without memory.
//
// The directory is trusted only when the user running the check owns it
// and nobody else may write to it: otherwise another local user could
// plant or swap files (the classic shared /var/tmp attack). Every file is
// opened relative to the directory's descriptor with O_NOFOLLOW, so no
// symbolic link is ever followed. Updates of one target are serialized with
// flock(2) on a lock file next to the state file, and written atomically
// (temporary file, fsync, rename, fsync of the directory): a crash or
// SIGKILL at any point leaves the old or the new state.
//
// Most runs find what the last one found: the same owner, or nobody again.
// Rewriting the file for them would cost more CPU than the rest of the
// check (a new inode, two fsyncs, a rename), yet the time of the last run
// must be kept, since a change of owner is reported as having happened
// since then. So such a run only sets the file's modification time to its
// own, and Load takes the later of that time and the file's last_run: the
// file's last_run and last_seen are those of the last run that changed
// the record, its modification time (ls -l) the last run of the check.
package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/ownership"
)

// Store is an open, checked state directory. It holds the directory's
// descriptor: Close it.
type Store struct {
	dir string
	fd  int
	uid int
}

// Loaded is what Load found for a key.
type Loaded struct {
	// Record is the remembered record; the zero Record when there was none
	// or it was reset.
	Record ownership.Record
	// Found is true when a state file existed.
	Found bool
	// Reset, when not empty, says why the file could not be used and memory
	// starts over, as a sentence naming the file: "/var/lib/nagios/...
	// is truncated".
	Reset string
}

// Open checks dir and opens it, creating it (and missing parents) with mode
// 0700 when it does not exist. It refuses a directory that is a symbolic
// link, is not owned by the user running the check, may be written by its
// group or others, or that this user cannot write to; the error says how
// to fix it.
func Open(dir string) (*Store, error) {
	uid := os.Geteuid()
	s := &Store{uid: uid, fd: -1}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("state directory %q: %w", dir, err)
	}
	s.dir = abs
	if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create %s as %s (%v); %s", abs, s.user(), unwrapPath(err), s.fix())
		}
	}
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, fmt.Errorf("%s is a symbolic link, which the check never follows; %s", abs, s.fix())
	case errors.Is(err, unix.ENOTDIR):
		// O_DIRECTORY|O_NOFOLLOW on a symbolic link fails with ENOTDIR.
		if fi, lerr := os.Lstat(abs); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link, which the check never follows; %s", abs, s.fix())
		}
		return nil, fmt.Errorf("%s is not a directory; %s", abs, s.fix())
	case err != nil:
		// The check has dropped its capabilities by now, so even root
		// cannot open another user's private directory: say whose it is.
		if fi, lerr := os.Lstat(abs); lerr == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
				return nil, s.foreign(int(st.Uid))
			}
		}
		return nil, fmt.Errorf("cannot open %s as %s (%v); %s", abs, s.user(), err, s.fix())
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("cannot stat %s: %w", abs, err)
	}
	switch {
	case int(st.Uid) != uid:
		unix.Close(fd)
		return nil, s.foreign(int(st.Uid))
	case st.Mode&0o022 != 0:
		unix.Close(fd)
		return nil, fmt.Errorf("%s may be written by its group or others (mode %04o); run chmod 0700 %s", abs, st.Mode&0o7777, abs)
	}
	// access(2) rather than the mode bits: root may write to a 0500
	// directory, nobody to a read-only file system.
	if err := unix.Faccessat(fd, ".", unix.W_OK|unix.X_OK, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s is not writable by %s (%v); %s", abs, s.user(), err, s.fix())
	}
	s.fd = fd
	return s, nil
}

// user names the user running the check, for messages only: looking it
// up reads the user database, which a check that goes well never needs.
func (s *Store) user() string { return userName(s.uid) }

// foreign is the error for a directory owned by owner, another user.
func (s *Store) foreign(owner int) error {
	return fmt.Errorf("%s is owned by %s, not by %s, who runs the check; another user could change its memory. Remove it if nobody should have created it, or %s",
		s.dir, userName(owner), s.user(), s.fix())
}

// fix is the standard advice for a state directory that cannot be used.
func (s *Store) fix() string {
	return fmt.Sprintf("create it with install -d -o %s -m 0700 %s, or give --state-dir such a directory (--no-state turns memory off)", s.user(), s.dir)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// Dir returns the directory's absolute path.
func (s *Store) Dir() string { return s.dir }

// Close releases the directory.
func (s *Store) Close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}

// Path returns the state file of key.
func (s *Store) Path(key Key) (string, error) {
	name, err := fileName(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, name), nil
}

// Load reads key's record without waiting for writers: a rename replaces
// the file whole, so a reader sees the old or the new state.
func (s *Store) Load(key Key) (Loaded, error) {
	name, err := fileName(key)
	if err != nil {
		return Loaded{}, err
	}
	return s.load(key, name)
}

func (s *Store) load(key Key, name string) (Loaded, error) {
	path := filepath.Join(s.dir, name)
	// O_NONBLOCK: a FIFO planted as the file must not block the check.
	fd, err := unix.Openat(s.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return Loaded{}, nil
	case errors.Is(err, unix.ELOOP):
		return Loaded{}, fmt.Errorf("%s is a symbolic link, which the check never follows; remove it", path)
	case err != nil:
		return Loaded{}, fmt.Errorf("cannot read %s as %s (%v); remove it or %s", path, s.user(), err, s.fix())
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return Loaded{}, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return Loaded{}, fmt.Errorf("%s is not a regular file; remove it", path)
	}
	// The size from fstat plus one byte, bounded by one byte past the
	// limit (to tell a file at the limit from a larger one). Writers
	// replace the file by rename and never grow it in place, so a reader
	// that fills the buffer has all there is to decode.
	data := make([]byte, min(st.Size+1, MaxFileSize+1))
	n := 0
	for n < len(data) {
		m, err := unix.Read(fd, data[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Loaded{}, fmt.Errorf("cannot read %s: %w", path, err)
		}
		if m == 0 {
			break
		}
		n += m
	}
	data = data[:n]
	rec, reset := decode(key, data)
	if reset == "" {
		rec = confirmedAt(rec, time.Unix(st.Mtim.Unix()).UTC())
	}
	l := Loaded{Record: rec, Found: true}
	if reset != "" {
		l.Reset = path + " " + reset
	}
	return l, nil
}

// Update runs next on key's current state, under an exclusive lock held
// until the new record is written, and writes what it returns. It waits for
// the lock until ctx is done. It returns what was loaded, including why
// memory was reset. When it returns an error, nothing was written; next has
// run only if the error is about the write.
func (s *Store) Update(ctx context.Context, key Key, next func(Loaded) ownership.Record) (Loaded, error) {
	name, err := fileName(key)
	if err != nil {
		return Loaded{}, err
	}
	unlock, err := s.lock(ctx, name+".lock")
	if err != nil {
		return Loaded{}, err
	}
	defer unlock()
	prev, err := s.load(key, name)
	if err != nil {
		return prev, err
	}
	rec := next(prev)
	if prev.Found && prev.Reset == "" && sameButTimes(prev.Record, rec) {
		return prev, s.confirm(name, prev.Record.LastRun, rec.LastRun)
	}
	data, err := encode(key, rec)
	if err != nil {
		return prev, err
	}
	return prev, s.write(name, data, rec.LastRun)
}

// confirmedAt applies mtime, the file's modification time, to rec: the
// last run that found nothing new to record (see the package comment).
// A time before the record's last run (a stale run, a clock set back) or
// out of range (a hand-set time) changes nothing.
func confirmedAt(rec ownership.Record, mtime time.Time) ownership.Record {
	if rec.LastRun.IsZero() || !mtime.After(rec.LastRun) || !mtime.Before(maxTime) {
		return rec
	}
	if rec.LastOutcome == ownership.OutcomeOwner && !rec.Owner.IsZero() {
		rec.LastSeen = mtime
	}
	rec.LastRun = mtime
	return rec
}

// sameButTimes reports whether next differs from prev only in the times
// a confirmation keeps: the last run and, when it saw the owner again,
// the last time the owner was seen.
func sameButTimes(prev, next ownership.Record) bool {
	if prev.Owner != next.Owner || !prev.Since.Equal(next.Since) || prev.SinceObserved != next.SinceObserved ||
		prev.LastOutcome != next.LastOutcome || prev.TotalChanges != next.TotalChanges ||
		len(prev.Changes) != len(next.Changes) {
		return false
	}
	for i, c := range prev.Changes {
		if n := next.Changes[i]; !c.At.Equal(n.At) || c.From != n.From || c.To != n.To {
			return false
		}
	}
	if next.LastSeen.Equal(prev.LastSeen) {
		return true
	}
	return next.LastOutcome == ownership.OutcomeOwner && next.LastSeen.Equal(next.LastRun)
}

// confirm records a run that found nothing new as the file's modification
// time, when it is later than the last run on record.
func (s *Store) confirm(name string, last, run time.Time) error {
	if !run.After(last) {
		return nil
	}
	if err := unix.UtimesNanoAt(s.fd, name, mtimeOnly(run), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return s.writeError(filepath.Join(s.dir, name), err)
	}
	return nil
}

// mtimeOnly are utimensat(2)'s times to set the modification time to t
// and leave the access time alone.
func mtimeOnly(t time.Time) []unix.Timespec {
	return []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(t.UnixNano())}
}

// lock takes an exclusive flock on the lock file name, creating it. The
// lock file is never removed: removing it would let two writers lock two
// different files.
func (s *Store) lock(ctx context.Context, name string) (func(), error) {
	path := filepath.Join(s.dir, name)
	fd, err := unix.Openat(s.fd, name, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, fmt.Errorf("%s is a symbolic link, which the check never follows; remove it", path)
	case err != nil:
		return nil, s.writeError(path, err)
	}
	// flock(2) cannot be given a deadline: poll, backing off from 50µs (an
	// update holds the lock for well under a millisecond) to 5ms.
	delay := 50 * time.Microsecond
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			unix.Close(fd)
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		timer.Reset(delay)
		select {
		case <-ctx.Done():
			unix.Close(fd)
			return nil, fmt.Errorf("gave up waiting for the lock on %s (%w); another check of this target holds it", path, context.Cause(ctx))
		case <-timer.C:
		}
		delay = min(2*delay, 5*time.Millisecond)
	}
}

// write replaces name with data atomically: a fixed temporary name (the
// caller holds the lock, so nobody else uses it, and a crash leaves at most
// one stale temporary file, which the next write truncates), fsync,
// rename, fsync of the directory. Plain system calls, not os.File: a
// regular file gains nothing from the poller. The file's modification
// time is set to lastRun, the run it records, rather than the time of the
// write, which may be later by a wait for the lock.
func (s *Store) write(name string, data []byte, lastRun time.Time) error {
	tmp := name + ".tmp"
	path := filepath.Join(s.dir, name)
	fd, err := unix.Openat(s.fd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return s.writeError(path, err)
	}
	for rest := data; err == nil && len(rest) > 0; {
		var n int
		n, err = unix.Write(fd, rest)
		rest = rest[n:]
	}
	if err == nil && !lastRun.IsZero() {
		err = unix.UtimesNanoAt(s.fd, tmp, mtimeOnly(lastRun), unix.AT_SYMLINK_NOFOLLOW)
	}
	if err == nil {
		err = unix.Fsync(fd)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(s.fd, tmp, s.fd, name)
	}
	if err != nil {
		unix.Unlinkat(s.fd, tmp, 0)
		return s.writeError(path, err)
	}
	if err := unix.Fsync(s.fd); err != nil {
		return fmt.Errorf("state of %s may not survive a crash: fsync of %s: %w", path, s.dir, err)
	}
	return nil
}

func (s *Store) writeError(path string, err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	switch errno {
	case unix.EACCES, unix.EPERM, unix.EROFS:
		return fmt.Errorf("%s is not writable by %s (%v); %s", s.dir, s.user(), errno, s.fix())
	case unix.ENOSPC, unix.EDQUOT:
		return fmt.Errorf("cannot write %s (%v); free space on its file system", path, errno)
	}
	return fmt.Errorf("cannot write %s: %w", path, err)
}

// fileName derives the state file's name from key: family, address and
// interface joined by '_', with every other byte outside [A-Za-z0-9.] of
// the address and the interface escaped as %XX (except the interface's '-'
// and the IPv6 colons, which become '-' for readability), so that no
// interface name can leave the directory or make two keys share a file:
// "arp_198.51.100.10_eth0.json", "ndp_2001-db8--10_br%5Flan.json".
func fileName(key Key) (string, error) {
	if !key.Target.IsValid() {
		return "", errors.New("state: no target address")
	}
	if key.Interface == "" || len(key.Interface) > 64 {
		return "", fmt.Errorf("state: interface name %q must be 1 to 64 bytes", key.Interface)
	}
	// '-' is escaped before ':' becomes '-', so that a zone holding either
	// cannot make two addresses share a name.
	addr := strings.ReplaceAll(escape(key.Target.String(), ":"), ":", "-")
	name := key.Family() + "_" + addr + "_" + escape(key.Interface, "-") + ".json"
	// NAME_MAX is 255 and ".lock" and ".tmp" are appended.
	if len(name) > 240 {
		return "", fmt.Errorf("state: %s makes a file name too long", key)
	}
	return name, nil
}

// escape replaces every byte of s outside [A-Za-z0-9.] and keep with %XX.
func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}
