package cli

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// quickCases are command lines as monitoring engines and operators write
// them, and near misses that must be left to kong.
var quickCases = []string{
	"-H 198.51.100.10",
	"--host=198.51.100.10",
	"--host 198.51.100.10",
	"-H 198.51.100.10 -I eth0 -S 198.51.100.1 -p 5 -i 200ms -t 2.5",
	"-H 198.51.100.10 --interface=eth0 --source=0.0.0.0 --packets=4 --interval=0.25 --timeout=1500ms",
	"-H 198.51.100.10 --count 7",
	"-H 198.51.100.10 -e 02:00:00:00:00:10=node-a,02:00:00:00:00:11 -e 0200.0000.0012",
	"-H 198.51.100.10 --expect=02:00:00:00:00:10 --expect-file /etc/check_arp/prod.allow",
	"-H 198.51.100.10 -w 200,40% -c 500,80%",
	"-H 198.51.100.10 --warning=~:200,10% --critical @10:20",
	"-v -H 198.51.100.10 -vv --verbose",
	"-H 198.51.100.10 -vvv -v",
	"-H 198.51.100.10 -p 3 -i 1 -t 3",
	// Left to kong.
	"",
	"198.51.100.10",
	"-H",
	"-H -p",
	"-H 198.51.100.10 -H 198.51.100.11",
	"-H 198.51.100.10 -p 0x10",
	"-H 198.51.100.10 -p 010",
	"-H 198.51.100.10 -p -1",
	"-H 198.51.100.10 -p 9999999999",
	"-H 198.51.100.10 -t 10s -t 2",
	"-H 198.51.100.10 -t 10 s",
	"-H 198.51.100.10 -i abc",
	"-H 198.51.100.10 -e a,,b",
	"-H 198.51.100.10 -e a\\,b",
	"-H 198.51.100.10 -e ,",
	"-H198.51.100.10",
	"-H=198.51.100.10",
	"-H 198.51.100.10 --verbose=2",
	"-H 198.51.100.10 -vvvv",
	"-H 198.51.100.10 --",
	"-H 198.51.100.10 --bogus x",
	"-H 198.51.100.10 -h",
	"-H 198.51.100.10 --version",
	"--host=",
}

// agree fails when quickFlags accepts args and kong reads them otherwise.
func agree(t *testing.T, args []string) (quick bool) {
	t.Helper()
	q, ok := quickFlags(args)
	if !ok {
		return false
	}
	k, err := kongFlags(args, io.Discard, "test")
	if err != nil {
		t.Fatalf("quickFlags accepted %q, kong refuses it: %v", args, err)
	}
	if len(k.Expect) == 0 {
		k.Expect = nil
	}
	if !reflect.DeepEqual(q, k) {
		t.Fatalf("quickFlags(%q) = %+v, kong reads %+v", args, q, k)
	}
	return true
}

func TestQuickFlagsAgreeWithKong(t *testing.T) {
	accepted := 0
	for _, c := range quickCases {
		args := strings.Fields(c)
		if agree(t, args) {
			accepted++
		}
	}
	if accepted < 13 {
		t.Fatalf("quickFlags read only %d of the ordinary command lines", accepted)
	}
}

func FuzzQuickFlags(f *testing.F) {
	for _, c := range quickCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		agree(t, strings.Split(s, " "))
	})
}
