// Package rangefilter builds the part of a probe socket's kernel filter
// that tests one 32-bit word of a frame against a set of addresses. Both
// probes filter a group's sockets this way: ARP on the sender and target
// IPv4 addresses, NDP on the last word of the advertised IPv6 target.
// Listing the set as runs of consecutive values keeps the program short
// for pools (one run), and capping the runs keeps it within the kernel's
// and classic BPF's jump limits for scattered sets, whose frames about
// addresses between are then dropped by the reader.
package rangefilter

import (
	"slices"

	"golang.org/x/net/bpf"
)

// MaxRuns is how many runs of consecutive values a filter lists one by
// one: two tests each, for each word tested, all within classic BPF's
// 255-instruction jumps.
const MaxRuns = 24

// Runs returns words as ascending runs of consecutive values. A set in
// more than MaxRuns runs is one run: the range that covers it.
func Runs(words []uint32) [][2]uint32 {
	words = slices.Clone(words)
	slices.Sort(words)
	words = slices.Compact(words)
	var runs [][2]uint32
	for _, w := range words {
		if n := len(runs); n > 0 && runs[n-1][1]+1 == w {
			runs[n-1][1] = w
			continue
		}
		runs = append(runs, [2]uint32{w, w})
	}
	if len(runs) > MaxRuns {
		runs = [][2]uint32{{runs[0][0], runs[len(runs)-1][1]}}
	}
	return runs
}

// AppendTests appends, for the word already loaded into the accumulator,
// two tests per run: below the run, on to the next run; else at most its
// end, a jump to the instruction at index accept. A word in no run falls
// through past the tests.
func AppendTests(prog []bpf.Instruction, runs [][2]uint32, accept int) []bpf.Instruction {
	for _, r := range runs {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpLessThan, Val: r[0], SkipTrue: 1})
		at := len(prog)
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpLessOrEqual, Val: r[1], SkipTrue: uint8(accept - at - 1)})
	}
	return prog
}
