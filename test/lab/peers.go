package lab

// Peers that behave as the responders people run do, for the scenarios of
// real responders: MetalLB's speaker, a proxy-ARP router, keepalived with
// a virtual MAC, a macvlan host. Each is added to a standard Segment on
// demand, since most tests do not need them.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Speaker describes a MetalLB-like layer-2 speaker.
type Speaker struct {
	// Role names the namespace; MAC is its interface's MAC, the one it
	// answers from; IP and IP6 its own addresses.
	Role    string
	MAC     string
	IP, IP6 string
	// IPs are the VIPs it answers for.
	IPs []string
	// LagMin and LagMax bound the random lag of each reply; replies
	// leave in turn, so a burst of requests puts it behind.
	LagMin, LagMax time.Duration
	// TakeoverRounds is how many announcement rounds it sends on start,
	// TakeoverEvery apart (MetalLB: for 5 s after it becomes leader).
	TakeoverRounds int
	TakeoverEvery  time.Duration
	// TakeoverAfter delays the first round after the speaker starts.
	TakeoverAfter time.Duration
}

// AddSpeaker adds a host that answers for the VIPs as MetalLB's layer-2
// speaker does, from userspace and from its own interface's MAC: ARP
// requests only when broadcast or sent to that MAC; IPv6 solicitations
// only when sent to the VIP's solicited-node group (it does not own the
// VIP, so the kernel never hands it a unicast solicitation, metallb#2920);
// solicited advertisements without the Override flag; each reply after a
// random lag, in turn. It returns the namespace.
func (s *Segment) AddSpeaker(sp Speaker) (string, error) {
	ns, err := s.AddHost(sp.Role, sp.MAC, sp.IP+"/24", sp.IP6+"/64")
	if err != nil {
		return "", err
	}
	// The NDP socket binds to the link-local address, which the kernel
	// adds a moment after the link comes up.
	for i := 0; ; i++ {
		out, err := s.Output(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link", "-tentative")
		if err == nil && strings.Contains(out, "fe80:") {
			break
		}
		if i == 100 {
			return "", fmt.Errorf("no link-local address on %s's eth0 after 5s", ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, ip := range sp.IPs {
		argv := []string{s.responder, "-metallb", "-ip", ip, "-macs", sp.MAC,
			"-lag-min", sp.LagMin.String(), "-lag-max", sp.LagMax.String()}
		if sp.TakeoverRounds > 0 {
			argv = append(argv, "-takeover-rounds", strconv.Itoa(sp.TakeoverRounds), "-takeover-every", sp.TakeoverEvery.String(),
				"-takeover-after", sp.TakeoverAfter.String())
		}
		if err := s.Start(ns, argv...); err != nil {
			return "", err
		}
	}
	return ns, nil
}

// AddProxyARPRouter adds a Linux router that answers for targets it routes
// elsewhere with proxy ARP (IPv4) and proxy NDP (IPv6), from its own MAC
// (RouterMAC), with the kernel's default proxy_delay: each reply to a
// broadcast or multicast request waits a random 0-0.8 s (requests sent to
// the router's MAC are answered at once). It returns the namespace.
func (s *Segment) AddProxyARPRouter(targets ...string) (string, error) {
	ns, err := s.AddHost("router", RouterMAC, RouterIP+"/24", RouterIP6+"/64")
	if err != nil {
		return "", err
	}
	steps := [][]string{
		// eth1 leads to the network the targets live in.
		{"ip", "-n", ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"},
		{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth1.disable_ipv6=0", "net.ipv6.conf.eth1p.disable_ipv6=0"},
		{"ip", "-n", ns, "link", "set", "eth1p", "up"},
		{"ip", "-n", ns, "link", "set", "eth1", "up"},
		{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.eth0.proxy_arp=1",
			"net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.eth0.proxy_ndp=1"},
	}
	for _, t := range targets {
		if strings.Contains(t, ":") {
			steps = append(steps,
				[]string{"ip", "-n", ns, "-6", "route", "add", t + "/128", "dev", "eth1"},
				[]string{"ip", "-n", ns, "-6", "neigh", "add", "proxy", t, "dev", "eth0"})
		} else {
			steps = append(steps, []string{"ip", "-n", ns, "route", "add", t + "/32", "dev", "eth1"})
		}
	}
	if err := s.runAll(steps); err != nil {
		return "", err
	}
	return ns, nil
}

// AddVRRPSplitBrain adds two keepalived 2.2.7 hosts (vrrp-a, vrrp-b) that
// share VRRPIP and VRRPIP6 with use_vmac, VRID 51, partitioned by nftables
// (each drops the other's VRRP advertisements), so that both become
// MASTER and both answer every request from the virtual MACs VRRPMAC and
// VRRPMAC6. It returns when both hold both VIPs on their virtual MAC
// interfaces.
func (s *Segment) AddVRRPSplitBrain() ([2]string, error) {
	var nss [2]string
	if _, err := exec.LookPath("keepalived"); err != nil {
		return nss, errors.New("the VRRP scenario needs keepalived (apt-get install keepalived)")
	}
	hosts := [2]struct{ role, ip, ip6, mac string }{{"vrrp-a", VRRPAIP, VRRPAIP6, VRRPAMAC}, {"vrrp-b", VRRPBIP, VRRPBIP6, VRRPBMAC}}
	for i, h := range hosts {
		role := h.role
		ns := s.Name + "-" + role
		if err := s.addNamespace(ns); err != nil {
			return nss, err
		}
		nss[i] = ns
		// The virtual MAC interfaces keepalived creates need IPv6, and the
		// base interface must leave the VIP to them: arp_ignore=1 as
		// keepalived's documentation asks for use_vmac.
		if err := s.runAll([][]string{
			{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.default.accept_dad=0"},
		}); err != nil {
			return nss, err
		}
		if err := s.Plug(ns, "eth0", h.mac, h.ip+"/24", h.ip6+"/64"); err != nil {
			return nss, err
		}
		if err := s.runAll([][]string{
			{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.all.arp_ignore=1"},
			{"ip", "netns", "exec", ns, "nft", "add", "table", "inet", "partition"},
			{"ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "partition", "in", "{ type filter hook input priority 0; }"},
			{"ip", "netns", "exec", ns, "nft", "add", "rule", "inet", "partition", "in", "meta", "l4proto", "112", "drop"},
		}); err != nil {
			return nss, err
		}
		dir := filepath.Join(s.dir, ns)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nss, err
		}
		conf := filepath.Join(dir, "keepalived.conf")
		if err := os.WriteFile(conf, []byte(keepalivedConf(role, 100-10*i)), 0o600); err != nil {
			return nss, err
		}
		pids := []string{filepath.Join(dir, "keepalived.pid"), filepath.Join(dir, "vrrp.pid")}
		if _, err := s.Daemon(ns, "keepalived", "--dont-fork", "--log-console", "--vrrp",
			"--use-file", conf, "--pid", pids[0], "--vrrp_pid", pids[1]); err != nil {
			return nss, err
		}
		s.OnClose(func() { stopByPIDFile(pids[0]) })
	}
	// Both become MASTER after 3 missed advertisements (0.3 s) plus skew.
	deadline := time.Now().Add(15 * time.Second)
	for _, ns := range nss {
		for {
			out, _ := s.Output(ns, "ip", "-o", "addr", "show")
			if strings.Contains(out, " "+VRRPIP+"/") && strings.Contains(out, " "+VRRPIP6+"/") {
				break
			}
			if time.Now().After(deadline) {
				return nss, fmt.Errorf("keepalived in %s did not take the VIPs in 15s: %s", ns, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nss, nil
}

// keepalivedConf is one node's configuration: VRRPv3 every 100 ms, the
// IPv4 and IPv6 VIPs each on its own virtual MAC interface.
func keepalivedConf(role string, priority int) string {
	return fmt.Sprintf(`global_defs {
	router_id %[1]s
	vrrp_version 3
	enable_script_security
}
vrrp_instance v4 {
	state BACKUP
	interface eth0
	virtual_router_id %[2]d
	priority %[3]d
	advert_int 0.1
	use_vmac vrrp4.%[2]d
	virtual_ipaddress {
		%[4]s/24
	}
}
vrrp_instance v6 {
	state BACKUP
	interface eth0
	virtual_router_id %[2]d
	priority %[3]d
	advert_int 0.1
	use_vmac vrrp6.%[2]d
	virtual_ipaddress {
		%[5]s/64
	}
}
`, role, VRID, priority, VRRPIP, VRRPIP6)
}

// stopByPIDFile sends SIGTERM to the process in file and waits up to 2 s
// for it to go, so a daemon removes what it created.
func stopByPIDFile(file string) {
	b, err := os.ReadFile(file)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	if syscall.Kill(pid, syscall.SIGTERM) != nil {
		return
	}
	for range 20 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AddMacvlanHost adds a host (mvhost: eth0, MacvlanParentIP and IP6)
// whose eth0 is the parent of a macvlan in bridge mode that lives in a
// second namespace (mvchild: MacvlanMAC, MacvlanIP, MacvlanIP6), as a
// container on that host. The kernel never delivers frames between a
// macvlan's parent and its children, so a check run on mvhost's eth0
// towards MacvlanIP gets no answer, while one from the client does. The
// host also has a macvlan of eth0 of its own, without an address (mvshim:
// the "shim" operators add to reach their containers from the host), so
// that the parent's namespace sees that eth0 has macvlan children: a
// child that lives only in another namespace is invisible from the
// parent's without CAP_NET_ADMIN there. It returns the parent's and the
// child's namespaces.
func (s *Segment) AddMacvlanHost() (parent, child string, err error) {
	if parent, err = s.AddHost("mvhost", MacvlanParentMAC, MacvlanParentIP+"/24", MacvlanParentIP6+"/64"); err != nil {
		return "", "", err
	}
	child = s.Name + "-mvchild"
	if err = s.addNamespace(child); err != nil {
		return "", "", err
	}
	err = s.runAll([][]string{
		{"ip", "-n", parent, "link", "add", "mv0", "link", "eth0", "type", "macvlan", "mode", "bridge"},
		{"ip", "-n", parent, "link", "set", "mv0", "netns", child},
		{"ip", "-n", child, "link", "set", "mv0", "address", MacvlanMAC},
		{"ip", "netns", "exec", child, "sysctl", "-qw", "net.ipv6.conf.mv0.disable_ipv6=0", "net.ipv6.conf.mv0.accept_dad=0", "net.ipv6.conf.lo.disable_ipv6=0"},
		{"ip", "-n", child, "addr", "add", MacvlanIP + "/24", "dev", "mv0"},
		{"ip", "-n", child, "addr", "add", MacvlanIP6 + "/64", "dev", "mv0"},
		{"ip", "-n", child, "link", "set", "mv0", "up"},
		{"ip", "-n", parent, "link", "add", "mvshim", "link", "eth0", "type", "macvlan", "mode", "bridge"},
		{"ip", "-n", parent, "link", "set", "mvshim", "up"},
	})
	if err == nil {
		err = s.WaitSolicitable(child, "mv0", MacvlanIP6)
	}
	return parent, child, err
}

// PeerScenarios adds the real-responder peers the demonstrations need (a
// MetalLB-like speaker, keepalived with a virtual MAC split by a
// partition, a proxy-ARP router) and returns their scenarios. A peer that
// cannot be set up (keepalived missing) is left out, with why in skipped.
func (s *Segment) PeerScenarios() (scenarios []Scenario, skipped []error) {
	if _, err := s.AddSpeaker(Speaker{Role: "speaker", MAC: SpeakerMAC, IP: SpeakerHostIP, IP6: SpeakerHostIP6,
		IPs: []string{SpeakerIP, SpeakerIP6}, LagMin: 5 * time.Millisecond, LagMax: 80 * time.Millisecond}); err != nil {
		skipped = append(skipped, fmt.Errorf("MetalLB-like speaker: %w", err))
	} else {
		expect := []string{"-e", SpeakerMAC + "=speaker"}
		scenarios = append(scenarios,
			Scenario{"MetalLB-like speaker (userspace, 5-80 ms late): IPv4 answered, unicast request too", append([]string{"-H", SpeakerIP}, expect...)},
			Scenario{"MetalLB-like speaker, IPv6: it never answers a unicast solicitation (metallb#2920)", append([]string{"-H", SpeakerIP6}, expect...)})
	}
	if _, err := s.AddVRRPSplitBrain(); err != nil {
		skipped = append(skipped, fmt.Errorf("keepalived split brain: %w", err))
	} else {
		scenarios = append(scenarios,
			Scenario{"keepalived use_vmac after a VRRP partition: two masters behind the virtual MAC", []string{"-H", VRRPIP}},
			Scenario{"the same over IPv6", []string{"-H", VRRPIP6}})
	}
	if _, err := s.AddProxyARPRouter(ProxiedIP, ProxiedIP6); err != nil {
		skipped = append(skipped, fmt.Errorf("proxy-ARP router: %w", err))
	} else {
		expect := []string{"-e", RouterMAC + "=router"}
		scenarios = append(scenarios,
			Scenario{"proxy-ARP router (proxy_delay up to 0.8 s): replies after the next request", append([]string{"-H", ProxiedIP, "-t", "2"}, expect...)},
			Scenario{"proxy-NDP router with only eth0.proxy_ndp set: it forwards unicast solicitations", append([]string{"-H", ProxiedIP6, "-t", "3"}, expect...)})
	}
	return scenarios, skipped
}
