package ndppacket

import (
	"bytes"
	"net/netip"
	"testing"
)

// The packet carries msg unchanged but for its checksum, which verifies
// over the pseudo-header as a receiver checks it; msg itself is not
// written to.
func TestAppend(t *testing.T) {
	src, dst := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::1")
	msg := []byte{136, 0, 0xaa, 0xbb, 0x20, 0, 0, 0, 1, 2, 3} // odd length on purpose
	orig := bytes.Clone(msg)
	p := Append([]byte{0xee}, src, dst, msg)
	if p[0] != 0xee || len(p) != 1+HeaderLen+len(msg) {
		t.Fatalf("packet of %d bytes after the prefix, want %d", len(p)-1, HeaderLen+len(msg))
	}
	ip := p[1:]
	if ip[0]>>4 != 6 || ip[6] != 58 || ip[7] != HopLimit || int(ip[4])<<8|int(ip[5]) != len(msg) {
		t.Fatalf("IPv6 header % x", ip[:8])
	}
	if !bytes.Equal(msg, orig) {
		t.Errorf("msg changed to % x", msg)
	}
	body := ip[HeaderLen:]
	if body[0] != msg[0] || !bytes.Equal(body[4:], msg[4:]) {
		t.Errorf("message % x, want % x with a checksum", body, msg)
	}
	s, d := src.As16(), dst.As16()
	if got := checksum(s, d, body); got != 0 {
		t.Errorf("checksum does not verify: the sum over the packet complements to %#x", got)
	}
}
