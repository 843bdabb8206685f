package netpath

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// errNoSuchInterface is the standard library's text for a missing
// interface, kept so that messages read as they always did.
var errNoSuchInterface = &net.OpError{Op: "route", Net: "ip+net", Err: errors.New("no such network interface")}

// link asks for one interface, by index or (index 0) by name.
func (c *rtnl) link(index int, name string) (*net.Interface, error) {
	var ifi *net.Interface
	err := c.exchange(c.linkRequest(index, name, false), func(typ uint16, data []byte) (bool, error) {
		if typ != unix.RTM_NEWLINK {
			return false, nil
		}
		var err error
		ifi, err = parseLink(data)
		return true, err
	})
	if errors.Is(err, unix.ENODEV) {
		return nil, errNoSuchInterface
	}
	if err != nil {
		return nil, err
	}
	return ifi, nil
}

// linkRequest is an RTM_GETLINK request for the interface with index, or
// (index 0) name; or, with dump, for all interfaces.
func (c *rtnl) linkRequest(index int, name string, dump bool) []byte {
	flags := uint16(unix.NLM_F_REQUEST)
	if dump {
		flags |= unix.NLM_F_DUMP
	}
	req, start := c.header(nil, unix.RTM_GETLINK, flags)
	// struct ifinfomsg: family, pad, type, index, flags, change.
	req = append(req, unix.AF_UNSPEC, 0, 0, 0)
	req = binary.NativeEndian.AppendUint32(req, uint32(index))
	req = binary.NativeEndian.AppendUint64(req, 0)
	if index == 0 && !dump {
		req = appendAttr(req, unix.IFLA_IFNAME, append([]byte(name), 0))
	}
	// Not its statistics (Linux 5.x; older kernels send them anyway).
	req = appendAttr(req, unix.IFLA_EXT_MASK, binary.NativeEndian.AppendUint32(nil, rtextFilterSkipStats))
	return finish(req, start)
}

// parseLink reads an interface as the standard library describes it.
func parseLink(data []byte) (*net.Interface, error) {
	if len(data) < ifinfomsgLen {
		return nil, fmt.Errorf("short link message (%d bytes)", len(data))
	}
	ifi := &net.Interface{
		Index: int(int32(binary.NativeEndian.Uint32(data[4:8]))),
		Flags: linkFlags(binary.NativeEndian.Uint32(data[8:12])),
	}
	attrs(data[ifinfomsgLen:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFLA_IFNAME:
			ifi.Name = attrString(v)
		case unix.IFLA_ADDRESS:
			// As the standard library: an all-zero address is none.
			for _, x := range v {
				if x != 0 {
					ifi.HardwareAddr = net.HardwareAddr(append([]byte(nil), v...))
					break
				}
			}
		case unix.IFLA_MTU:
			if len(v) >= 4 {
				ifi.MTU = int(binary.NativeEndian.Uint32(v))
			}
		}
	})
	return ifi, nil
}

func linkFlags(raw uint32) net.Flags {
	var f net.Flags
	for _, m := range []struct {
		raw  uint32
		flag net.Flags
	}{
		{unix.IFF_UP, net.FlagUp},
		{unix.IFF_RUNNING, net.FlagRunning},
		{unix.IFF_BROADCAST, net.FlagBroadcast},
		{unix.IFF_LOOPBACK, net.FlagLoopback},
		{unix.IFF_POINTOPOINT, net.FlagPointToPoint},
		{unix.IFF_MULTICAST, net.FlagMulticast},
	} {
		if raw&m.raw != 0 {
			f |= m.flag
		}
	}
	return f
}

// ifAddr is one address of an interface.
type ifAddr struct {
	prefix netip.Prefix
	flags  uint32 // IFA_F_*
}

// addrs lists the addresses of family on the interface with index.
func (c *rtnl) addrs(index int, family uint8) ([]ifAddr, error) {
	req, start := c.header(nil, unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	// struct ifaddrmsg: family, prefixlen, flags, scope, index.
	req = append(req, family, 0, 0, 0)
	req = binary.NativeEndian.AppendUint32(req, uint32(index))
	req = finish(req, start)
	var out []ifAddr
	err := c.exchange(req, func(typ uint16, data []byte) (bool, error) {
		if typ == unix.RTM_NEWADDR {
			if a, ok := parseAddr(data, index, family); ok {
				out = append(out, a)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseAddr reads an address of the interface with index and family;
// other interfaces' (from kernels that ignore the filter) are not ok. The
// address is IFA_LOCAL if there is one (on point-to-point links
// IFA_ADDRESS is the peer's), else IFA_ADDRESS, as the standard library
// and iproute2 read it.
func parseAddr(data []byte, index int, family uint8) (ifAddr, bool) {
	if len(data) < ifaddrmsgLen || data[0] != family || int(binary.NativeEndian.Uint32(data[4:8])) != index {
		return ifAddr{}, false
	}
	bits := int(data[1])
	a := ifAddr{flags: uint32(data[2])}
	var local, address netip.Addr
	attrs(data[ifaddrmsgLen:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFA_LOCAL:
			local, _ = netip.AddrFromSlice(v)
		case unix.IFA_ADDRESS:
			address, _ = netip.AddrFromSlice(v)
		case unix.IFA_FLAGS:
			if len(v) >= 4 {
				a.flags = binary.NativeEndian.Uint32(v)
			}
		}
	})
	ip := local
	if !ip.IsValid() {
		ip = address
	}
	if !ip.IsValid() {
		return ifAddr{}, false
	}
	a.prefix = netip.PrefixFrom(ip, bits)
	return a, a.prefix.IsValid()
}
