package targets

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// addrs renders targets as "addr[%iface][=label]" for compact comparison.
func render(ts []Target) string {
	var out []string
	for _, t := range ts {
		s := t.Addr.String()
		if t.Interface != "" {
			s += "%" + t.Interface
		}
		if t.Label != "" {
			s += "=" + t.Label
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// seq lists the addresses prefix+from .. prefix+to (IPv4 last octet).
func seq(prefix string, from, to int) string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return strings.Join(out, " ")
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name  string
		hosts []string
		opts  Options
		want  string // rendered targets, or "" when an error is expected
		err   string // substring of the error
	}{
		{name: "one IPv4", hosts: []string{"198.51.100.10"}, want: "198.51.100.10"},
		{name: "one IPv6", hosts: []string{"2001:db8::10"}, want: "2001:db8::10"},
		{name: "IPv4-mapped IPv6 is checked as IPv4", hosts: []string{"::ffff:198.51.100.10"}, want: "198.51.100.10"},
		{name: "repeated and comma-separated, order kept", hosts: []string{"198.51.100.12,198.51.100.10", "2001:db8::10"}, want: "198.51.100.12 198.51.100.10 2001:db8::10"},
		{name: "spaces around commas", hosts: []string{"198.51.100.12 , 198.51.100.10"}, want: "198.51.100.12 198.51.100.10"},
		{name: "dash range", hosts: []string{"198.51.100.10-198.51.100.13"}, want: seq("198.51.100.", 10, 13)},
		{name: "dash range with spaces, as MetalLB allows", hosts: []string{"198.51.100.10 - 198.51.100.11"}, want: "198.51.100.10 198.51.100.11"},
		{name: "one-address range", hosts: []string{"198.51.100.10-198.51.100.10"}, want: "198.51.100.10"},
		{name: "CIDR includes network and broadcast address, as MetalLB assigns them", hosts: []string{"198.51.100.64/28"}, want: seq("198.51.100.", 64, 79)},
		{name: "/32", hosts: []string{"198.51.100.10/32"}, want: "198.51.100.10"},
		{name: "/31", hosts: []string{"198.51.100.10/31"}, want: "198.51.100.10 198.51.100.11"},
		{name: "IPv6 dash range", hosts: []string{"2001:db8::1e-2001:db8::21"}, want: "2001:db8::1e 2001:db8::1f 2001:db8::20 2001:db8::21"},
		{name: "IPv6 range across a 64-bit boundary", hosts: []string{"2001:db8:0:1:ffff:ffff:ffff:ffff-2001:db8:0:2::"}, want: "2001:db8:0:1:ffff:ffff:ffff:ffff 2001:db8:0:2::"},
		{name: "IPv6 CIDR", hosts: []string{"2001:db8::/126"}, want: "2001:db8:: 2001:db8::1 2001:db8::2 2001:db8::3"},
		{name: "IPv6 /128", hosts: []string{"2001:db8::10/128"}, want: "2001:db8::10"},
		{name: "IPv4 range across an octet boundary", hosts: []string{"198.51.100.255-198.51.101.1"}, want: "198.51.100.255 198.51.101.0 198.51.101.1"},
		{name: "mixed families", hosts: []string{"198.51.100.10/31,2001:db8::10-2001:db8::11"}, want: "198.51.100.10 198.51.100.11 2001:db8::10 2001:db8::11"},
		{name: "duplicates and overlaps kept once, first position", hosts: []string{"198.51.100.11", "198.51.100.10-198.51.100.12", "198.51.100.10/31", "198.51.100.11"}, want: "198.51.100.11 198.51.100.10 198.51.100.12"},
		{name: "mapped and plain IPv4 are one address", hosts: []string{"198.51.100.10,::ffff:198.51.100.10"}, want: "198.51.100.10"},
		{name: "avoidBuggyIPs skips .0 and .255 in ranges", hosts: []string{"198.51.100.254-198.51.101.1"}, opts: Options{AvoidBuggyIPs: true}, want: "198.51.100.254 198.51.101.1"},
		{name: "avoidBuggyIPs keeps an address named alone", hosts: []string{"198.51.100.0"}, opts: Options{AvoidBuggyIPs: true}, want: "198.51.100.0"},
		{name: "avoidBuggyIPs leaves IPv6 alone", hosts: []string{"2001:db8::ff-2001:db8::100"}, opts: Options{AvoidBuggyIPs: true}, want: "2001:db8::ff 2001:db8::100"},
		{name: "a /20 is exactly the bound", hosts: []string{"198.51.96.0/20"}, want: "4096"},
		{name: "zone names the interface", hosts: []string{"fe80::1%eth0"}, want: "fe80::1%eth0"},
		{name: "zone with a dash is an address, not a range", hosts: []string{"fe80::1%br-lan"}, want: "fe80::1%br-lan"},
		{name: "link-local with -I", hosts: []string{"fe80::1"}, opts: Options{Interface: "eth0"}, want: "fe80::1%eth0"},
		{name: "zone agreeing with -I", hosts: []string{"fe80::1%eth0"}, opts: Options{Interface: "eth0"}, want: "fe80::1%eth0"},
		{name: "link-local range with -I", hosts: []string{"fe80::1-fe80::2"}, opts: Options{Interface: "eth0"}, want: "fe80::1%eth0 fe80::2%eth0"},
		{name: "one link-local address on two links is two targets", hosts: []string{"fe80::1%eth0,fe80::1%eth1"}, want: "fe80::1%eth0 fe80::1%eth1"},
		{name: "IPv4 link-local is on-link and fine", hosts: []string{"169.254.1.1"}, want: "169.254.1.1"},

		{name: "nothing", hosts: nil, err: "no target: name the IPv4 or IPv6 addresses to check with -H"},
		{name: "empty entry", hosts: []string{"198.51.100.10,,198.51.100.11"}, err: `-H "198.51.100.10,,198.51.100.11" has an empty entry; separate addresses and ranges with single commas`},
		{name: "trailing comma", hosts: []string{"198.51.100.10,"}, err: "has an empty entry"},
		{name: "a name", hosts: []string{"vip.example.org"}, err: `-H "vip.example.org" is not an IP address or range; write 198.51.100.10, 198.51.100.10-198.51.100.20 or 198.51.100.64/28 (names are not resolved)`},
		{name: "bad octet", hosts: []string{"198.51.100.256"}, err: "is not an IP address or range"},
		{name: "bad range start", hosts: []string{"198.51.100-198.51.100.20"}, err: `the range's start "198.51.100" is not an IP address; write ranges as 198.51.100.10-198.51.100.20`},
		{name: "bad range end", hosts: []string{"198.51.100.10-20"}, err: `the range's end "20" is not an IP address`},
		{name: "two dashes", hosts: []string{"198.51.100.10-198.51.100.11-198.51.100.12"}, err: "the range's end"},
		{name: "reversed range", hosts: []string{"198.51.100.20-198.51.100.10"}, err: "-H 198.51.100.20-198.51.100.10 ends before it starts; write the lower address first (198.51.100.10-198.51.100.20)"},
		{name: "mixed-family range", hosts: []string{"198.51.100.10-2001:db8::10"}, err: "mixes IPv4 and IPv6; write one range per family"},
		{name: "zone in a range", hosts: []string{"fe80::1%eth0-fe80::5"}, err: "a range takes no zone; drop the zones and name the interface with -I"},
		{name: "host bits set", hosts: []string{"198.51.100.70/28"}, err: "-H 198.51.100.70/28 has host bits set; write the network 198.51.100.64/28 for the whole range, or 198.51.100.70 alone for one address"},
		{name: "bad prefix length", hosts: []string{"198.51.100.0/33"}, err: "is not an address or CIDR range"},
		{name: "mapped prefix", hosts: []string{"::ffff:198.51.100.0/124"}, err: "is an IPv4 range written as IPv6; write it in IPv4 notation"},
		{name: "huge IPv6 CIDR refused before expanding", hosts: []string{"2001:db8::/32"}, err: "-H 2001:db8::/32 holds 2^96 addresses, more than the 4096 one run checks; list the addresses in use, or split the range across several checks"},
		{name: "a /19 is over the bound", hosts: []string{"198.51.96.0/19"}, err: "holds 2^13 addresses"},
		{name: "the whole IPv6 space as a range", hosts: []string{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, err: "holds more than 2^64 addresses"},
		{name: "a range one over the bound", hosts: []string{"198.51.96.0-198.51.112.0"}, err: "holds 4097 addresses, more than the 4096"},
		{name: "entries that add up over the bound", hosts: []string{"198.51.96.0/20", "203.0.113.1"}, err: "-H 203.0.113.1 is one address too many: a run checks at most 4096; split the targets across several checks (one hosts file per pool)"},
		{name: "zone disagreeing with -I", hosts: []string{"fe80::1%eth1"}, opts: Options{Interface: "eth0"}, err: "-H fe80::1%eth1 names interface eth1 as its zone but -I names eth0; give the interface once"},
		{name: "link-local without interface", hosts: []string{"fe80::1"}, err: "-H fe80::1 is a link-local address, which every link has; name its interface with -I or as a zone (-H fe80::1%eth0)"},
		{name: "link-local range without interface", hosts: []string{"fe80::1-fe80::4"}, err: "-H fe80::1-fe80::4 is a range of link-local addresses, which every link has; name their interface with -I"},
		{name: "loopback", hosts: []string{"127.0.0.1"}, err: "-H 127.0.0.1 is a loopback address, which never appears on a network segment; give an address of the segment"},
		{name: "IPv6 loopback", hosts: []string{"::1"}, err: "loopback address"},
		{name: "IPv4 unspecified", hosts: []string{"0.0.0.0"}, err: "-H 0.0.0.0 cannot own a MAC address; give the unicast IPv4 address to check"},
		{name: "limited broadcast", hosts: []string{"255.255.255.255"}, err: "cannot own a MAC address"},
		{name: "IPv4 multicast", hosts: []string{"224.0.0.1"}, err: "cannot own a MAC address"},
		{name: "IPv6 unspecified", hosts: []string{"::"}, err: "is the unspecified address, which cannot own a MAC address; give the unicast IPv6 address to check"},
		{name: "IPv6 multicast", hosts: []string{"ff02::1"}, err: "is a multicast address"},
		{name: "range reaching the limited broadcast", hosts: []string{"255.255.255.240/28"}, err: "-H 255.255.255.240/28 includes 255.255.255.255, which cannot be checked (it cannot own a MAC address); give the unicast IPv4 address to check"},
		{name: "range touching loopback", hosts: []string{"126.255.255.254-127.0.0.1"}, err: "-H 126.255.255.254-127.0.0.1 includes 127.0.0.0, which cannot be checked (it is a loopback address, which never appears on a network segment); give an address of the segment"},
		{name: "control characters are escaped", hosts: []string{"198.51.100.1\n0"}, err: `"198.51.100.1\n0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.hosts, "", tt.opts)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %s, want an error containing %q", tt.hosts, render(got), tt.err)
				}
				if !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) error\n %s\nwant it to contain\n %s", tt.hosts, err, tt.err)
				}
				if strings.ContainsAny(err.Error(), "\n\r") {
					t.Fatalf("error is not one line: %q", err)
				}
				var te *Error
				if !errors.As(err, &te) {
					t.Fatalf("error %T is not a *targets.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.hosts, err)
			}
			if tt.want == "4096" {
				if len(got) != MaxAddresses {
					t.Fatalf("got %d addresses, want %d", len(got), MaxAddresses)
				}
				return
			}
			if r := render(got); r != tt.want {
				t.Fatalf("Parse(%q)\n got %s\nwant %s", tt.hosts, r, tt.want)
			}
		})
	}
}

// The table above names what its error cases check; a few need a precise
// sentence that a substring cannot pin down.
func TestRangeErrorsNameTheFirstBadAddress(t *testing.T) {
	_, err := Parse([]string{"223.255.255.254-224.0.0.1"}, "", Options{})
	want := "-H 223.255.255.254-224.0.0.1 includes 224.0.0.0, which cannot be checked (it cannot own a MAC address); give the unicast IPv4 address to check"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// A refused range costs no more than its two ends: nothing is expanded
// before the size is known to fit.
func TestHugeRangesAllocateNothingBig(t *testing.T) {
	for _, h := range []string{"2001:db8::/32", "::/0", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0/0", "198.51.0.0-198.51.255.255"} {
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := Parse([]string{h}, "", Options{}); err == nil {
				t.Fatalf("%s accepted", h)
			}
		})
		if allocs > 20 {
			t.Errorf("refusing %s took %.0f allocations; it must not expand the range", h, allocs)
		}
	}
}

func TestCheckAddrIsTheSingleAddressRule(t *testing.T) {
	for _, tt := range []struct {
		addr, iface, want string
	}{
		{"198.51.100.10", "", ""},
		{"2001:db8::10", "", ""},
		{"fe80::1", "eth0", ""},
		{"fe80::1", "", "fe80::1 is a link-local address, which every link has; name its interface with -I or as a zone (-H fe80::1%eth0)"},
		{"127.0.0.53", "", "127.0.0.53 is a loopback address, which never appears on a network segment; give an address of the segment"},
		{"ff02::1:ff00:10", "eth0", "ff02::1:ff00:10 is a multicast address, which cannot own a MAC address; give the unicast IPv6 address to check"},
	} {
		err := CheckAddr(netip.MustParseAddr(tt.addr), tt.iface)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckAddr(%s, %q) = %q, want %q", tt.addr, tt.iface, got, tt.want)
		}
	}
}

func TestReadHostsFile(t *testing.T) {
	tests := []struct {
		name, file string
		opts       Options
		want, err  string
	}{
		{name: "addresses, ranges, labels, comments", file: "# MetalLB pool prod\n198.51.100.10 ingress-nginx/controller\n\n  198.51.100.20-198.51.100.21\tkube-system/dns # both\n2001:db8::10/127\n",
			want: "198.51.100.10=ingress-nginx/controller 198.51.100.20=kube-system/dns 198.51.100.21=kube-system/dns 2001:db8::10 2001:db8::11"},
		{name: "CRLF line ends", file: "198.51.100.10 web\r\n198.51.100.11\r\n", want: "198.51.100.10=web 198.51.100.11"},
		{name: "a label for one address beats the label of its range", file: "198.51.100.10/31 pool-a\n198.51.100.11 grafana\n", want: "198.51.100.10=pool-a 198.51.100.11=grafana"},
		{name: "also when the address comes first", file: "198.51.100.11 grafana\n198.51.100.10/31 pool-a\n", want: "198.51.100.11=grafana 198.51.100.10=pool-a"},
		{name: "a label added later to an unlabelled address", file: "198.51.100.10\n198.51.100.10 web\n", want: "198.51.100.10=web"},
		{name: "the same label twice", file: "198.51.100.10 web\n198.51.100.10 web\n", want: "198.51.100.10=web"},
		{name: "zone and label", file: "fe80::1%eth0 router\n", want: "fe80::1%eth0=router"},
		{name: "only comments", file: "# nothing yet\n", err: "no target"},
		{name: "two labels for one address", file: "198.51.100.10 web\n198.51.100.10 db\n", err: `--hosts-file hosts line 2: 198.51.100.10 is labeled both "web" and "db"; give it one label`},
		{name: "two ranges labelling one address differently", file: "198.51.100.10/31 a\n198.51.100.11-198.51.100.12 b\n", err: `--hosts-file hosts line 2: 198.51.100.11-198.51.100.12: 198.51.100.11 is labeled both "a" and "b"; give it one label`},
		{name: "a range with spaces", file: "198.51.100.10 - 198.51.100.20\n", err: `--hosts-file hosts line 1: "198.51.100.10 - 198.51.100.20" has spaces in a range; write it without spaces (198.51.100.10-198.51.100.20)`},
		{name: "a label with spaces", file: "198.51.100.10 my web server\n", err: "has 4 words; write one address or range and an optional label without spaces"},
		{name: "commas in a line", file: "198.51.100.10,198.51.100.11\n", err: "lists several entries; write one address or range per line"},
		{name: "a quote in a label", file: "198.51.100.10 we\"b\n", err: `the label "we\"b" contains '"'; use letters, digits and . _ - : / @ +`},
		{name: "a pipe in a label", file: "198.51.100.10 a|b\n", err: "contains '|'"},
		{name: "a long label", file: "198.51.100.10 " + strings.Repeat("x", MaxLabelLen+1) + "\n", err: "the label is longer than 127 characters; shorten it"},
		{name: "a bad address names its line", file: "198.51.100.10\n\n198.51.100.300 web\n", err: `--hosts-file hosts line 3: "198.51.100.300" is not an IP address or range`},
		{name: "a long line", file: strings.Repeat("1", maxLineLen+10) + "\n", err: "--hosts-file hosts line 1 is longer than 1024 bytes; is this a hosts file?"},
		{name: "binary garbage", file: "\x00\x01\x02 \xff\n", err: `line 1: "\x00\x01\x02"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hosts")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Parse(nil, path, tt.opts)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("accepted %q as %s, want error %q", tt.file, render(got), tt.err)
				}
				msg := strings.ReplaceAll(err.Error(), path, "hosts")
				if !strings.Contains(msg, tt.err) {
					t.Fatalf("error\n %s\nwant it to contain\n %s", msg, tt.err)
				}
				if strings.ContainsAny(msg, "\n\r") {
					t.Fatalf("error is not one line: %q", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r := render(got); r != tt.want {
				t.Fatalf("got  %s\nwant %s", r, tt.want)
			}
		})
	}
}

func TestFlagsComeBeforeTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte("198.51.100.10 web\n198.51.100.11\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Parse([]string{"198.51.100.11,198.51.100.12"}, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, want := render(got), "198.51.100.11 198.51.100.12 198.51.100.10=web"; r != want {
		t.Fatalf("got %s, want %s", r, want)
	}
}

func TestHostsFileBounds(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// More distinct addresses than the bound: refused with the fix.
	var b strings.Builder
	for i := range MaxAddresses + 1 {
		fmt.Fprintf(&b, "2001:db8::%x\n", i+1)
	}
	_, err := Parse(nil, write("many", b.String()), Options{})
	if err == nil || !strings.Contains(err.Error(), "line 4097: 2001:db8::1001 is one address too many: a run checks at most 4096; split the targets across several checks") {
		t.Fatalf("4097 addresses: got %v", err)
	}

	// The same address many times is one address, and fine.
	many := strings.Repeat("198.51.100.10\n", 10000)
	if got, err := Parse(nil, write("repeated", many), Options{}); err != nil || len(got) != 1 {
		t.Fatalf("10000 repeats: got %d targets, %v", len(got), err)
	}

	// Larger than MaxFileSize, even if every line is a comment.
	big := strings.Repeat("# "+strings.Repeat("x", 100)+"\n", MaxFileSize/100)
	_, err = Parse(nil, write("big", big), Options{})
	if err == nil || !strings.Contains(err.Error(), "is larger than 1048576 bytes; list at most 4096 addresses, as ranges where they are contiguous") {
		t.Fatalf("big file: got %v", err)
	}

	// Exactly MaxFileSize bytes is fine.
	line := "# " + strings.Repeat("x", 1021) + "\n" // 1024 bytes
	exact := strings.Repeat(line, MaxFileSize/len(line)-1) + strings.Repeat("#", len(line)-len("198.51.100.10\n")-1) + "\n198.51.100.10\n"
	if len(exact) != MaxFileSize {
		t.Fatalf("test file has %d bytes", len(exact))
	}
	if got, err := Parse(nil, write("exact", exact), Options{}); err != nil || len(got) != 1 {
		t.Fatalf("file of exactly MaxFileSize: %d targets, %v", len(got), err)
	}
}

func TestHostsFileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Parse(nil, dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a regular file; give a file with one address or range per line") {
		t.Fatalf("directory: got %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	// Opening a FIFO without a writer would block forever without O_NONBLOCK.
	_, err = Parse(nil, fifo, Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Fatalf("FIFO: got %v", err)
	}
	_, err = Parse(nil, filepath.Join(dir, "missing"), Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot be read (no such file or directory); check the path and that the check's user may read it") {
		t.Fatalf("missing file: got %v", err)
	}
}

// checkInvariants holds for every accepted target list.
func checkInvariants(t *testing.T, got []Target, opts Options) {
	t.Helper()
	if len(got) == 0 || len(got) > MaxAddresses {
		t.Fatalf("accepted %d targets", len(got))
	}
	seen := map[key]bool{}
	for _, tg := range got {
		k := key{tg.Addr, tg.Interface}
		if seen[k] {
			t.Fatalf("%v listed twice", tg)
		}
		seen[k] = true
		if tg.Addr.Zone() != "" || tg.Addr.Is4In6() {
			t.Fatalf("address %s keeps a zone or mapping", tg.Addr)
		}
		if err := CheckAddr(tg.Addr, tg.Interface); err != nil {
			t.Fatalf("accepted an address that cannot be checked: %v", err)
		}
		if opts.Interface != "" && tg.Interface != opts.Interface {
			t.Fatalf("target %v left the interface -I names", tg)
		}
		if err := checkLabel(tg.Label); err != nil {
			t.Fatalf("accepted label %q: %v", tg.Label, err)
		}
	}
}

func checkError(t *testing.T, err error) {
	t.Helper()
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error %T is not a *targets.Error: %v", err, err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\n\r\x00") || !strings.Contains(msg, ";") {
		t.Fatalf("error is not one sentence with a fix: %q", msg)
	}
}

func FuzzParseFlag(f *testing.F) {
	for _, s := range []string{
		"198.51.100.10", "198.51.100.10-198.51.100.20", "198.51.100.64/28", "2001:db8::10-2001:db8::1f",
		"2001:db8::/124", "fe80::1%eth0", "fe80::1-fe80::3", "198.51.100.10,2001:db8::10", "2001:db8::/32",
		"198.51.100.20-198.51.100.10", "198.51.100.70/28", "::ffff:198.51.100.1", "255.255.255.0/24", ",",
		"198.51.100.10 - 198.51.100.12", "::-::ffff", "fe80::1%br-lan",
	} {
		f.Add(s, "", false)
		f.Add(s, "eth0", true)
	}
	f.Fuzz(func(t *testing.T, h, iface string, buggy bool) {
		opts := Options{Interface: iface, AvoidBuggyIPs: buggy}
		got, err := Parse([]string{h}, "", opts)
		if err != nil {
			checkError(t, err)
			return
		}
		checkInvariants(t, got, opts)
	})
}

func FuzzReadHostsFile(f *testing.F) {
	for _, s := range []string{
		"198.51.100.10 web\n# comment\n198.51.100.64/30 pool\n",
		"2001:db8::10-2001:db8::12\tdns\r\n",
		"198.51.100.10 a\n198.51.100.10 b\n",
		"198.51.100.10/31 a\n198.51.100.11 b\n",
		"fe80::1%eth0 r\n",
		"198.51.100.10 - 198.51.100.11\n",
		"\x00\xff\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		s := NewSet(Options{})
		if err := s.Read(strings.NewReader(file), "hosts"); err != nil {
			checkError(t, err)
			return
		}
		if s.Len() == 0 {
			return
		}
		checkInvariants(t, s.Targets(), Options{})
	})
}
