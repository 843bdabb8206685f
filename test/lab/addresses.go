package lab

// Every address the lab and the tests use, in one table, so that two tests
// that would claim the same address (and see each other's hosts, replies
// or memory) collide here, where TestAddressesAreDistinct fails. Only
// documentation ranges: 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32.
// A test that needs an address adds it here, in the range of its kind.
const (
	// .1: the client, where the check runs.
	ClientIP  = "198.51.100.1"
	ClientIP6 = "2001:db8::1"
	ClientMAC = "02:00:00:00:00:01"

	// .7: an address nobody holds, given as -S (not the client's).
	ForeignSourceIP  = "198.51.100.7"
	ForeignSourceIP6 = "2001:db8::7"

	// .10-.23: the standard segment's targets, answered by kernels
	// (node-a, node-b, node-c, rogue) or by the long-running scripted
	// responders in the sim namespace (.20-.23).
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

	// The same scenarios over IPv6 (2001:db8::/64), answered by the same
	// hosts the same way.
	HealthyIP6     = "2001:db8::10"    // node-a's kernel answers
	SilentIP6      = "2001:db8::11"    // nobody answers
	ConflictIP6    = "2001:db8::12"    // a rogue host's kernel answers
	SplitIP6       = "2001:db8::13"    // node-a and node-b both answer
	LossyIP6       = "2001:db8::14"    // node-c answers, but drops every 3rd solicitation
	FailoverIP6    = "2001:db8::20"    // node-a answers the 1st solicitation, node-b the rest
	FlappingIP6    = "2001:db8::21"    // node-a, node-b, node-a
	SlowIP6        = "2001:db8::22"    // node-a answers after 40ms
	AnnouncedIP6   = "2001:db8::23"    // node-a answers; node-b sends an unsolicited advertisement
	NodeALinkLocal = "fe80::ff:fe00:a" // node-a's link-local address, from its MAC (EUI-64)

	NodeAMAC = "02:00:00:00:00:0a"
	NodeBMAC = "02:00:00:00:00:0b"
	NodeCMAC = "02:00:00:00:00:0c"
	RogueMAC = "02:00:00:00:00:99"

	// .30: a target a proxy-ARP / proxy-NDP router answers for.
	ProxiedIP  = "198.51.100.30"
	ProxiedIP6 = "2001:db8::30"

	// .34-.37: targets of the scripted responders that a scenario test
	// starts for one check each (failover, flapping, slow, announced),
	// apart from the long-running ones of .20-.23.
	ScriptedFailoverIP   = "198.51.100.34"
	ScriptedFlappingIP   = "198.51.100.35"
	ScriptedSlowIP       = "198.51.100.36"
	ScriptedAnnouncedIP  = "198.51.100.37"
	ScriptedFailoverIP6  = "2001:db8::34"
	ScriptedFlappingIP6  = "2001:db8::35"
	ScriptedSlowIP6      = "2001:db8::36"
	ScriptedAnnouncedIP6 = "2001:db8::37"

	// .40-.44: the memory tests' targets, which they move between node-a
	// and node-b between runs; one per test, so that no test sees
	// another's memory.
	MovingIP     = "198.51.100.40"
	MovingIP6    = "2001:db8::40"
	MovedOKIP    = "198.51.100.41"
	BurstIP      = "198.51.100.42"
	KilledIP     = "198.51.100.43"
	UnprivMoveIP = "198.51.100.44"

	// .50: the sim namespace, home of the scripted responders and of the
	// hostile neighbours tests start.
	SimIP  = "198.51.100.50"
	SimIP6 = "2001:db8::50"
	SimMAC = "02:00:00:00:00:5e"

	// .51 and .71-.72: keepalived's VIP (VRID 51) and the two
	// partitioned keepalived hosts that both hold it.
	VRRPIP   = "198.51.100.51"
	VRRPIP6  = "2001:db8::51"
	VRRPAIP  = "198.51.100.71"
	VRRPAIP6 = "2001:db8::71"
	VRRPAMAC = "02:00:00:00:00:71"
	VRRPBIP  = "198.51.100.72"
	VRRPBIP6 = "2001:db8::72"
	VRRPBMAC = "02:00:00:00:00:72"
	VRRPMAC  = "00:00:5e:00:01:33" // VRID 51's virtual MAC for IPv4 (RFC 5798)
	VRRPMAC6 = "00:00:5e:00:02:33" // and for IPv6
	VRID     = 51

	// .60-.70: MetalLB-like speakers: the VIPs they answer for (.60,
	// .61, .63, .67, .68) and their own hosts' addresses (.62, .64-.66,
	// .69, .70).
	SpeakerIP          = "198.51.100.60" // a MetalLB-like speaker answers, 5-80ms late
	SpeakerIP6         = "2001:db8::60"
	Speaker2IP         = "198.51.100.61" // two MetalLB-like speakers answer (split brain, one late)
	Speaker2IP6        = "2001:db8::61"
	SpeakerHostIP      = "198.51.100.62"
	SpeakerHostIP6     = "2001:db8::62"
	UserspaceIP        = "198.51.100.63" // a userspace responder without artificial lag
	UserspaceHostIP    = "198.51.100.64"
	UserspaceHostIP6   = "2001:db8::64"
	Speaker2AHostIP    = "198.51.100.65"
	Speaker2AHostIP6   = "2001:db8::65"
	Speaker2BHostIP    = "198.51.100.66"
	Speaker2BHostIP6   = "2001:db8::66"
	SpeakerMAC         = "02:00:00:00:00:60"
	Speaker2MAC        = "02:00:00:00:00:61" // speaker2a's; speaker2b answers from Speaker2BMAC
	UserspaceMAC       = "02:00:00:00:00:63"
	Speaker2BMAC       = "02:00:00:00:00:66"
	LeaderIP           = "198.51.100.67" // a speaker that takes over: announcement rounds
	LeaderIP6          = "2001:db8::67"
	LeaderMAC          = "02:00:00:00:00:67"
	LeaderHostIP       = "198.51.100.70"
	LeaderHostIP6      = "2001:db8::70"
	LateSpeakerIP      = "198.51.100.68" // a speaker 300-320 ms late, after the next request
	LateSpeakerIP6     = "2001:db8::68"
	LateSpeakerMAC     = "02:00:00:00:00:68"
	LateSpeakerHostIP  = "198.51.100.69"
	LateSpeakerHostIP6 = "2001:db8::69"

	// .80-.81: a macvlan's parent host and its child.
	MacvlanParentIP  = "198.51.100.80"
	MacvlanParentIP6 = "2001:db8::80"
	MacvlanParentMAC = "02:00:00:00:00:80"
	MacvlanIP        = "198.51.100.81" // a macvlan child of mvhost's eth0
	MacvlanIP6       = "2001:db8::81"
	MacvlanMAC       = "02:00:00:00:00:81"

	// .100-.199 and ::1000-::13e7: pools of addresses one host's kernel
	// answers (the pool tests' and make bench's), and no other address.
	PoolFirst  = "198.51.100.100"
	PoolLast   = "198.51.100.199"
	PoolFirst6 = "2001:db8::1000"
	PoolLast6  = "2001:db8::13e7"
	PoolMAC    = "02:00:00:00:00:0d"

	// .253: the proxy-ARP router's own address.
	RouterIP   = "198.51.100.253"
	RouterIP6  = "2001:db8::fd"
	RouterMAC  = "02:00:00:00:00:fe"
	GatewayIP  = "198.51.100.254" // the client's route to OffLinkNet goes via this address nobody holds
	GatewayIP6 = "2001:db8::fe"

	// Off the segment: targets behind the gateway, and ones without any
	// route.
	OffLinkNet      = "203.0.113.0/25"
	OffLinkIP       = "203.0.113.5"
	OffLinkNet6     = "2001:db8:1::/64"
	OffLinkIP6      = "2001:db8:1::5"
	NoRouteIP       = "203.0.113.200" // outside OffLinkNet; the client has no default route
	NoRouteIP6      = "2001:db8:2::1"
	ClusterNet      = "203.0.113.0/30" // the engine tests' Icinga 2 master-agent link, inside OffLinkNet, more specific
	ClusterMasterIP = "203.0.113.1"    // the Icinga 2 master's end
	ClusterAgentIP  = "203.0.113.2"    // the agent's end (the client namespace)
)
