// Command gencopyright writes packaging/copyright, the Debian copyright
// file of the check_arp package, packaging/copyright.full, the same with
// every licence text written out (the rpm's %license), and prints the SPDX licence expression of
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
	"path/filepath"
	"time"

	"github.com/check-arp/check_arp/internal/release/copyright"
)

func main() {
	dir := flag.String("d", "packaging", "directory to write copyright and copyright.full in")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gencopyright:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
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
	var spdx string
	for _, f := range copyright.Files() {
		var b bytes.Buffer
		if spdx, err = copyright.Write(&b, string(self), mods, f.Debian); err != nil {
			return err
		}
		out := filepath.Join(dir, f.Name)
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", out, err)
		}
		fmt.Println("wrote", out)
	}
	fmt.Printf("the binary's licence (rpm License:) is %s\n", spdx)
	return nil
}
