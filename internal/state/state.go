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
// symbolic link is ever followed. Changes of one target's record are
// serialized with flock(2) on a lock file next to the state file, and
// written atomically (temporary file, fsync, rename, fsync of the
// directory): a crash or SIGKILL at any point leaves the old or the new
// state.
//
// Most runs find what the last one found: the same owner, or nobody again.
// Rewriting the file for them would cost more CPU than the rest of the
// check (a new inode, two fsyncs, a rename), yet the time of the last run
// must be kept, since a change of owner is reported as having happened
// since then. So such a run only sets the file's modification time to its
// own, and Load takes the later of that time and the file's last_run: the
// file's last_run and last_seen are those of the last run that changed
// the record, its modification time (ls -l) the last run of the check.
// Such a run takes no lock either (see Update), so that many checks of
// one target at once do not queue behind each other for nothing.
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
	"unsafe"

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
	snap, err := s.read(key, name)
	snap.close()
	return snap.Loaded, err
}

// snapshot is one read of a state file without the lock: what it held,
// and the open file it was read from, so that a confirmation sets the
// time of the very file that was read (see confirm).
type snapshot struct {
	Loaded
	fd int // -1 when no file was found
	id fileID
}

// fileID tells one version of a state file from another without reading
// it: the inode (0 for no file), and the change and modification times.
// Every write is a new inode, and every change of a file sets its change
// time, which no user can set; a new file that reuses the inode number of
// the one it replaced still has another change time.
type fileID struct {
	ino          uint64
	ctime, mtime unix.Timespec
}

func idOf(st *unix.Stat_t) fileID { return fileID{st.Ino, st.Ctim, st.Mtim} }

// statID returns the identity of the file name now.
func (s *Store) statID(name string) (fileID, error) {
	var st unix.Stat_t
	switch err := unix.Fstatat(s.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case errors.Is(err, unix.ENOENT):
		return fileID{}, nil
	case err != nil:
		return fileID{}, err
	}
	return idOf(&st), nil
}

func (sn *snapshot) close() {
	if sn.fd >= 0 {
		unix.Close(sn.fd)
		sn.fd = -1
	}
}

// read opens and decodes name. The caller closes the snapshot.
func (s *Store) read(key Key, name string) (snapshot, error) {
	sn := snapshot{fd: -1}
	path := filepath.Join(s.dir, name)
	// O_NONBLOCK: a FIFO planted as the file must not block the check.
	fd, err := unix.Openat(s.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return sn, nil
	case errors.Is(err, unix.ELOOP):
		return sn, fmt.Errorf("%s is a symbolic link, which the check never follows; remove it", path)
	case err != nil:
		return sn, fmt.Errorf("cannot read %s as %s (%v); remove it or %s", path, s.user(), err, s.fix())
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return sn, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return sn, fmt.Errorf("%s is not a regular file; remove it", path)
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
			unix.Close(fd)
			return sn, fmt.Errorf("cannot read %s: %w", path, err)
		}
		if m == 0 {
			break
		}
		n += m
	}
	data = data[:n]
	sn.fd, sn.id = fd, idOf(&st)
	rec, reset := decode(key, data)
	if reset == "" {
		rec = confirmedAt(rec, time.Unix(st.Mtim.Unix()).UTC())
	}
	sn.Loaded = Loaded{Record: rec, Found: true}
	if reset != "" {
		sn.Reset = path + " " + reset
	}
	return sn, nil
}

// ErrBusy is the error of an update that had a change to record but could
// not take the lock before its context ended: other checks of the target
// held it all that time. The directory is private to the user running the
// check, so only checks of this target by this user ever take the lock,
// each for one write; see Update for why this is no fault to fix.
var ErrBusy = errors.New("another check of this target held it until this check's deadline")

