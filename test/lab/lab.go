// Package lab builds throwaway Layer-2 segments out of network namespaces,
// so that the check can be run end to end against real kernel ARP and NDP
// responders and the scriptable arpresponder, without touching any real
// interface. Every name is unique per process; Close removes everything,
// and New removes what a crashed earlier run left behind.
package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// commandTimeout bounds every ip/nft command the lab runs.
const commandTimeout = 20 * time.Second

// namePrefix starts every namespace the lab creates: "cal<pid>x<n>-<role>".
const namePrefix = "cal"

var (
	staleName = regexp.MustCompile(`^` + namePrefix + `(\d+)x\d+-`)
	labSeq    atomic.Int64
)

// Lab is one segment: a switch namespace holding a bridge, and host
// namespaces each plugged into it with an eth0.
type Lab struct {
	// Name is the unique prefix of this lab's namespaces.
	Name string
	sw   string

	mu         sync.Mutex
	namespaces []string
	procs      []*Proc
	ports      int
	cleanups   []func()
}

// Available reports why labs cannot be built here, or nil if they can.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("the namespace lab needs root (CI runs as root); run the tests with sudo to include it")
	}
	for _, tool := range []string{"ip", "nft", "setpriv", "chrt", "setcap"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the namespace lab needs %s (install iproute2, nftables, util-linux and libcap2-bin)", tool)
		}
	}
	return nil
}

// New creates an empty segment: a switch namespace with bridge br0.
func New() (*Lab, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	removeStale()
	l := &Lab{Name: fmt.Sprintf("%s%dx%d", namePrefix, os.Getpid(), labSeq.Add(1))}
	l.sw = l.Name + "-sw"
	if err := l.addNamespace(l.sw); err != nil {
		return nil, err
	}
	if err := l.run("ip", "-n", l.sw, "link", "add", "br0", "type", "bridge"); err != nil {
		l.Close()
		return nil, err
	}
	if err := l.run("ip", "-n", l.sw, "link", "set", "br0", "up"); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// AddHost creates namespace <lab>-<role> with loopback up and an eth0
// plugged into the bridge, with the given MAC and addresses (CIDR form).
// It returns the namespace's name.
func (l *Lab) AddHost(role, mac string, addrs ...string) (string, error) {
	ns := l.Name + "-" + role
	if err := l.addNamespace(ns); err != nil {
		return "", err
	}
	if err := l.Plug(ns, "eth0", mac, addrs...); err != nil {
		return "", err
	}
	return ns, nil
}

// Plug adds interface ifName to namespace ns, wired to the bridge, up,
// with the given MAC ("" for a random one) and addresses.
//
// IPv6 stays disabled on an interface without IPv6 addresses. With one, it
// is enabled there (and on the namespace's loopback) with duplicate address
// detection off: hosts of the split-brain scenarios share an address, and
// every address, link-local ones included, is usable at once instead of
// tentative for a second.
func (l *Lab) Plug(ns, ifName, mac string, addrs ...string) error {
	l.mu.Lock()
	l.ports++
	port := fmt.Sprintf("p%d", l.ports)
	l.mu.Unlock()
	steps := [][]string{
		{"ip", "-n", l.sw, "link", "add", port, "type", "veth", "peer", "name", ifName, "netns", ns},
		{"ip", "-n", l.sw, "link", "set", port, "master", "br0", "up"},
	}
	if mac != "" {
		steps = append(steps, []string{"ip", "-n", ns, "link", "set", ifName, "address", mac})
	}
	if slices.ContainsFunc(addrs, func(a string) bool { return strings.Contains(a, ":") }) {
		conf := "net.ipv6.conf." + ifName + "."
		steps = append(steps, []string{"ip", "netns", "exec", ns, "sysctl", "-qw",
			conf + "accept_dad=0", conf + "disable_ipv6=0", "net.ipv6.conf.lo.disable_ipv6=0"})
	}
	for _, a := range addrs {
		steps = append(steps, []string{"ip", "-n", ns, "addr", "add", a, "dev", ifName})
	}
	steps = append(steps, []string{"ip", "-n", ns, "link", "set", ifName, "up"})
	if err := l.runAll(steps); err != nil {
		return err
	}
	var v6 []string
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is6() {
			v6 = append(v6, p.Addr().String())
		}
	}
	return l.WaitSolicitable(ns, ifName, v6...)
}

