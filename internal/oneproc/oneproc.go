// Package oneproc runs the program on one P (GOMAXPROCS=1). Import it for
// its side effect, from the main package only.
//
// check_arp's work is one goroutine that sends a few frames and sleeps in
// the poller. With a P per core every wake-up also wakes idle threads to
// look for work: futex hand-offs between threads, extra threads started,
// more sysmon polling. On the 2-core lab machine that was about a tenth of
// a check's CPU time. The package imports nothing but runtime, so it is
// initialized before almost every other package, before the second P has
// cached much memory that changing GOMAXPROCS must hand back.
package oneproc

import "runtime"

func init() { runtime.GOMAXPROCS(1) }
