package netpath

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
)

// addr6 is one IPv6 address of an interface.
type addr6 struct {
	netip.Prefix
	// tentative is set while duplicate address detection runs, and for
	// good once it failed: the kernel will not send from the address.
	tentative bool
}

// source6 returns the sender address of solicitations for req.Target on
// ifi.
func source6(ifi *net.Interface, req Request, h host) (netip.Addr, error) {
	addrs, err := h.ipv6Addrs(ifi)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		if !kernelHasIPv6() {
			return netip.Addr{}, fixable("IPv6 is disabled in this host's kernel (ipv6.disable=1), so %s cannot be checked; enable IPv6 or check the target's IPv4 address", req.Target)
		}
		if ipv6Disabled(ifi.Name) {
			return netip.Addr{}, fixable("IPv6 is disabled on %s (net.ipv6.conf.%s.disable_ipv6=1), so NDP cannot run on it; enable it with 'sysctl -w net.ipv6.conf.%s.disable_ipv6=0' or name the interface of the target's segment with -I", ifi.Name, ifi.Name, ifi.Name)
		}
	}
	return pickSource6(ifi.Name, req, addrs)
}

// pickSource6 returns the sender address: -S if the interface owns it, else
// the interface's global address whose prefix holds the target (so that the
// answer comes straight back on the link), else its link-local address. The
// route's preferred source is not used: for a global target the kernel
// prefers any global address, even one outside the target's prefix, which
// the target may only reach through a router.
func pickSource6(ifName string, req Request, addrs []addr6) (netip.Addr, error) {
	if req.Source.IsValid() {
		for _, a := range addrs {
			if a.Addr() != req.Source {
				continue
			}
			if a.tentative {
				return netip.Addr{}, fixable("-S %s on %s is tentative (duplicate address detection is running, or found a duplicate), so the kernel will not send from it; retry in a few seconds, check 'ip -6 addr show dev %s', or leave -S out", req.Source, ifName, ifName)
			}
			return req.Source, nil
		}
		return netip.Addr{}, fixable("-S %s is not an address of %s (it has %s); sending with an address this host does not own would poison other hosts' neighbor caches; use one of its addresses or leave -S out", req.Source, ifName, describe(addrs, "no IPv6 address"))
	}
	var linkLocal, other netip.Addr
	tentative := false
	for _, a := range addrs {
		switch {
		case a.tentative:
			tentative = true
		case !a.Addr().IsLinkLocalUnicast() && a.Masked().Contains(req.Target):
			return a.Addr(), nil
		case a.Addr().IsLinkLocalUnicast():
			if !linkLocal.IsValid() {
				linkLocal = a.Addr()
			}
		default:
			if !other.IsValid() {
				other = a.Addr()
			}
		}
	}
	switch {
	case linkLocal.IsValid():
		return linkLocal, nil
	case other.IsValid():
		// No link-local address (someone removed it): the next best.
		return other, nil
	case tentative:
		return netip.Addr{}, fixable("the IPv6 addresses of %s are still tentative (duplicate address detection is running, or found a duplicate), so the kernel will not send from them; retry in a few seconds or check 'ip -6 addr show dev %s'", ifName, ifName)
	}
	return netip.Addr{}, fixable("%s has no IPv6 address to send from; give it one (a link-local address is enough: 'ip link set %s down; ip link set %s up' restores it) or name the interface of the target's segment with -I", ifName, ifName, ifName)
}

// ipv6Disabled reports whether IPv6 is switched off on the interface.
// /proc/sys/net shows the caller's network namespace.
func ipv6Disabled(ifName string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + ifName + "/disable_ipv6")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// kernelHasIPv6 is false when the kernel runs without IPv6 (ipv6.disable=1).
func kernelHasIPv6() bool {
	_, err := os.Stat("/proc/sys/net/ipv6")
	return err == nil || !errors.Is(err, os.ErrNotExist)
}
