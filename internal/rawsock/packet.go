package rawsock

import (
	"encoding/binary"
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ListenPacket opens a packet socket on ifi for proto (an EtherType, or
// ETH_P_ALL) that the Go runtime does not watch, for a Batch read on a
// clock: the filter is attached before the socket is bound, so that
// nothing unfiltered is ever queued on it.
func ListenPacket(ifi *net.Interface, proto int, filter []bpf.RawInstruction) (fd int, err error) {
	if len(filter) == 0 {
		return -1, fmt.Errorf("a packet socket on %s needs a filter", ifi.Name)
	}
	fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening a packet socket on %s: %w", ifi.Name, err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: (*unix.SockFilter)(unsafe.Pointer(&filter[0]))}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return -1, fmt.Errorf("attaching the socket filter on %s: %w", ifi.Name, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: Htons(proto), Ifindex: ifi.Index}); err != nil {
		return -1, fmt.Errorf("binding a packet socket to %s: %w", ifi.Name, err)
	}
	return fd, nil
}

// Htons is proto (an EtherType) in network byte order, as socket
// addresses and the protocol argument of a packet socket take it.
func Htons(proto int) uint16 {
	var p [2]byte
	binary.BigEndian.PutUint16(p[:], uint16(proto))
	return binary.NativeEndian.Uint16(p[:])
}
