// Command genman writes check_arp(1) from the command line definition.
// make runs it for `make man` and `make package`:
//
//	go run ./internal/manpage/cmd/genman -version 1.2.3 -o bin/check_arp.1
//
// The page's date is SOURCE_DATE_EPOCH (the last commit's time in make),
// so the same commit always yields the same page.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/check-arp/check_arp/internal/cli"
	"github.com/check-arp/check_arp/internal/manpage"
)

func main() {
	version := flag.String("version", "dev", "version shown in the page's header")
	out := flag.String("o", "", "output file (default: standard output)")
	flag.Parse()
	if err := run(*version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}

func run(version, out string) error {
	date := time.Unix(0, 0)
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		date = time.Unix(sec, 0)
	}
	app, err := cli.Model(version)
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if err := manpage.Write(&page, app, version, date); err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(page.Bytes())
		return err
	}
	return os.WriteFile(out, page.Bytes(), 0o644)
}
