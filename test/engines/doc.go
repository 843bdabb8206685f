// Package engines proves contrib/ and packaging/ with the real monitoring
// engines. It holds only tests:
//
//   - contrib_test.go (always): every command line in contrib/ is one
//     check_arp accepts, and the Icinga 2 CheckCommand covers every flag;
//   - the files tagged e2e (`make e2e`, as root): private Icinga 2, Nagios 4
//     and NRPE instances run the contrib/ definitions unchanged inside a
//     namespace lab (test/lab); an Icinga 2 master outside the lab's
//     segment has an agent inside it run the checks (distributed_e2e_test.go,
//     trust set up with icinga2 node setup); and the deb package is built,
//     installed, run as user nagios and purged.
//
// The e2e tests skip with the reason when they cannot run here (not root,
// a daemon not installed); with CI=true a missing daemon fails them.
package engines
