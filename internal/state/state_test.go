package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
)

// needRoot skips a test that must change file ownership or credentials,
// with a notice visible without -v; under CI=true it fails instead.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s needs root (CI=true)", t.Name())
	}
	fmt.Fprintf(os.Stderr, "state: %s SKIPPED: needs root to change owners and credentials\n", t.Name())
	t.Skip("needs root")
}

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

var (
	t0 = time.Date(2025, 3, 1, 10, 31, 2, 123456789, time.UTC)
	ma = mac.Addr{2, 0, 0, 0, 0, 0x0a}
	mb = mac.Addr{2, 0, 0, 0, 0, 0x0b}
)

// sampleRecord has every field set.
func sampleRecord() ownership.Record {
	return ownership.Record{
		Owner: mb, Since: t0.Add(time.Minute), SinceObserved: true, LastSeen: t0.Add(2 * time.Minute),
		LastRun: t0.Add(3 * time.Minute), LastOutcome: ownership.OutcomeNoReply, TotalChanges: 7,
		Changes: []ownership.Change{{At: t0, From: mb, To: ma}, {At: t0.Add(time.Minute), From: ma, To: mb}},
	}
}

func sameRecord(a, b ownership.Record) bool {
	if a.Owner != b.Owner || !a.Since.Equal(b.Since) || a.SinceObserved != b.SinceObserved || !a.LastSeen.Equal(b.LastSeen) ||
		!a.LastRun.Equal(b.LastRun) || a.LastOutcome != b.LastOutcome || a.TotalChanges != b.TotalChanges || len(a.Changes) != len(b.Changes) {
		return false
	}
	for i := range a.Changes {
		if !a.Changes[i].At.Equal(b.Changes[i].At) || a.Changes[i].From != b.Changes[i].From || a.Changes[i].To != b.Changes[i].To {
			return false
		}
	}
	return true
}

func write(t *testing.T, s *Store, rec ownership.Record) {
	t.Helper()
	if _, err := s.Update(ctx(t), testKey, func(Loaded) ownership.Record { return rec }); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	s := openStore(t, t.TempDir())
	l, err := s.Load(testKey)
	if err != nil || l.Found || l.Reset != "" {
		t.Fatalf("first Load = %+v, %v; want nothing found", l, err)
	}
	want := sampleRecord()
	write(t, s, want)
	l, err = s.Load(testKey)
	if err != nil || !l.Found || l.Reset != "" || !sameRecord(l.Record, want) {
		t.Fatalf("Load = %+v, %v; want %+v", l, err, want)
	}
	path, _ := s.Path(testKey)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file %v, %v; want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(path)
	for _, s := range []string{`"version": 1`, `"target": "198.51.100.10"`, `"owner": "02:00:00:00:00:0b"`, `"since": "2025-03-01T10:32:02.123456789Z"`, `"last_outcome": "no_reply"`} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("state file lacks %s:\n%s", s, b)
		}
	}
}

