// Package netpath finds where a check's probes leave: the interface that
// reaches the target directly and the sender address to use on it, for
// ARP (IPv4) and NDP (IPv6) alike.
package netpath

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// Request names what the operator asked for.
type Request struct {
	// Target is the address to probe, IPv4 or IPv6 (without zone).
	Target netip.Addr
	// Interface is the -I name (or index), or "" to find it by route
	// lookup. An IPv6 link-local target needs one.
	Interface string
	// Source is the -S address, or the zero Addr to pick one. The
	// unspecified address (0.0.0.0) asks for RFC 5227 probes; IPv6 has no
	// such thing.
	Source netip.Addr
}

// Path is where the probes leave.
type Path struct {
	Interface *net.Interface
	Source    netip.Addr
}

// Error is a problem with the host's setup or the operator's choice that the
// operator can fix; its message says how.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func fixable(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// Resolve picks the interface and source address for req. Without -I it
// asks the kernel for the route to the target and insists that the target
// is on-link: neither ARP nor neighbor discovery crosses a router.
func Resolve(ctx context.Context, req Request) (Path, error) {
	r, err := newResolver(ctx)
	if err != nil {
		return Path{}, fmt.Errorf("opening a netlink socket for the route lookup: %w", err)
	}
	defer r.Close()
	return r.Resolve(ctx, req)
}

// host is how resolve reads the host's interfaces, addresses and routes;
// tests replace it.
type host interface {
	routeTo(ctx context.Context, target netip.Addr) (*net.Interface, netip.Addr, error)
	interfaceByName(name string) (*net.Interface, error)
	ipv4Addrs(ifi *net.Interface) ([]netip.Prefix, error)
	ipv6Addrs(ifi *net.Interface) ([]addr6, error)
}

func resolve(ctx context.Context, req Request, h host) (Path, error) {
	var (
		ifi      *net.Interface
		routeSrc netip.Addr
		err      error
	)
	switch {
	case req.Interface != "":
		ifi, err = h.interfaceByName(req.Interface)
		if err != nil {
			return Path{}, fixable("interface %s does not exist on this host; 'ip -br link' lists the interfaces", quoteIfOdd(req.Interface))
		}
	case req.Target.Is6() && req.Target.IsLinkLocalUnicast():
		return Path{}, fixable("%s is a link-local address, which every link has; name its interface with -I or as a zone (%s%%eth0)", req.Target, req.Target)
	default:
		ifi, routeSrc, err = h.routeTo(ctx, req.Target)
		if err != nil {
			return Path{}, err
		}
	}
	if err := usable(ifi, protocol(req.Target)); err != nil {
		return Path{}, err
	}
	if req.Target.Is6() {
		src, err := source6(ifi, req, h)
		if err != nil {
			return Path{}, err
		}
		return Path{Interface: ifi, Source: src}, nil
	}
	addrs, err := h.ipv4Addrs(ifi)
	if err != nil {
		return Path{}, err
	}
	src, err := pickSource(ifi.Name, req, routeSrc, addrs)
	if err != nil {
		return Path{}, err
	}
	return Path{Interface: ifi, Source: src}, nil
}

// protocol names the protocol that resolves target, for messages.
func protocol(target netip.Addr) string {
	if target.Is6() {
		return "NDP"
	}
	return "ARP"
}

// routeError is the sentence for a failed route lookup of target.
func routeError(ctx context.Context, target netip.Addr, err error) error {
	if target.Is6() && !kernelHasIPv6() {
		return fixable("IPv6 is disabled in this host's kernel (ipv6.disable=1), so %s cannot be checked; enable IPv6 or check the target's IPv4 address", target)
	}
	if errors.Is(err, unix.ENETUNREACH) || errors.Is(err, unix.EHOSTUNREACH) {
		return fixable("this host has no route to %s; run check_arp on a host in the target's L2 segment, or name the interface with -I", target)
	}
	if ctx.Err() != nil || errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("looking up the route to %s: timed out", target)
	}
	return fmt.Errorf("looking up the route to %s: %w", target, err)
}

