package lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// The standard segment's timings; its addresses are in addresses.go.
const (
	SlowDelay = "40ms"

	// ResponderReset is how long a scripted responder must see no request
	// before it starts its MAC sequence (and announcement) over.
	ResponderReset = 300 * time.Millisecond
)

// Segment is the standard lab: a client namespace where the check runs and
// hosts that answer for each scenario's target the way its name says.
//
// The client's eth0 is 198.51.100.1/24 and 2001:db8::1/64. It also has
// interfaces for the error cases: down0 (administratively down),
// nocarrier0 (up, peer down), and bare0 (on the segment, no IPv4 address,
// IPv6 disabled).
type Segment struct {
	*Lab
	// Client is the namespace to run the check in.
	Client string
	// Sim is the namespace of the scripted responders (SimIP, SimMAC),
	// from where tests may start other misbehaving neighbours.
	Sim string
	// Allowlist is a file listing node-a, node-b and node-c with labels.
	Allowlist string
	// responder is the arpresponder binary, for the peers of peers.go.
	responder string
	// dir holds files the peers need (configurations).
	dir string
}

// NewSegment builds the standard segment. responder is the path of the
// arpresponder binary; dir is where the allowlist file is written.
func NewSegment(responder, dir string) (*Segment, error) {
	l, err := New()
	if err != nil {
		return nil, err
	}
	s := &Segment{Lab: l, responder: responder, dir: dir}
	if err := s.build(responder, dir); err != nil {
		l.Close()
		return nil, err
	}
	return s, nil
}

func (s *Segment) build(responder, dir string) error {
	var err error
	if s.Client, err = s.AddHost("client", ClientMAC, ClientIP+"/24", ClientIP6+"/64"); err != nil {
		return err
	}
	c := s.Client
	if err := s.runAll([][]string{
		{"ip", "-n", c, "route", "add", OffLinkNet, "via", GatewayIP, "dev", "eth0", "onlink"},
		{"ip", "-n", c, "-6", "route", "add", OffLinkNet6, "via", GatewayIP6, "dev", "eth0"},
		{"ip", "-n", c, "link", "add", "down0", "type", "veth", "peer", "name", "down1"},
		{"ip", "-n", c, "link", "add", "nocarrier0", "type", "veth", "peer", "name", "nocarrier1"},
		{"ip", "-n", c, "link", "set", "nocarrier0", "up"},
	}); err != nil {
		return err
	}
	if err := s.Plug(c, "bare0", ""); err != nil {
		return err
	}

	if _, err := s.AddHost("a", NodeAMAC, HealthyIP+"/24", SplitIP+"/24", HealthyIP6+"/64", SplitIP6+"/64"); err != nil {
		return err
	}
	if _, err := s.AddHost("b", NodeBMAC, SplitIP+"/24", SplitIP6+"/64"); err != nil {
		return err
	}
	if _, err := s.AddHost("rogue", RogueMAC, ConflictIP+"/24", ConflictIP6+"/64"); err != nil {
		return err
	}
	nodeC, err := s.AddHost("c", NodeCMAC, LossyIP+"/24", CoinFlipIP+"/24", LossyIP6+"/64")
	if err != nil {
		return err
	}
	// Deterministic loss: the 1st, 4th, 7th... request for the lossy
	// target is dropped before node-c's kernel sees it, so every 3-probe
	// check loses exactly one.
	if err := s.runAll([][]string{
		{"ip", "netns", "exec", nodeC, "nft", "add", "table", "arp", "lab"},
		{"ip", "netns", "exec", nodeC, "nft", "add", "chain", "arp", "lab", "in", "{ type filter hook input priority 0; }"},
		{"ip", "netns", "exec", nodeC, "nft", "add", "rule", "arp", "lab", "in", "arp", "operation", "request", "arp", "daddr", "ip", LossyIP, "numgen", "inc", "mod", "3", "0", "drop"},
		{"ip", "netns", "exec", nodeC, "nft", "add", "rule", "arp", "lab", "in", "arp", "operation", "request", "arp", "daddr", "ip", CoinFlipIP, "numgen", "random", "mod", "2", "0", "drop"},
		// The same for neighbor solicitations of the IPv6 lossy target.
		// nftables 1.0.6 has no "icmpv6 taddr", so the target address is
		// matched as the 128 bits after the ICMPv6 header's first 8 bytes.
		{"ip", "netns", "exec", nodeC, "nft", "add", "table", "ip6", "lab6"},
		{"ip", "netns", "exec", nodeC, "nft", "add", "chain", "ip6", "lab6", "in", "{ type filter hook input priority 0; }"},
		{"ip", "netns", "exec", nodeC, "nft", "add", "rule", "ip6", "lab6", "in", "icmpv6", "type", "nd-neighbor-solicit", "@th,64,128", hex128(LossyIP6), "numgen", "inc", "mod", "3", "0", "drop"},
	}); err != nil {
		return err
	}

	sim, err := s.AddHost("sim", SimMAC, SimIP+"/24", SimIP6+"/64")
	if err != nil {
		return err
	}
	s.Sim = sim
	reset := "-reset-after=" + ResponderReset.String()
	for _, r := range [][]string{
		{"-ip", FailoverIP, "-macs", NodeAMAC + "," + NodeBMAC},
		{"-ip", FlappingIP, "-macs", NodeAMAC + "," + NodeBMAC + "," + NodeAMAC},
		{"-ip", SlowIP, "-macs", NodeAMAC, "-delay", SlowDelay},
		{"-ip", AnnouncedIP, "-macs", NodeAMAC, "-announce", NodeBMAC},
		{"-ip", FailoverIP6, "-macs", NodeAMAC + "," + NodeBMAC},
		{"-ip", FlappingIP6, "-macs", NodeAMAC + "," + NodeBMAC + "," + NodeAMAC},
		{"-ip", SlowIP6, "-macs", NodeAMAC, "-delay", SlowDelay},
		{"-ip", AnnouncedIP6, "-macs", NodeAMAC, "-announce", NodeBMAC},
	} {
		if err := s.Start(sim, append([]string{responder, reset}, r...)...); err != nil {
			return err
		}
	}

	s.Allowlist = filepath.Join(dir, "nodes.allow")
	list := fmt.Sprintf("# MetalLB speakers of the lab cluster\n%s node-a\n%s node-b\n%s node-c\n", NodeAMAC, NodeBMAC, NodeCMAC)
	if err := os.WriteFile(s.Allowlist, []byte(list), 0o644); err != nil {
		return fmt.Errorf("writing the lab allowlist: %w", err)
	}
	return nil
}

