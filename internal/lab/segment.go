package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The standard segment's addresses and MACs. Only documentation ranges
// (198.51.100.0/24, 203.0.113.0/24) are used.
const (
	ClientIP  = "198.51.100.1"
	ClientMAC = "02:00:00:00:00:01"

	NodeAMAC = "02:00:00:00:00:0a"
	NodeBMAC = "02:00:00:00:00:0b"
	NodeCMAC = "02:00:00:00:00:0c"
	RogueMAC = "02:00:00:00:00:99"
	SimMAC   = "02:00:00:00:00:5e"

	HealthyIP   = "198.51.100.10" // node-a's kernel answers
	SilentIP    = "198.51.100.11" // nobody answers
	ConflictIP  = "198.51.100.12" // a rogue host's kernel answers
	SplitIP     = "198.51.100.13" // node-a and node-b both answer
	LossyIP     = "198.51.100.14" // node-c answers, but drops every 3rd request
	CoinFlipIP  = "198.51.100.15" // node-c answers, but drops each request with probability 1/2
	FailoverIP  = "198.51.100.20" // node-a answers the 1st request, node-b the rest
	FlappingIP  = "198.51.100.21" // node-a, node-b, node-a
	SlowIP      = "198.51.100.22" // node-a answers after 40ms
	AnnouncedIP = "198.51.100.23" // node-a answers; node-b announces it by gratuitous ARP
	OffLinkIP   = "203.0.113.5"   // routed via 198.51.100.254: not on the segment

	SlowDelay = "40ms"

	// ResponderReset is how long a scripted responder must see no request
	// before it starts its MAC sequence (and announcement) over.
	ResponderReset = 300 * time.Millisecond
)

// Segment is the standard lab: a client namespace where the check runs and
// hosts that answer for each scenario's target the way its name says.
//
// The client's eth0 is 198.51.100.1/24. It also has interfaces for the
// error cases: down0 (administratively down), nocarrier0 (up, peer down),
// and bare0 (on the segment, no IPv4 address).
type Segment struct {
	*Lab
	// Client is the namespace to run the check in.
	Client string
	// Sim is the namespace of the scripted responders (198.51.100.50,
	// 02:00:00:00:00:5e), from where tests may start other misbehaving
	// neighbours.
	Sim string
	// Allowlist is a file listing node-a, node-b and node-c with labels.
	Allowlist string
}

// NewSegment builds the standard segment. responder is the path of the
// arpresponder binary; dir is where the allowlist file is written.
func NewSegment(responder, dir string) (*Segment, error) {
	l, err := New()
	if err != nil {
		return nil, err
	}
	s := &Segment{Lab: l}
	if err := s.build(responder, dir); err != nil {
		l.Close()
		return nil, err
	}
	return s, nil
}

func (s *Segment) build(responder, dir string) error {
	var err error
	if s.Client, err = s.AddHost("client", ClientMAC, ClientIP+"/24"); err != nil {
		return err
	}
	c := s.Client
	if err := s.runAll([][]string{
		{"ip", "-n", c, "route", "add", "203.0.113.0/24", "via", "198.51.100.254", "dev", "eth0", "onlink"},
		{"ip", "-n", c, "link", "add", "down0", "type", "veth", "peer", "name", "down1"},
		{"ip", "-n", c, "link", "add", "nocarrier0", "type", "veth", "peer", "name", "nocarrier1"},
		{"ip", "-n", c, "link", "set", "nocarrier0", "up"},
	}); err != nil {
		return err
	}
	if err := s.Plug(c, "bare0", ""); err != nil {
		return err
	}

	if _, err := s.AddHost("a", NodeAMAC, HealthyIP+"/24", SplitIP+"/24"); err != nil {
		return err
	}
	if _, err := s.AddHost("b", NodeBMAC, SplitIP+"/24"); err != nil {
		return err
	}
	if _, err := s.AddHost("rogue", RogueMAC, ConflictIP+"/24"); err != nil {
		return err
	}
	nodeC, err := s.AddHost("c", NodeCMAC, LossyIP+"/24", CoinFlipIP+"/24")
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
	}); err != nil {
		return err
	}

	sim, err := s.AddHost("sim", SimMAC, "198.51.100.50/24")
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
	}
}