// onLink turns the kernel's route to target into its interface and
// preferred source, insisting on a directly connected unicast route;
// byIndex finds the interface of the route.
func onLink(ctx context.Context, target netip.Addr, r routeReply, byIndex func(int) (*net.Interface, error)) (*net.Interface, netip.Addr, error) {
	if r.err != nil {
		return nil, netip.Addr{}, routeError(ctx, target, r.err)
	}
	if r.typ == unix.RTN_LOCAL {
		what := "ARP requests"
		if target.Is6() {
			what = "neighbor solicitations"
		}
		return nil, netip.Addr{}, fixable("%s is an address of this host, which does not answer its own %s; check it from another host on the segment", target, what)
	}
	ifi, err := byIndex(r.ifIndex)
	if err != nil {
		return nil, netip.Addr{}, fmt.Errorf("the route to %s uses interface index %d: %w", target, r.ifIndex, err)
	}
	if r.gateway.IsValid() {
		what := "ARP does"
		if target.Is6() {
			what = "neighbor discovery does"
		}
		return nil, netip.Addr{}, fixable("%s is not on a directly connected network: the route goes via gateway %s on %s, and %s not cross routers; run check_arp on a host in the target's L2 segment, or name the interface with -I", target, r.gateway.Unmap(), ifi.Name, what)
	}
	return ifi, r.prefSrc.Unmap(), nil
}

// usable insists on an Ethernet interface that is up and has a carrier.
func usable(ifi *net.Interface, proto string) error {
	switch {
	case ifi.Flags&net.FlagLoopback != 0 || len(ifi.HardwareAddr) != 6:
		return fixable("%s is not an Ethernet interface, so %s cannot run on it; name the interface of the target's segment with -I", ifi.Name, proto)
	case ifi.Flags&net.FlagUp == 0:
		return fixable("interface %s is down; bring it up (ip link set %s up) or name another with -I", ifi.Name, ifi.Name)
	case ifi.Flags&net.FlagRunning == 0:
		return fixable("interface %s is up but has no carrier (no link), so its segment cannot be probed; check the cable, switch port or peer", ifi.Name)
	}
	return nil
}

// pickSource returns the sender address: -S if the interface owns it (or
// 0.0.0.0), else the route's preferred source, else the interface address
// in the target's subnet, else its first IPv4 address.
func pickSource(ifName string, req Request, routeSrc netip.Addr, addrs []netip.Prefix) (netip.Addr, error) {
	if req.Source.IsValid() {
		if req.Source.IsUnspecified() {
			return req.Source, nil
		}
		for _, p := range addrs {
			if p.Addr() == req.Source {
				return req.Source, nil
			}
		}
		return netip.Addr{}, fixable("-S %s is not an address of %s (it has %s); sending with an address this host does not own would poison other hosts' ARP caches; use one of its addresses or -S 0.0.0.0 for RFC 5227 probes", req.Source, ifName, describe(addrs, "no IPv4 address"))
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fixable("%s has no IPv4 address to send from; give it one, or send RFC 5227 probes with -S 0.0.0.0", ifName)
	}
	for _, p := range addrs {
		if p.Addr() == routeSrc {
			return routeSrc, nil
		}
	}
	for _, p := range addrs {
		if p.Masked().Contains(req.Target) {
			return p.Addr(), nil
		}
	}
	return addrs[0].Addr(), nil
}

// describe lists an interface's addresses of one family, for a message
// that refuses a source address; none names the family ("no IPv4
// address").
func describe[A interface{ Addr() netip.Addr }](addrs []A, none string) string {
	if len(addrs) == 0 {
		return none
	}
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.Addr().String()
	}
	return strings.Join(s, ", ")
}

// quoteIfOdd quotes a name that holds anything but printable ASCII without
// spaces, so that a stray newline cannot split the plugin output.
func quoteIfOdd(name string) string {
	for _, r := range name {
		if r <= ' ' || r > '~' {
			return fmt.Sprintf("%q", name)
		}
	}
	return name
}