// WaitSolicitable waits until the host in ns can be asked for each IPv6
// address of addrs on ifName: until it has joined the address's
// solicited-node multicast group, where neighbor solicitations are sent.
// The kernel joins it from a work queue after "ip addr add" has returned
// (even with nodad), and until then drops the solicitations, so that a
// check started at once, on a busy machine, would miss the first replies.
func (l *Lab) WaitSolicitable(ns, ifName string, addrs ...string) error {
	if len(addrs) == 0 {
		return nil
	}
	deadline := time.Now().Add(commandTimeout)
	for {
		out, err := l.Output(ns, "ip", "-6", "maddr", "show", "dev", ifName)
		if err != nil {
			return err
		}
		joined := map[netip.Addr]bool{}
		for _, f := range strings.Fields(out) {
			if g, err := netip.ParseAddr(f); err == nil {
				joined[g] = true
			}
		}
		missing := ""
		for _, a := range addrs {
			addr, err := netip.ParseAddr(a)
			if err != nil || !addr.Is6() || addr.Is4In6() {
				return fmt.Errorf("WaitSolicitable: %q is not an IPv6 address", a)
			}
			if g := solicitedNode(addr); !joined[g] {
				missing = a
				break
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s has not joined the solicited-node group of %s on %s after %s", ns, missing, ifName, commandTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// solicitedNode is the solicited-node multicast group of an IPv6 address
// (RFC 4291, 2.7.1): ff02::1:ff and the address's last 24 bits.
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 0x01, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}

// Command returns a command that runs argv inside namespace ns.
func (l *Lab) Command(ctx context.Context, ns string, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, argv...)...)
}

// Exec runs argv inside ns and waits for it; the error carries its output.
func (l *Lab) Exec(ns string, argv ...string) error {
	return l.run(append([]string{"ip", "netns", "exec", ns}, argv...)...)
}

// Start runs argv inside ns in the background until Close, and waits until
// it prints a line "ready" on its standard output.
func (l *Lab) Start(ns string, argv ...string) error {
	_, err := l.Spawn(ns, argv...)
	return err
}

// Proc is a program the lab runs in the background.
type Proc struct {
	cmd  *exec.Cmd
	once sync.Once
}

// Stop kills the program and waits until it has exited, so that whatever
// it was sending is over when Stop returns. Close stops it too.
func (p *Proc) Stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
}

// Spawn is Start for a program that a test ends before Close: a hostile
// neighbour whose frames must not reach the next test.
func (l *Lab) Spawn(ns string, argv ...string) (*Proc, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s in %s: %w", argv[0], ns, err)
	}
	p := &Proc{cmd: cmd}
	l.mu.Lock()
	l.procs = append(l.procs, p)
	l.mu.Unlock()
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- nil
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("%s in %s exited before it was ready: %s", argv[0], ns, bytes.TrimSpace(stderr.Bytes()))
	}()
	select {
	case err := <-ready:
		return p, err
	case <-time.After(commandTimeout):
		return p, fmt.Errorf("%s in %s did not get ready in %s", argv[0], ns, commandTimeout)
	}
}

// Daemon runs argv inside ns in the background until Close, for daemons
// that do not announce readiness (the caller polls for their effect).
// Their output goes to the returned buffer.
func (l *Lab) Daemon(ns string, argv ...string) (*SyncBuffer, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s in %s: %w", argv[0], ns, err)
	}
	l.mu.Lock()
	l.procs = append(l.procs, &Proc{cmd: cmd})
	l.mu.Unlock()
	return out, nil
}

// SyncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Output runs argv inside ns and returns its standard output.
func (l *Lab) Output(ns string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := l.Command(ctx, ns, argv...).Output()
	if err != nil {
		return "", fmt.Errorf("%s in %s: %w", strings.Join(argv, " "), ns, err)
	}
	return string(out), nil
}

// OnClose registers f to run first thing in Close (stopping daemons the
// way they want to be stopped, before their namespaces go).
func (l *Lab) OnClose(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cleanups = append(l.cleanups, f)
}

// Close stops the lab's processes and deletes its namespaces, which takes
// their interfaces, bridge and nftables rules with them.
func (l *Lab) Close() error {
	l.mu.Lock()
	procs, nss, cleanups := l.procs, l.namespaces, l.cleanups
	l.procs, l.namespaces, l.cleanups = nil, nil, nil
	l.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	for _, p := range procs {
		p.Stop()
	}
	var errs []error
	for i := len(nss) - 1; i >= 0; i-- {
		if err := l.run("ip", "netns", "del", nss[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (l *Lab) addNamespace(ns string) error {
	if err := l.run("ip", "netns", "add", ns); err != nil {
		return err
	}
	l.mu.Lock()
	l.namespaces = append(l.namespaces, ns)
	l.mu.Unlock()
	// No IPv6 chatter (DAD, router solicitations) on the segment unless a
	// test asks for it; loopback up for anything that binds to it.
	return l.runAll([][]string{
		{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
	})
}

func (l *Lab) runAll(steps [][]string) error {
	for _, s := range steps {
		if err := l.run(s...); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) run(argv ...string) error {
	return run(argv...)
}

func run(argv ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// removeStale deletes lab namespaces whose creating process is gone, left
// behind by a run that was killed before it could clean up.
func removeStale() {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		m := staleName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = run("ip", "netns", "del", e.Name())
		}
	}
}
