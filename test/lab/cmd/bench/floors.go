package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// What any program pays on this machine, measured in the same run: a C
// program that does nothing, a Go program that prints one line, and the
// RCU grace period that closing a packet socket waits for.

const helloSource = `package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
`

// buildHello builds a static, stripped Go hello world into dir.
func buildHello(ctx context.Context, goTool, dir string) (string, error) {
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(helloSource), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hello-go")
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the Go hello world: %w: %s", err, out)
	}
	return bin, nil
}

// do runs f on the spawner's thread, inside the namespace.
func (s *spawner) do(f func()) {
	done := make(chan error, 1)
	s.reqs <- spawnReq{fn: f, done: done}
	<-done
}

// packetCloseTimes opens a packet socket bound to ARP on ifName, as
// check_arp and arping do, and times its close, n times. The kernel's
// packet_release waits for an RCU grace period (synchronize_net), which
// every such process also waits for when it exits.
func packetCloseTimes(s *spawner, ifName string, n int) ([]float64, error) {
	var out []float64
	var ferr error
	s.do(func() {
		ifi, err := net.InterfaceByName(ifName)
		if err != nil {
			ferr = err
			return
		}
		arp := uint16(unix.ETH_P_ARP)
		proto := arp<<8 | arp>>8 // network byte order
		for range n {
			fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				ferr = err
				return
			}
			if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}); err != nil {
				unix.Close(fd)
				ferr = err
				return
			}
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			unix.Close(fd)
			out = append(out, float64(time.Since(start))/1e6)
		}
	})
	return out, ferr
}