// hex128 renders an IPv6 address as the 128-bit number nftables matches.
func hex128(addr string) string {
	return fmt.Sprintf("0x%x", netip.MustParseAddr(addr).As16())
}

// Scenario is one demonstration: a target and the check_arp arguments that
// show its verdict.
type Scenario struct {
	Name string
	Args []string
}

// Scenarios returns the demonstrations of the standard segment, in the
// order a newcomer should see them.
func (s *Segment) Scenarios() []Scenario {
	allow := []string{"--expect-file", s.Allowlist}
	return []Scenario{
		{"healthy: the elected node answers", append([]string{"-H", HealthyIP}, allow...)},
		{"no allowlist: the one MAC that answers is reported", []string{"-H", HealthyIP}},
		{"nobody answers", append([]string{"-H", SilentIP}, allow...)},
		{"IP conflict: a MAC outside the allowlist answers", append([]string{"-H", ConflictIP}, allow...)},
		{"split brain: two nodes answer every request", append([]string{"-H", SplitIP}, allow...)},
		{"lossy: one request in three is dropped", append([]string{"-H", LossyIP}, allow...)},
		{"failover during the check", append([]string{"-H", FailoverIP}, allow...)},
		{"flapping leader", append([]string{"-H", FlappingIP}, allow...)},
		{"slow replies against rta thresholds", append([]string{"-H", SlowIP, "-w", "20,20%", "-c", "100,60%"}, allow...)},
		{"gratuitous ARP from another node during the check", append([]string{"-H", AnnouncedIP, "-v"}, allow...)},
		{"target behind a router", []string{"-H", OffLinkIP}},
		{"IPv6: the elected node answers neighbor solicitations", append([]string{"-H", HealthyIP6}, allow...)},
		{"IPv6: a link-local target, its interface given as zone", append([]string{"-H", NodeALinkLocal + "%eth0"}, allow...)},
		{"IPv6 split brain: two nodes advertise the address", append([]string{"-H", SplitIP6}, allow...)},
		{"IPv6 flapping leader", append([]string{"-H", FlappingIP6}, allow...)},
		{"IPv6: unsolicited neighbor advertisement from another node during the check", append([]string{"-H", AnnouncedIP6, "-v"}, allow...)},
		{"IPv6 target on an interface without IPv6", []string{"-H", HealthyIP6, "-I", "bare0"}},
	}
}

// Sample is a scenario whose output is committed, generated, in
// test/parsers/testdata/outputs, where the monitoring ecosystem's own
// parsers read it: Name+".txt" is the Nagios output, Name+".exit" its exit
// code, Name+".checkmk.txt" the same check with --output checkmk.
type Sample struct {
	Name string
	Args []string
}

// Samples returns one scenario per state, each the way users meet it:
// OK, WARNING with long output (a failover during the check), CRITICAL
// without any reply, and UNKNOWN (a target behind a router), with the
// allowlist and the thresholds of contrib's examples.
func (s *Segment) Samples() []Sample {
	opts := []string{"--expect-file", s.Allowlist, "-w", "200,40%", "-c", "500,80%"}
	return []Sample{
		{"ok", append([]string{"-H", HealthyIP}, opts...)},
		{"warning-failover", append([]string{"-H", FailoverIP}, opts...)},
		{"critical-no-reply", append([]string{"-H", SilentIP}, opts...)},
		{"unknown-routed", append([]string{"-H", OffLinkIP}, opts...)},
	}
}
