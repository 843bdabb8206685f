// Command arpresponder is the lab's scriptable ARP responder: it answers ARP
// requests for one address in ways a kernel will not (late, from a MAC that
// changes from request to request, with gratuitous announcements), so that
// the check's verdicts on those cases can be tested end to end. It runs
// inside a lab namespace only and exits by itself after -lifetime.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "arpresponder:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		ifName   = flag.String("i", "eth0", "interface to answer on")
		ipStr    = flag.String("ip", "", "address to answer for")
		macList  = flag.String("macs", "", "comma-separated MACs: the n-th request is answered from the n-th MAC, the last one sticks")
		delay    = flag.Duration("delay", 0, "wait this long before each reply")
		announce = flag.String("announce", "", "MAC to send one gratuitous ARP from, -announce-after the first request")
		annAfter = flag.Duration("announce-after", 20*time.Millisecond, "when to send the announcement")
		idle     = flag.Duration("reset-after", 500*time.Millisecond, "start the MAC sequence again after this long without requests")
		lifetime = flag.Duration("lifetime", 10*time.Minute, "exit after this long")
	)
	flag.Parse()
	target, err := netip.ParseAddr(*ipStr)
	if err != nil || !target.Is4() {
		return fmt.Errorf("-ip %q: need an IPv4 address", *ipStr)
	}
	var macs []net.HardwareAddr
	for _, s := range strings.Split(*macList, ",") {
		m, err := net.ParseMAC(s)
		if err != nil {
			return fmt.Errorf("-macs: %w", err)
		}
		macs = append(macs, m)
	}
	var annMAC net.HardwareAddr
	if *announce != "" {
		if annMAC, err = net.ParseMAC(*announce); err != nil {
			return fmt.Errorf("-announce: %w", err)
		}
	}
	ifi, err := net.InterfaceByName(*ifName)
	if err != nil {
		return err
	}
	conn, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
	if err != nil {
		return err
	}
	c, err := arp.New(ifi, conn)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(*lifetime)); err != nil {
		return err
	}
	fmt.Println("ready")

	var (
		mu      sync.Mutex
		n       int
		last    time.Time
		pending sync.WaitGroup
	)
	defer pending.Wait()
	for {
		req, _, err := c.Read()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return err
		}
		if req.Operation != arp.OperationRequest || req.TargetIP != target || req.SenderIP == target {
			continue
		}
		now := time.Now()
		if now.Sub(last) > *idle {
			n = 0
		}
		last = now
		from := macs[min(n, len(macs)-1)]
		first := n == 0
		n++
		pending.Add(1)
		time.AfterFunc(*delay, func() {
			defer pending.Done()
			mu.Lock()
			defer mu.Unlock()
			if err := c.Reply(req, from, target); err != nil {
				fmt.Fprintln(os.Stderr, "arpresponder: reply:", err)
			}
		})
		if first && annMAC != nil {
			pending.Add(1)
			time.AfterFunc(*annAfter, func() {
				defer pending.Done()
				mu.Lock()
				defer mu.Unlock()
				garp, err := arp.NewPacket(arp.OperationReply, annMAC, target, ethernet.Broadcast, target)
				if err == nil {
					err = c.WriteTo(garp, ethernet.Broadcast)
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "arpresponder: announce:", err)
				}
			})
		}
	}
}
