package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "check_arp.prom")
	for _, content := range []string{"first\n", "second, longer\n", "3\n"} {
		if err := Write(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Fatalf("read %q, %v; want %q", b, err, content)
		}
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm()&^0o022 != 0o644&^0o022 {
		t.Errorf("mode %v", st.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestWriteRefusesLinksAndNonFiles(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.prom")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("writing through a link: %v", err)
	}
	linkedDir := filepath.Join(dir, "linked")
	if err := os.Symlink(t.TempDir(), linkedDir); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(linkedDir, "m.prom"), []byte("x"), 0o644); err == nil {
		t.Error("wrote into a directory reached through a link")
	}
	if err := Write(dir, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("writing over a directory: %v", err)
	}
	if err := Write(filepath.Join(dir, "missing", "m.prom"), []byte("x"), 0o644); err == nil {
		t.Error("wrote into a missing directory")
	}
	if err := Write(filepath.Join(dir, "big"), make([]byte, MaxSize+1), 0o644); err == nil {
		t.Error("wrote more than MaxSize")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
		t.Errorf("the link's target changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
