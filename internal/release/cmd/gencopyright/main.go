// Command gencopyright writes packaging/copyright, the Debian copyright
// file of the check_arp package, and prints the SPDX licence expression of
// the binary (the rpm's License tag in packaging/nfpm.yaml). Run it from
// the repository root (make copyright); a test fails while the committed
// file differs from what it writes.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/check-arp/check_arp/internal/release/copyright"
)

func main() {
	out := flag.String("o", "packaging/copyright", "file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gencopyright:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	self, err := os.ReadFile("LICENSE")
	if err != nil {
		return fmt.Errorf("check_arp's licence: %w", err)
	}
	mods, err := copyright.Modules(ctx, "go", ".", copyright.Binary, copyright.Archs)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	spdx, err := copyright.Write(&b, string(self), mods)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Printf("wrote %s; the binary's licence (rpm License:) is %s\n", out, spdx)
	return nil
}