// A full history stays well under the read limit.
func TestFullHistoryFitsTheLimit(t *testing.T) {
	rec := ownership.Record{Owner: ma, Since: t0, LastSeen: t0, LastRun: t0, LastOutcome: ownership.OutcomeOwner, TotalChanges: 1 << 40}
	for i := range ownership.MaxChanges {
		rec.Changes = append(rec.Changes, ownership.Change{At: t0.Add(time.Duration(i) * time.Nanosecond), From: nodeMAC(i), To: nodeMAC(i + 1)})
	}
	b, err := encode(testKey, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxFileSize/2 {
		t.Errorf("a full history takes %d bytes, more than half of the %d read", len(b), MaxFileSize)
	}
	got, reset := decode(testKey, b)
	if reset != "" || !sameRecord(got, rec) {
		t.Errorf("full history reads back with reset %q", reset)
	}
}

func TestFileNames(t *testing.T) {
	tests := []struct {
		key  Key
		want string
	}{
		{Key{netip.MustParseAddr("198.51.100.10"), "eth0"}, "arp_198.51.100.10_eth0.json"},
		{Key{netip.MustParseAddr("2001:db8::10"), "eth0"}, "ndp_2001-db8--10_eth0.json"},
		{Key{netip.MustParseAddr("fe80::1%eth0"), "eth0"}, "ndp_fe80--1%25eth0_eth0.json"},
		{Key{netip.MustParseAddr("fe80::1%a-b"), "eth0"}, "ndp_fe80--1%25a%2Db_eth0.json"},
		{Key{netip.MustParseAddr("fe80::1%a:b"), "eth0"}, "ndp_fe80--1%25a-b_eth0.json"},
		{Key{netip.MustParseAddr("198.51.100.10"), "br_lan-1"}, "arp_198.51.100.10_br%5Flan-1.json"},
		{Key{netip.MustParseAddr("198.51.100.10"), "../../etc/passwd"}, "arp_198.51.100.10_..%2F..%2Fetc%2Fpasswd.json"},
		{Key{netip.MustParseAddr("198.51.100.10"), ".."}, "arp_198.51.100.10_...json"},
		{Key{netip.MustParseAddr("198.51.100.10"), "a\x00b\n"}, "arp_198.51.100.10_a%00b%0A.json"},
	}
	seen := map[string]Key{}
	for _, tt := range tests {
		got, err := fileName(tt.key)
		if err != nil || got != tt.want {
			t.Errorf("fileName(%v) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%v and %v share %q", tt.key, other, got)
		}
		seen[got] = tt.key
		if strings.ContainsRune(got, '/') || filepath.Base(got) != got {
			t.Errorf("fileName(%v) = %q leaves the directory", tt.key, got)
		}
	}
	for _, k := range []Key{{}, {netip.MustParseAddr("198.51.100.10"), ""}, {netip.MustParseAddr("198.51.100.10"), strings.Repeat("x", 65)}} {
		if name, err := fileName(k); err == nil {
			t.Errorf("fileName(%v) = %q, want an error", k, name)
		}
	}
}

// Every unusable file resets memory with a reason naming the file, is
// rewritten by the next update, and is never an error.
func TestUnusableFilesReset(t *testing.T) {
	valid, err := encode(testKey, sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("sample file lacks %q", old)
		}
		return strings.Replace(string(valid), old, new, 1)
	}
	tests := []struct {
		name, content, says string
	}{
		{"empty", "", "is empty"},
		{"only whitespace", " \n\t\n", "is empty"},
		{"truncated", string(valid[:len(valid)/2]), "is truncated"},
		{"truncated after the object's start", "{", "is truncated"},
		{"not JSON", "owner=02:00:00:00:00:0a\n", "is not valid JSON"},
		{"binary garbage", "\x00\xff\x13garbage", "is not valid JSON"},
		{"a JSON array", "[1,2]", "is not a JSON object"},
		{"future version", edit(`"version": 1`, `"version": 2`), "was written by a newer check_arp (format version 2; this one reads 1)"},
		{"no version", edit(`"version": 1,`, ``), "has no valid format version"},
		{"version zero", edit(`"version": 1`, `"version": 0`), "has no valid format version"},
		{"version as a string", edit(`"version": 1`, `"version": "1"`), "has no valid format version"},
		{"unknown field", edit(`"version": 1,`, `"version": 1, "owner_label": "node-a",`), `has an unknown field "owner_label"`},
		{"data after the object", string(valid) + "{}", "has data after the JSON object"},
		{"garbage after the object", string(valid) + "x", "has data after the JSON object"},
		{"owner not a MAC", edit(`"owner": "02:00:00:00:00:0b"`, `"owner": "node-b"`), `owner "node-b" is not a MAC address`},
		{"owner the zero MAC", edit(`"owner": "02:00:00:00:00:0b"`, `"owner": "00:00:00:00:00:00"`), "owner is the zero MAC"},
		{"since not a time", edit(`"since": "2025-03-01T10:32:02.123456789Z"`, `"since": "yesterday"`), `since "yesterday" is not an RFC 3339 time`},
		{"since in year 1", edit(`"since": "2025-03-01T10:32:02.123456789Z"`, `"since": "0001-01-01T00:00:00Z"`), "since \"0001-01-01T00:00:00Z\" is out of range"},
		{"since without owner", edit(`"owner": "02:00:00:00:00:0b",`, ``), "without an owner"},
		{"last_seen missing", edit(`"last_seen": "2025-03-01T10:33:02.123456789Z",`, ``), "last_seen is missing"},
		{"last_run missing", edit(`"last_run": "2025-03-01T10:34:02.123456789Z",`, ``), "last_run is missing"},
		{"unknown outcome", edit(`"last_outcome": "no_reply"`, `"last_outcome": "ok"`), `last_outcome "ok" is none of`},
		{"negative counter", edit(`"owner_changes": 7`, `"owner_changes": -1`), "owner_changes is not a uint64"},
		{"counter below the history", edit(`"owner_changes": 7`, `"owner_changes": 1`), "owner_changes 1 is less than the 2 changes listed"},
		{"change to itself", edit(`02:00:00:00:00:0b -> 02:00:00:00:00:0a`, `02:00:00:00:00:0b -> 02:00:00:00:00:0b`), "changes[0]: from and to are both 02:00:00:00:00:0b"},
		{"change with a bad time", edit(`"2025-03-01T10:31:02.123456789Z 02`, `"2025-13-01T10:31:02Z 02`), `changes[0] "2025-13-01T10:31:02Z" is not an RFC 3339 time`},
		{"change with a bad MAC", edit(`-> 02:00:00:00:00:0a`, `-> node-a`), `changes[0] "node-a" is not a MAC address`},
		{"change without an arrow", edit(`02:00:00:00:00:0b -> 02:00:00:00:00:0a`, `02:00:00:00:00:0b 02:00:00:00:00:0a`), `is not "TIME FROM -> TO"`},
		{"another target's file", edit(`"target": "198.51.100.10"`, `"target": "198.51.100.11"`), `belongs to arp 198.51.100.11 on "eth0", not to 198.51.100.10 on "eth0"`},
		{"another interface's file", edit(`"interface": "eth0"`, `"interface": "eth1"`), `belongs to arp 198.51.100.10 on "eth1"`},
		{"larger than the limit", string(valid[:len(valid)-2]) + strings.Repeat(" ", MaxFileSize) + "}\n", "is larger than 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			path, _ := s.Path(testKey)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := s.Load(testKey)
			if err != nil {
				t.Fatalf("Load: %v; an unusable file must reset memory, not fail", err)
			}
			if !l.Found || !strings.HasPrefix(l.Reset, path+" ") || !strings.Contains(l.Reset, tt.says) {
				t.Errorf("Reset = %q, want %q naming the file", l.Reset, tt.says)
			}
			if !sameRecord(l.Record, ownership.Record{}) {
				t.Errorf("a reset kept %+v", l.Record)
			}
			prev, err := observeAs(ctx(t), s, 1, t0)
			if err != nil || prev.Reset != l.Reset {
				t.Fatalf("Update = %q, %v; want the same reset", prev.Reset, err)
			}
			l, err = s.Load(testKey)
			if err != nil || l.Reset != "" || l.Record.Owner != nodeMAC(1) {
				t.Errorf("after the rewrite Load = %+v, %v; want owner %v and no reset", l, err, nodeMAC(1))
			}
		})
	}
}

