package netpath

import (
	"context"
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// MacvlanChildren names the macvlan and macvtap interfaces whose parent
// (lower device) is the interface with index parent. The kernel never
// delivers frames between a macvlan's parent and its children, whatever
// the mode, so a check run on the parent cannot reach an address that
// lives on a child.
func MacvlanChildren(ctx context.Context, parent int) ([]string, error) {
	c, err := dialRTNL(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening a netlink socket to list interfaces: %w", err)
	}
	defer c.close()
	out, err := c.macvlanChildren(parent)
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	return out, nil
}

// macvlanChildren dumps the interfaces, reading of each only its name,
// parent and kind.
func (c *rtnl) macvlanChildren(parent int) ([]string, error) {
	req, start := c.header(nil, unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	req = append(req, unix.AF_UNSPEC, 0, 0, 0)
	req = binary.NativeEndian.AppendUint32(req, 0)
	req = binary.NativeEndian.AppendUint64(req, 0)
	req = appendAttr(req, unix.IFLA_EXT_MASK, binary.NativeEndian.AppendUint32(nil, rtextFilterSkipStats))
	req = finish(req, start)
	if err := c.send(req); err != nil {
		return nil, err
	}
	var out []string
	for {
		b, err := c.receive()
		if err != nil {
			return nil, err
		}
		ms, err := messages(b)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.seq != c.seq {
				continue
			}
			switch m.typ {
			case unix.NLMSG_DONE:
				return out, errno(m.data)
			case unix.NLMSG_ERROR:
				if err := errno(m.data); err != nil {
					return nil, err
				}
			case unix.RTM_NEWLINK:
				if name, ok := macvlanChild(m.data, parent); ok {
					out = append(out, name)
				}
			}
		}
	}
}

// macvlanChild reports the name of the interface in data if it is a
// macvlan or macvtap on parent.
func macvlanChild(data []byte, parent int) (string, bool) {
	if len(data) < ifinfomsgLen || int(int32(binary.NativeEndian.Uint32(data[4:8]))) == parent {
		return "", false
	}
	var (
		name, kind string
		link       int
	)
	attrs(data[ifinfomsgLen:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFLA_IFNAME:
			if len(v) > 0 && v[len(v)-1] == 0 {
				v = v[:len(v)-1]
			}
			name = string(v)
		case unix.IFLA_LINK:
			if len(v) >= 4 {
				link = int(int32(binary.NativeEndian.Uint32(v)))
			}
		case unix.IFLA_LINKINFO:
			attrs(v, func(typ uint16, v []byte) {
				if typ == unix.IFLA_INFO_KIND {
					if len(v) > 0 && v[len(v)-1] == 0 {
						v = v[:len(v)-1]
					}
					kind = string(v)
				}
			})
		}
	})
	return name, link == parent && (kind == "macvlan" || kind == "macvtap")
}
