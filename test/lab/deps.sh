#!/usr/bin/env bash
# Installs what the neutrace test lab needs (Debian packages), only when something is missing and only as root.
# Quiet when everything is present. Never starts the distro's services.
# graphviz: the DOT outputs are checked by rendering them with the real `dot`.
# openssh-client and python3-openvswitch: the baselines of `npm run bench` (ssh runbook, ControlPersist, ovs.flow.ofp).
set -euo pipefail

# openssl: the private CA of the OpenStack TLS tests. chromium: the HTML report's browser test (test/render/html-report.test.ts); sosreport: sosreports of the lab's nodes.
packages=(openssl openvswitch-switch dnsmasq-base iproute2 bridge-utils openssh-server openssh-client busybox ethtool procps util-linux graphviz
  python3-openvswitch chromium sosreport)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "test/lab/deps.sh: missing ${missing[*]} (not root: not installing; the lab tests will skip)" >&2
  exit 0
fi

echo "test/lab/deps.sh: installing ${missing[*]}" >&2
# policy-rc.d 101 = "do not start services" for the duration of the install (invoke-rc.d honours it).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test/lab/deps.sh: installed ${missing[*]}" >&2
