package allowlist

import (
	"strings"
	"testing"

	"github.com/check-arp/check_arp/internal/mac"
)

func mustMAC(t testing.TB, s string) mac.Addr {
	t.Helper()
	a, err := mac.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseEntry(t *testing.T) {
	tests := []struct {
		in, mac, label, err string
	}{
		{in: "02:00:00:00:00:10", mac: "02:00:00:00:00:10"},
		{in: "02-00-00-00-00-10=node-a", mac: "02:00:00:00:00:10", label: "node-a"},
		{in: " 0200.0000.0010 = node-a ", mac: "02:00:00:00:00:10", label: "node-a"},
		{in: "020000000010=k8s-worker-1.example", mac: "02:00:00:00:00:10", label: "k8s-worker-1.example"},
		{in: "02:00:00:00:00:10=", mac: "02:00:00:00:00:10"},
		{in: "node-a=02:00:00:00:00:10", err: "not a MAC address"},
		{in: "02:00:00:00:00:10=a|b", err: "contains '|'"},
		{in: "02:00:00:00:00:10=a b", err: "contains ' '"},
		{in: "02:00:00:00:00:10=" + strings.Repeat("x", 64), err: "longer than 63"},
	}
	for _, tt := range tests {
		a, label, err := ParseEntry(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseEntry(%q) error = %v, want it to contain %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", tt.in, err)
			continue
		}
		if a.String() != tt.mac || label != tt.label {
			t.Errorf("ParseEntry(%q) = %v %q, want %s %q", tt.in, a, label, tt.mac, tt.label)
		}
	}
}

func TestAdd(t *testing.T) {
	var l List
	a := mustMAC(t, "02:00:00:00:00:10")
	if l.Allows(a) || l.Len() != 0 {
		t.Fatal("zero List allows something")
	}
	if err := l.Add(a, ""); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(a, "node-a"); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(a, "node-a"); err != nil {
		t.Fatal(err)
	}
	if got := l.Label(a); got != "node-a" {
		t.Fatalf("label %q after unlabelled then labelled add", got)
	}
	if err := l.Add(a, "node-b"); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("conflicting label: %v", err)
	}
	if err := l.Add(mac.Addr{}, ""); err == nil {
		t.Fatal("zero MAC accepted")
	}
	if !l.Allows(a) || l.Len() != 1 {
		t.Fatal("Allows/Len wrong")
	}
}

func TestReadFile(t *testing.T) {
	const file = `# MetalLB speakers of cluster prod
02:00:00:00:00:10 node-a   # rack 1
02-00-00-00-00-11  node-b

0200.0000.0012=node-c
020000000013
`
	var l List
	if err := l.ReadFile(strings.NewReader(file), "nodes.txt"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"02:00:00:00:00:10": "node-a", "02:00:00:00:00:11": "node-b",
		"02:00:00:00:00:12": "node-c", "02:00:00:00:00:13": "",
	}
	if l.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", l.Len(), len(want))
	}
	for m, label := range want {
		a := mustMAC(t, m)
		if !l.Allows(a) || l.Label(a) != label {
			t.Errorf("%s: allowed %v label %q, want label %q", m, l.Allows(a), l.Label(a), label)
		}
	}
	addrs := l.Addrs()
	for i := 1; i < len(addrs); i++ {
		if string(addrs[i-1][:]) >= string(addrs[i][:]) {
			t.Fatalf("Addrs not sorted: %v", addrs)
		}
	}
}

func TestReadFileErrors(t *testing.T) {
	tests := []struct{ file, err string }{
		{"02:00:00:00:00:10 node a\n", "nodes.txt:1: expected \"MAC [LABEL]\", got 3 words"},
		{"\n\nnot-a-mac node-a\n", "nodes.txt:3: \"not-a-mac\": not a MAC address"},
		{"02:00:00:00:00:10=x node-a\n", "nodes.txt:1: write either"},
		{"02:00:00:00:00:10 a\n02:00:00:00:00:10 b\n", "nodes.txt:2: 02:00:00:00:00:10 is listed twice"},
		{strings.Repeat("x", 2000), "nodes.txt:1: line longer than 1024 bytes"},
	}
	for _, tt := range tests {
		var l List
		err := l.ReadFile(strings.NewReader(tt.file), "nodes.txt")
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ReadFile(%.30q) error = %v, want it to contain %q", tt.file, err, tt.err)
		}
	}
}

func FuzzReadFile(f *testing.F) {
	f.Add("02:00:00:00:00:10 node-a\n# c\n0200.0000.0011=b\n")
	f.Add("020000000013\n\n")
	f.Add("02:00:00:00:00:10 a\n02:00:00:00:00:10 b\n")
	f.Fuzz(func(t *testing.T, file string) {
		var l List
		if err := l.ReadFile(strings.NewReader(file), "f"); err != nil {
			return
		}
		for _, a := range l.Addrs() {
			if a.IsZero() || checkLabel(l.Label(a)) != nil {
				t.Fatalf("accepted %v with label %q", a, l.Label(a))
			}
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	f.Add("02:00:00:00:00:10=node-a")
	f.Add("0200.0000.0010")
	f.Fuzz(func(t *testing.T, s string) {
		a, label, err := ParseEntry(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(label, "|, \n\t=") {
			t.Fatalf("ParseEntry(%q) accepted label %q", s, label)
		}
		_ = a
	})
}
