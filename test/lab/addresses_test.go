package lab

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// tableConstants returns every string constant of addresses.go by name,
// read from the source, so that a constant added there is checked without
// being listed here.
func tableConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "addresses.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s is not a literal: the table must be readable as it stands", name.Name)
				}
				if lit.Kind != token.STRING {
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				consts[name.Name] = v
			}
		}
	}
	if len(consts) < 50 {
		t.Fatalf("read only %d constants from addresses.go", len(consts))
	}
	return consts
}

// TestAddressesAreDistinct: no two tests or hosts share an address, a
// MAC or a network; no address falls inside the pool but the pool's ends,
// and every address is of the documentation ranges (or link-local).
func TestAddressesAreDistinct(t *testing.T) {
	consts := tableConstants(t)
	docs := []netip.Prefix{
		netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("fe80::/64"),
	}
	pools := [][2]netip.Addr{
		{netip.MustParseAddr(PoolFirst), netip.MustParseAddr(PoolLast)},
		{netip.MustParseAddr(PoolFirst6), netip.MustParseAddr(PoolLast6)},
	}
	seen := map[string]string{}
	for name, v := range consts {
		key := v
		switch {
		case strings.HasSuffix(name, "MAC") || strings.HasSuffix(name, "MAC6"):
			mac, err := net.ParseMAC(v)
			if err != nil {
				t.Errorf("%s = %q is not a MAC", name, v)
				continue
			}
			key = "mac " + mac.String()
		case strings.Contains(v, "/"):
			p, err := netip.ParsePrefix(v)
			if err != nil {
				t.Errorf("%s = %q is not a network", name, v)
				continue
			}
			key = "net " + p.Masked().String()
		default:
			a, err := netip.ParseAddr(v)
			if err != nil {
				t.Errorf("%s = %q is neither an address, a MAC nor a network", name, v)
				continue
			}
			key = "addr " + a.String()
			inDocs := false
			for _, d := range docs {
				inDocs = inDocs || d.Contains(a)
			}
			if !inDocs {
				t.Errorf("%s = %s is outside the documentation ranges", name, v)
			}
			for _, p := range pools {
				if a.Compare(p[0]) > 0 && a.Compare(p[1]) < 0 || (a == p[0] || a == p[1]) && !strings.HasPrefix(name, "Pool") {
					t.Errorf("%s = %s lies in the pool %s-%s", name, v, p[0], p[1])
				}
			}
		}
		if other, ok := seen[key]; ok {
			t.Errorf("%s and %s are both %s", name, other, v)
		}
		seen[key] = name
	}
}
