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
	var out []string
	err := c.exchange(c.linkRequest(0, "", true), func(typ uint16, data []byte) (bool, error) {
		if typ == unix.RTM_NEWLINK {
			if name, ok := macvlanChild(data, parent); ok {
				out = append(out, name)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
			name = attrString(v)
		case unix.IFLA_LINK:
			if len(v) >= 4 {
				link = int(int32(binary.NativeEndian.Uint32(v)))
			}
		case unix.IFLA_LINKINFO:
			attrs(v, func(typ uint16, v []byte) {
				if typ == unix.IFLA_INFO_KIND {
					kind = attrString(v)
				}
			})
		}
	})
	return name, link == parent && (kind == "macvlan" || kind == "macvtap")
}
