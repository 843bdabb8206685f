#!/usr/bin/env bash
# Installs, on Debian and as root, every package the tests use, and keeps
# the engines' own system services from running: the tests start private
# instances. `make deps` and CI both call it; it installs only what is
# missing, so a second run costs nothing.
#
# iproute2: namespaces, veth, bridges; nftables: packet loss in the lab;
# libcap2-bin: setcap for the unprivileged tests; util-linux: setpriv and
# chrt; keepalived: the VRRP virtual-MAC scenario; strace: the
# stalled-start scenario; jq: contrib/metallb's wrapper; icinga2, nagios4,
# nagios-nrpe-server and nagios-nrpe-plugin: the engines of the e2e tests;
# rpm reads the built rpm; lintian and rpmlint lint the packages;
# prometheus brings promtool, which lints the OpenMetrics output (its
# server is never used).
set -euo pipefail

# command:package pairs; a package is missing when its command is.
# Daemons and admin tools by their path: a PATH without sbin must not make
# them look missing.
deps=(ip:iproute2 /usr/sbin/nft:nftables /usr/sbin/setcap:libcap2-bin setpriv:util-linux chrt:util-linux
  /usr/sbin/keepalived:keepalived strace:strace jq:jq /usr/sbin/icinga2:icinga2
  /usr/sbin/nagios4:nagios4 /usr/sbin/nrpe:nagios-nrpe-server
  /usr/lib/nagios/plugins/check_nrpe:nagios-nrpe-plugin rpm:rpm lintian:lintian
  rpmlint:rpmlint promtool:prometheus make:make git:git)
services=(icinga2 nagios4 nagios-nrpe-server keepalived prometheus)

missing=()
for d in "${deps[@]}"; do
  cmd=${d%%:*} pkg=${d#*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing packages: ${missing[*]} (install them, or run as root on Debian; the tests that need them skip and say so)"
  exit 0
fi

# policy-rc.d (exit 101) forbids service starts during the installation;
# one already there (as in Debian's container images) is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Should a unit or init script have started one anyway, stop it.
for svc in "${services[@]}"; do
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif service "$svc" status >/dev/null 2>&1; then
    service "$svc" stop || true
  fi
done
