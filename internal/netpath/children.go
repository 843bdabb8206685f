package netpath

import (
	"context"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// MacvlanChildren names the macvlan and macvtap interfaces whose parent
// (lower device) is the interface with index parent. The kernel never
// delivers frames between a macvlan's parent and its children, whatever
// the mode, so a check run on the parent cannot reach an address that
// lives on a child.
func MacvlanChildren(ctx context.Context, parent int) ([]string, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening a netlink socket to list interfaces: %w", err)
	}
	defer h.Close()
	if d, ok := ctx.Deadline(); ok {
		if err := h.SetSocketTimeout(max(time.Until(d), time.Millisecond)); err != nil {
			return nil, fmt.Errorf("setting the interface listing timeout: %w", err)
		}
	}
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	var out []string
	for _, l := range links {
		a := l.Attrs()
		if a.ParentIndex != parent || a.Index == parent {
			continue
		}
		switch l.Type() {
		case "macvlan", "macvtap":
			out = append(out, a.Name)
		}
	}
	return out, nil
}
