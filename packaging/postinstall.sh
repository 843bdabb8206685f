#!/bin/sh
# check_arp postinstall (deb and rpm): grant the plugin CAP_NET_RAW, so that
# the monitoring users (nagios, icinga, sensu) can open its ARP socket, as
# Debian does for check_icmp. It never fails the installation: where the
# capability cannot be granted it says so, why, and the command that fixes
# it; until then only root can run the check (it says so and exits 3).
# Every command that may fail is tested, so set -e stops only on the
# unexpected.
set -e

warn() {
	cat >&2 <<MSG
check_arp: WARNING: $1
check_arp: Until $2 has CAP_NET_RAW only root can run the check (others get
check_arp: UNKNOWN, "needs CAP_NET_RAW"). Grant it with:
check_arp:     setcap cap_net_raw+ep $2
MSG
}

for plugin in /usr/lib/nagios/plugins/check_arp /usr/lib64/nagios/plugins/check_arp; do
	[ -f "$plugin" ] || continue
	if ! command -v setcap >/dev/null 2>&1; then
		warn "setcap is not installed (Debian: libcap2-bin, RHEL: libcap), so the capability was not granted." "$plugin"
		continue
	fi
	if ! err=$(setcap cap_net_raw+ep "$plugin" 2>&1); then
		warn "setcap could not grant CAP_NET_RAW: ${err:-no reason given}. The filesystem may lack extended attributes (NFS, some overlays), or this container may lack CAP_SETFCAP." "$plugin"
		continue
	fi
	# File capabilities are ignored on filesystems mounted nosuid.
	if command -v findmnt >/dev/null 2>&1 &&
		findmnt -n -o OPTIONS -T "$plugin" 2>/dev/null | tr ',' '\n' | grep -qx nosuid; then
		warn "$plugin is on a filesystem mounted nosuid, where the kernel ignores file capabilities." "$plugin"
	fi
done
exit 0