// Any prefix of a valid file (a write cut short) is a reset, never a
// partial record.
func TestEveryPrefixResets(t *testing.T) {
	valid, err := encode(testKey, sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(valid) - 1 {
		if rec, reset := decode(testKey, valid[:n]); reset == "" {
			t.Fatalf("the first %d bytes read as %+v", n, rec)
		}
	}
	// The last byte is the final newline.
	if _, reset := decode(testKey, valid[:len(valid)-1]); reset != "" {
		t.Errorf("the file without its final newline: %s", reset)
	}
}

func TestSymlinkedFileIsNotFollowed(t *testing.T) {
	for _, which := range []string{"state file", "lock file"} {
		t.Run(which, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			path, _ := s.Path(testKey)
			if which == "lock file" {
				path += ".lock"
			}
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, path); err != nil {
				t.Fatal(err)
			}
			_, err := observeAs(ctx(t), s, 1, t0)
			if err == nil || !strings.Contains(err.Error(), path+" is a symbolic link, which the check never follows; remove it") {
				t.Errorf("Update error %v, want one naming the link", err)
			}
			if which == "state file" {
				if _, err := s.Load(testKey); err == nil || !strings.Contains(err.Error(), "symbolic link") {
					t.Errorf("Load error %v, want the link named", err)
				}
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
				t.Errorf("the link's target now holds %q", b)
			}
		})
	}
}

