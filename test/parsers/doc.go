// Package parsers holds tests only: they feed check_arp's contrib files and
// its generated output samples (testdata/outputs) to the parsers that real
// monitoring tools use, and assert what the tools read: resource kinds,
// service names, states, metric names, values, units, long output, and
// what the tools complain about.
//
// Telegraf's nagios parser and Sensu's resource types are their own Go
// code, imported. Where a tool's code cannot be had, its parsing is
// transcribed, step by step, with the file and commit it follows, and
// labelled as a transcription: Sensu's metric extractor (its module is
// refused by the Go module proxy) and Checkmk's MRPE and local-check
// parsers (Python, in neither Debian nor a reachable registry).
package parsers
