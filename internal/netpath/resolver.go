package netpath

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// Resolver resolves the paths of many targets, as Resolve does each one,
// through one netlink socket: LookUpRoutes asks for all their routes in a
// few system calls, and each interface, and its addresses, is read once.
// It is for one goroutine, and for the moment of one run: routes,
// interfaces and addresses that change while it is used are not seen.
type Resolver struct {
	c       *rtnl
	routes  map[netip.Addr]routeReply
	byIndex map[int]*net.Interface
	byName  map[string]*net.Interface
	addrs4  map[int][]netip.Prefix
	addrs6  map[int][]addr6
}

// NewResolver opens the netlink socket, whose calls give up at ctx's
// deadline. Close releases it.
func NewResolver(ctx context.Context) (*Resolver, error) {
	r, err := newResolver(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening a netlink socket for the route lookups: %w", err)
	}
	return r, nil
}

func newResolver(ctx context.Context) (*Resolver, error) {
	c, err := dialRTNL(ctx)
	if err != nil {
		return nil, err
	}
	return &Resolver{
		c:       c,
		routes:  make(map[netip.Addr]routeReply),
		byIndex: make(map[int]*net.Interface),
		byName:  make(map[string]*net.Interface),
		addrs4:  make(map[int][]netip.Prefix),
		addrs6:  make(map[int][]addr6),
	}, nil
}

// Close releases the netlink socket.
func (r *Resolver) Close() { r.c.close() }

// LookUpRoutes asks the kernel for the routes of every request that needs
// one (no -I, not link-local), all at once, for Resolve to use: the
// kernel answers each as it would alone. A failure here is not final:
// Resolve asks again for a route it does not have.
func (r *Resolver) LookUpRoutes(reqs []Request) {
	var targets []netip.Addr
	seen := make(map[netip.Addr]bool, len(reqs))
	for _, q := range reqs {
		t := q.Target
		if q.Interface != "" || (t.Is6() && t.IsLinkLocalUnicast()) || seen[t] {
			continue
		}
		seen[t] = true
		targets = append(targets, t)
	}
	replies, err := r.c.routes(targets)
	if err != nil {
		return
	}
	for i, t := range targets {
		r.routes[t] = replies[i]
	}
}

// Resolve is Resolve with the resolver's socket and caches.
func (r *Resolver) Resolve(ctx context.Context, req Request) (Path, error) {
	return resolve(ctx, req, r)
}

func (r *Resolver) routeTo(ctx context.Context, target netip.Addr) (*net.Interface, netip.Addr, error) {
	reply, ok := r.routes[target]
	if !ok {
		replies, err := r.c.routes([]netip.Addr{target})
		if err != nil {
			return nil, netip.Addr{}, routeError(ctx, target, err)
		}
		reply = replies[0]
	}
	return onLink(ctx, target, reply, r.interfaceByIndex)
}

func (r *Resolver) interfaceByIndex(i int) (*net.Interface, error) {
	if ifi, ok := r.byIndex[i]; ok {
		return ifi, nil
	}
	ifi, err := r.c.link(i, "")
	if err != nil {
		return nil, err
	}
	r.byIndex[i] = ifi
	return ifi, nil
}

// interfaceByName finds an interface by name or, as zones may give it, by
// index.
func (r *Resolver) interfaceByName(name string) (*net.Interface, error) {
	if ifi, ok := r.byName[name]; ok {
		return ifi, nil
	}
	ifi, err := r.linkByName(name)
	if err != nil {
		return nil, err
	}
	r.byName[name] = ifi
	return ifi, nil
}

func (r *Resolver) linkByName(name string) (*net.Interface, error) {
	if name != "" && len(name) < unix.IFNAMSIZ {
		ifi, err := r.c.link(0, name)
		if err == nil {
			return ifi, nil
		}
		if i, perr := strconv.Atoi(name); perr == nil && i > 0 {
			return r.interfaceByIndex(i)
		}
		return nil, err
	}
	if i, perr := strconv.Atoi(name); perr == nil && i > 0 {
		return r.interfaceByIndex(i)
	}
	return nil, errNoSuchInterface
}

func (r *Resolver) ipv4Addrs(ifi *net.Interface) ([]netip.Prefix, error) {
	if a, ok := r.addrs4[ifi.Index]; ok {
		return a, nil
	}
	list, err := r.c.addrs(ifi.Index, unix.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("listing the addresses of %s: %w", ifi.Name, err)
	}
	var a []netip.Prefix
	for _, x := range list {
		a = append(a, x.prefix)
	}
	r.addrs4[ifi.Index] = a
	return a, nil
}

// ipv6Addrs lists ifi's IPv6 addresses with their state, which the net
// package does not tell.
func (r *Resolver) ipv6Addrs(ifi *net.Interface) ([]addr6, error) {
	if a, ok := r.addrs6[ifi.Index]; ok {
		return a, nil
	}
	list, err := r.c.addrs(ifi.Index, unix.AF_INET6)
	if err != nil && !errors.Is(err, unix.EAFNOSUPPORT) {
		return nil, fmt.Errorf("listing the IPv6 addresses of %s: %w", ifi.Name, err)
	}
	var a []addr6
	for _, x := range list {
		if x.prefix.Addr().Is4In6() {
			continue
		}
		a = append(a, addr6{
			Prefix:    x.prefix,
			tentative: x.flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0,
		})
	}
	r.addrs6[ifi.Index] = a
	return a, nil
}