func TestFIFOAsStateFileDoesNotBlock(t *testing.T) {
	s := openStore(t, t.TempDir())
	path, _ := s.Path(testKey)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(testKey); err == nil || !strings.Contains(err.Error(), "is not a regular file; remove it") {
		t.Errorf("Load error %v, want 'not a regular file'", err)
	}
}

func TestOpenCreatesMissingDirectory(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "home", ".local", "state", "check_arp")
	s := openStore(t, dir)
	for d := dir; d != base; d = filepath.Dir(d) {
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want a directory with mode 0700", d, fi, err)
		}
	}
	write(t, s, sampleRecord())
}

func TestOpenRefusesUnsafeDirectories(t *testing.T) {
	me := userName(os.Geteuid())
	t.Run("symlinked directory", func(t *testing.T) {
		real := t.TempDir()
		link := filepath.Join(t.TempDir(), "state")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		_, err := Open(link)
		wantErr(t, err, link+" is a symbolic link, which the check never follows; create it with install -d -o "+me+" -m 0700 "+link)
	})
	t.Run("a file, not a directory", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "state")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(f)
		wantErr(t, err, f+" is not a directory")
	})
	for _, mode := range []uint32{0o770, 0o707, 0o777, 0o1777, 0o720} {
		t.Run(fmt.Sprintf("mode %04o", mode), func(t *testing.T) {
			dir := t.TempDir()
			// syscall, not os: os.FileMode has its own sticky bit.
			if err := syscall.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir)
			wantErr(t, err, fmt.Sprintf("%s may be written by its group or others (mode %04o); run chmod 0700 %s", dir, mode&0o7777, dir))
		})
	}
	t.Run("owned by another user", func(t *testing.T) {
		needRoot(t)
		dir := t.TempDir()
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir)
		wantErr(t, err, dir+" is owned by "+userName(65534)+", not by "+me+", who runs the check")
		wantErr(t, err, "install -d -o "+me+" -m 0700 "+dir)
	})
	t.Run("owned by another user in a shared sticky directory", func(t *testing.T) {
		needRoot(t)
		shared := t.TempDir()
		if err := syscall.Chmod(shared, 0o1777); err != nil {
			t.Fatal(err)
		}
		// Another user got there first, with a directory that looks right.
		planted := filepath.Join(shared, "check_arp-0")
		if err := os.Mkdir(planted, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(planted, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		_, err := Open(planted)
		wantErr(t, err, "is owned by "+userName(65534))
	})
}

func wantErr(t *testing.T, err error, says string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), says) {
		t.Errorf("error %v\nwant one containing %q", err, says)
	}
}

