package netpath

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Resolver resolves the paths of many targets, as Resolve does each one,
// for the cost of a route lookup per target: it keeps one netlink socket
// and reads each interface, and its addresses, once. It is for one
// goroutine, and for the moment of one run: interfaces and addresses that
// change while it is used are not seen.
type Resolver struct {
	h       *netlink.Handle
	byIndex map[int]*net.Interface
	byName  map[string]*net.Interface
	addrs4  map[int][]netip.Prefix
	addrs6  map[int][]addr6
}

// NewResolver opens the netlink socket. Close releases it.
func NewResolver() (*Resolver, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening a netlink socket for the route lookups: %w", err)
	}
	return &Resolver{
		h:       h,
		byIndex: make(map[int]*net.Interface),
		byName:  make(map[string]*net.Interface),
		addrs4:  make(map[int][]netip.Prefix),
		addrs6:  make(map[int][]addr6),
	}, nil
}

// Close releases the netlink socket.
func (r *Resolver) Close() { r.h.Close() }

// Resolve is Resolve with the resolver's caches.
func (r *Resolver) Resolve(ctx context.Context, req Request) (Path, error) {
	return resolve(ctx, req, r)
}

func (r *Resolver) routeTo(ctx context.Context, target netip.Addr) (*net.Interface, netip.Addr, error) {
	return routeWith(ctx, r.h, target, r.interfaceByIndex)
}

func (r *Resolver) interfaceByIndex(i int) (*net.Interface, error) {
	if ifi, ok := r.byIndex[i]; ok {
		return ifi, nil
	}
	ifi, err := net.InterfaceByIndex(i)
	if err != nil {
		return nil, err
	}
	r.byIndex[i] = ifi
	return ifi, nil
}

func (r *Resolver) interfaceByName(name string) (*net.Interface, error) {
	if ifi, ok := r.byName[name]; ok {
		return ifi, nil
	}
	ifi, err := interfaceByName(name)
	if err != nil {
		return nil, err
	}
	r.byName[name] = ifi
	return ifi, nil
}

func (r *Resolver) ipv4Addrs(ifi *net.Interface) ([]netip.Prefix, error) {
	if a, ok := r.addrs4[ifi.Index]; ok {
		return a, nil
	}
	a, err := ipv4Addrs(ifi)
	if err != nil {
		return nil, err
	}
	r.addrs4[ifi.Index] = a
	return a, nil
}

func (r *Resolver) ipv6Addrs(ifi *net.Interface) ([]addr6, error) {
	if a, ok := r.addrs6[ifi.Index]; ok {
		return a, nil
	}
	a, err := ipv6Addrs(ifi)
	if err != nil {
		return nil, err
	}
	r.addrs6[ifi.Index] = a
	return a, nil
}
