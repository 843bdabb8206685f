// Package parsers holds tests only: they feed check_arp's contrib files and
// its captured outputs (testdata/outputs) to the parsers that real
// monitoring tools use, through those tools' own Go code, and assert what
// the tools read: resource kinds, metric names, values, units, long output.
package parsers
