package ndpprobe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// A raw ICMPv6 socket never sees solicitations leaving the host, and every
// such socket bound to the same source receives every advertisement sent
// to it: while another process (another check of the same address, ndisc6,
// the kernel resolving it) asks for the target, its answers land among
// ours, indistinguishable. The watch socket counts, in the kernel, every
// solicitation for the target that leaves the interface, ours and
// others'; it is never read. At the end of the run the count minus our own
// says whether anybody else asked, so that repeated answers are not taken
// for two hosts behind one MAC when they may be answers to someone else.

// Offsets in an Ethernet frame carrying an IPv6 packet without extension
// headers, as neighbor discovery sends it.
const (
	ethHeaderLen  = 14
	offEtherType  = 12
	offNextHeader = ethHeaderLen + 6
	offICMPv6     = ethHeaderLen + 40
	etherTypeIPv6 = 0x86dd
	protoICMPv6   = 58
)

// openWatch opens a packet socket on ifi that passes, and so counts, only
// neighbor solicitations for target that leave the host.
func openWatch(ifi *net.Interface, target netip.Addr) (*packet.Conn, error) {
	prog, err := watchFilter(target)
	if err != nil {
		return nil, err
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: prog})
	if err != nil {
		// errors.Is(err, os.ErrPermission) still tells a missing
		// CAP_NET_RAW, as for the ICMPv6 socket.
		return nil, fmt.Errorf("opening a packet socket on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// watchFilter returns a classic BPF program for a packet socket that
// accepts outgoing IPv6 neighbor solicitations for target (a few bytes of
// each: they are only counted).
func watchFilter(target netip.Addr) ([]bpf.RawInstruction, error) {
	// Each test skips to the final "drop" when it fails.
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.PACKET_OUTGOING, SkipTrue: targetMatchLen + 5},
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeIPv6, SkipTrue: targetMatchLen + 3},
		bpf.LoadAbsolute{Off: offNextHeader, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: protoICMPv6, SkipTrue: targetMatchLen + 1},
		bpf.LoadAbsolute{Off: offICMPv6 + offType, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: icmpTypeNS, SkipTrue: targetMatchLen - 1},
	}
	prog = appendTargetMatch(prog, offICMPv6+offTarget, target, ethHeaderLen)
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assembling the solicitation filter: %w", err)
	}
	return raw, nil
}

// RequestsSeen returns how many neighbor solicitations for the target
// left the host since the transport was opened, its own included (the
// unicast one, which the socket that sent it does not see, by count). It
// reads the kernel's counter, which also counts what the full receive
// queue dropped, and resets it, so it is called once, at the end of a run.
func (t *Transport) RequestsSeen() (int, error) {
	if t.watch == nil {
		return 0, errors.New("no watch socket")
	}
	st, err := t.watch.Stats()
	if err != nil {
		return 0, fmt.Errorf("reading the solicitation count: %w", err)
	}
	// Linux reports queued plus dropped frames as tp_packets.
	return int(st.Packets) + t.unicastSent, nil
}