// A read-only directory is refused at Open with the fix. Root may write
// anywhere, so as root the test runs the check as nobody.
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		_, err := Open(dir)
		wantErr(t, err, dir+" is not writable by "+userName(os.Geteuid()))
		return
	}
	// Not t.TempDir: its parent is private to root.
	base, err := os.MkdirTemp("", "state-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := copyTestBinary(t, base)
	dir := filepath.Join(base, "state")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	out, err := runAs(t, bin, 65534, "open", dir)
	if err == nil {
		t.Fatalf("Open as nobody of a 0500 directory succeeded: %s", out)
	}
	if want := dir + " is not writable by " + userName(65534); !strings.Contains(out, want) {
		t.Errorf("output %q, want %q", out, want)
	}
	// The same directory made writable works as nobody: the refusal was
	// the mode, not the test's setup.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := runAs(t, bin, 65534, "update", dir); err != nil {
		t.Errorf("update as nobody in its own 0700 directory: %v: %s", err, out)
	}
}

func copyTestBinary(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "state.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func runAs(t *testing.T, bin string, uid uint32, mode, dir string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx(t), bin, "-test.run=^$", dir, "1")
	cmd.Env = []string{helperEnv + "=" + mode, "HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// 200 goroutines update one target at once, each as another owner: every
// update is a change, so a lost update shows in the counter.
func TestConcurrentGoroutines(t *testing.T) {
	const n = 200
	s := openStore(t, t.TempDir())
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := observeAs(ctx(t), s, i, t0.Add(time.Duration(i)*time.Second)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkAllChanges(t, s, n)
}

// 200 check processes update one target at once.
func TestConcurrentProcesses(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range n {
		cmds[i] = exec.CommandContext(ctx(t), self, "-test.run=^$", dir, fmt.Sprint(i))
		cmds[i].Env = append(os.Environ(), helperEnv+"=update")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v: %s", i, err, outs[i].String())
		}
	}
	checkAllChanges(t, openStore(t, dir), n)
}

// checkAllChanges: n writers, each a different owner, made n-1 changes,
// and the file names each writer exactly once as the new owner (except
// the first).
func checkAllChanges(t *testing.T, s *Store, n int) {
	t.Helper()
	l, err := s.Load(testKey)
	if err != nil || l.Reset != "" {
		t.Fatalf("Load after %d writers: %v %q", n, err, l.Reset)
	}
	if l.Record.TotalChanges != uint64(n-1) || len(l.Record.Changes) != n-1 {
		t.Errorf("%d writers left %d changes (%d listed), want %d: updates were lost", n, l.Record.TotalChanges, len(l.Record.Changes), n-1)
	}
	owners := map[mac.Addr]int{}
	for _, c := range l.Record.Changes {
		owners[c.To]++
	}
	owners[l.Record.Changes[0].From]++
	for i := range n {
		if owners[nodeMAC(i)] != 1 {
			t.Errorf("writer %d took over %d times, want once", i, owners[nodeMAC(i)])
		}
	}
	ents, _ := os.ReadDir(s.Dir())
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %v, want the state file and its lock file", names)
	}
}

// A writer killed with SIGKILL at random points leaves the old or the new
// state, never a broken one.
func TestKilledWriterLeavesOldOrNewState(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	var last uint64
	midWrite := 0 // kills that left a temporary file
	const rounds = 60
	for round := range rounds {
		var errOut bytes.Buffer
		cmd := exec.CommandContext(ctx(t), self, "-test.run=^$", dir, fmt.Sprint(round*100000))
		cmd.Env = append(os.Environ(), helperEnv+"=loop")
		cmd.Stderr = &errOut
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until it writes, then let it write for 0 to 6 ms, varied
		// to hit every step of the write.
		ready := make([]byte, len("writing\n"))
		if _, err := io.ReadFull(stdout, ready); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: writer did not start: %v: %s", round, err, errOut.String())
		}
		time.Sleep(time.Duration(round%13) * 500 * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if errOut.Len() > 0 {
			t.Fatalf("round %d: writer said %s", round, errOut.String())
		}
		name, _ := fileName(testKey)
		if _, err := os.Lstat(filepath.Join(dir, name+".tmp")); err == nil {
			midWrite++
		}
		l, err := s.Load(testKey)
		if err != nil || l.Reset != "" {
			t.Fatalf("round %d: after SIGKILL Load = %v, %q", round, err, l.Reset)
		}
		if l.Found && l.Record.TotalChanges < last {
			t.Fatalf("round %d: the counter went back from %d to %d", round, last, l.Record.TotalChanges)
		}
		last = l.Record.TotalChanges
	}
	if last == 0 {
		t.Fatalf("%d writers made no change in %d rounds: the test did not test", rounds, rounds)
	}
	// A killed writer leaves at most its temporary file, which the next
	// writer replaces.
	if ents, _ := os.ReadDir(dir); len(ents) > 3 {
		t.Errorf("%d files after the kills, want the state, the lock and at most one temporary file", len(ents))
	}
	if _, err := observeAs(ctx(t), s, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files after a completed write, want the state and the lock", len(ents))
	}
	t.Logf("%d changes written by %d killed writers, %d killed mid-write", last, rounds, midWrite)
}

func TestUpdateGivesUpWhenTheContextEnds(t *testing.T) {
	s := openStore(t, t.TempDir())
	name, _ := fileName(testKey)
	fd, err := s.openLock(name + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = observeAs(c, s, 1, t0)
	wantErr(t, err, "gave up waiting for the lock on")
	if !errors.Is(err, ErrBusy) {
		t.Errorf("error %v does not wrap ErrBusy", err)
	}
	if l, _ := s.Load(testKey); l.Found {
		t.Error("an update that never got the lock wrote the file")
	}
}

func TestDefaultDir(t *testing.T) {
	uid := os.Geteuid()
	mine := t.TempDir()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	none := func(int) string { return "" }
	passwd := func(home string) func(int) string { return func(int) string { return home } }
	tests := []struct {
		name   string
		env    map[string]string
		passwd func(int) string
		want   string
	}{
		{"XDG_STATE_HOME wins", map[string]string{"XDG_STATE_HOME": "/srv/state", "HOME": mine}, none, "/srv/state/check_arp"},
		{"relative XDG_STATE_HOME is ignored", map[string]string{"XDG_STATE_HOME": "state", "HOME": mine}, none, mine + "/.local/state/check_arp"},
		{"own HOME", map[string]string{"HOME": mine}, none, mine + "/.local/state/check_arp"},
		{"missing HOME: the passwd home", map[string]string{"HOME": "/nonexistent"}, passwd(mine), mine + "/.local/state/check_arp"},
		{"no HOME: the passwd home", nil, passwd(mine), mine + "/.local/state/check_arp"},
		{"relative HOME", map[string]string{"HOME": "."}, none, fmt.Sprintf("/var/tmp/check_arp-%d", uid)},
		{"no home at all", nil, passwd("/nonexistent"), fmt.Sprintf("/var/tmp/check_arp-%d", uid)},
	}
	if uid == 0 {
		foreign := t.TempDir()
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		tests = append(tests,
			struct {
				name   string
				env    map[string]string
				passwd func(int) string
				want   string
			}{"another user's HOME is skipped", map[string]string{"HOME": foreign}, passwd(mine), mine + "/.local/state/check_arp"},
			struct {
				name   string
				env    map[string]string
				passwd func(int) string
				want   string
			}{"another user's HOME and no own home", map[string]string{"HOME": foreign}, none, "/var/tmp/check_arp-0"})
	}
	for _, tt := range tests {
		if got := defaultDir(env(tt.env), uid, tt.passwd); got != tt.want {
			t.Errorf("%s: defaultDir = %q, want %q", tt.name, got, tt.want)
		}
	}
}