// Update records next's record of key's state, and returns the state that
// next was given last, including why memory was reset.
//
// Most runs find what the last one found, so the common path takes no
// lock: the file is read without it (a rename replaces it whole, so the
// read sees the old or the new state) and, when next changes nothing but
// the times a confirmation keeps, only the file's modification time is
// set, through the descriptor that was read (see confirm). Only a run
// that changes the record (a new owner, a new kind of outcome, history
// to prune, a file to reset) takes the exclusive lock and, when the file
// changed since it was read, reads it again under the lock and calls next
// again on what is there: another check may have recorded the same change
// meanwhile, and then there is nothing to write. While the lock is busy,
// the file is read again whenever another check replaces it, for the same
// reason: a burst of checks that all saw one move waits only for the
// first of them to record it.
//
// So next may be called more than once, each time on a newer state; it
// must depend on nothing but its argument (and may record what it
// derived: the last call is the one that counts). Update waits for the
// lock until ctx is done, trying at least once. When the lock could not
// be had, the error wraps ErrBusy and nothing was written. With any other
// error, nothing was written unless the error is about the write.
func (s *Store) Update(ctx context.Context, key Key, next func(Loaded) ownership.Record) (Loaded, error) {
	name, err := fileName(key)
	if err != nil {
		return Loaded{}, err
	}
	path := filepath.Join(s.dir, name)
	lockFD, locked := -1, false
	defer func() {
		if lockFD >= 0 {
			unix.Close(lockFD) // releases the lock
		}
	}()
	for {
		snap, err := s.read(key, name)
		if err != nil {
			return snap.Loaded, err
		}
		rec := next(snap.Loaded)
		if snap.Found && snap.Reset == "" && sameButTimes(snap.Record, rec) {
			err := s.confirm(&snap, path, rec.LastRun)
			snap.close()
			return snap.Loaded, err
		}
		snap.close()
		if !locked {
			if lockFD < 0 {
				if lockFD, err = s.openLock(name + ".lock"); err != nil {
					return snap.Loaded, err
				}
			}
			if locked, err = s.waitLock(ctx, lockFD, name, snap.id); err != nil {
				return snap.Loaded, err
			}
			// Read again when another check replaced the file while
			// this one waited, or when it changed before the lock was
			// taken. A file still the one read is not read again: rec
			// stands, and a full history is not decoded twice.
			if id, err := s.statID(name); !locked || err != nil || id != snap.id {
				continue
			}
		}
		data, err := encode(key, rec)
		if err != nil {
			return snap.Loaded, err
		}
		return snap.Loaded, s.write(name, data, rec.LastRun)
	}
}

// waitLock takes the exclusive flock on lockFD and returns true, or
// returns false as soon as name is no longer the file id that the caller
// read, so that the caller reads it again. It gives up
// with ErrBusy when ctx is done, after one attempt at the lock.
//
// flock(2) cannot be given a deadline: it polls, backing off from 50µs
// (a change holds the lock for a read, an encode and a write with two
// fsyncs: about a millisecond, more on a loaded machine) to 5ms. Between
// attempts it looks at the file's inode only (one fstatat), not at what
// the file holds: many checks waiting at once must leave the CPU to the
// one that holds the lock. A replacement missed here costs only the wait:
// the caller reads the file again under the lock.
func (s *Store) waitLock(ctx context.Context, lockFD int, name string, id fileID) (bool, error) {
	delay := 50 * time.Microsecond
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		switch err := unix.Flock(lockFD, unix.LOCK_EX|unix.LOCK_NB); {
		case err == nil:
			return true, nil
		case !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR):
			return false, fmt.Errorf("cannot lock %s: %w", filepath.Join(s.dir, name+".lock"), err)
		}
		timer.Reset(delay)
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("gave up waiting for the lock on %s: %w", filepath.Join(s.dir, name+".lock"), ErrBusy)
		case <-timer.C:
		}
		delay = min(2*delay, 5*time.Millisecond)
		if now, err := s.statID(name); err != nil || now != id {
			// Replaced, created, removed or confirmed: what it holds
			// now may make the wait needless.
			return false, nil
		}
	}
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

// confirm records a run that found nothing new in sn as the modification
// time of sn's file, when run is later than the last run on record.
//
// It takes no lock: the time is set through the descriptor that was read,
// never by name. A write that renamed a new file into place since the
// read leaves this confirmation on the replaced file, where nobody reads
// it: it is lost, and that is harmless. The new file records a change
// that a check running at the same time saw; what the lost confirmation
// said (a run at this time found the old record unchanged) no longer
// describes the record, so the next check compares with the new file as
// it must, and names as the last check the run that wrote it, which ran
// alongside this one. A confirmation by name could land on the new file
// instead and claim that its owner was seen by a run that saw the old
// one. Of two confirmations racing each other, a later time already set
// since the read is kept (the window left is one system call).
func (s *Store) confirm(sn *snapshot, path string, run time.Time) error {
	if !run.After(sn.Record.LastRun) {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(sn.fd, &st); err != nil {
		return fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if st.Mtim != sn.id.mtime && !run.After(time.Unix(st.Mtim.Unix())) {
		return nil
	}
	if err := futimens(sn.fd, mtimeOnly(run)); err != nil {
		return s.writeError(path, err)
	}
	return nil
}

// mtimeOnly are utimensat(2)'s times to set the modification time to t
// and leave the access time alone.
func mtimeOnly(t time.Time) *[2]unix.Timespec {
	return &[2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(t.UnixNano())}
}

// futimens sets the times of the open file fd: utimensat(2) with a null
// path, which golang.org/x/sys/unix does not offer.
func futimens(fd int, ts *[2]unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// openLock opens the lock file name, creating it. The lock file is never
// removed: removing it would let two writers lock two different files.
func (s *Store) openLock(name string) (int, error) {
	path := filepath.Join(s.dir, name)
	fd, err := unix.Openat(s.fd, name, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.ELOOP):
		return -1, fmt.Errorf("%s is a symbolic link, which the check never follows; remove it", path)
	case err != nil:
		return -1, s.writeError(path, err)
	}
	return fd, nil
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
		err = futimens(fd, mtimeOnly(lastRun))
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
