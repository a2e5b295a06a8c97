#!/usr/bin/env bash
# Installs Debian's OpenStack Zed control plane for the neutrace --neutron lab (issue 4): Keystone, neutron-server,
# the OVS and DHCP agents, MariaDB, RabbitMQ, the openstack CLI and os-vif. Idempotent and non-interactive.
# No service is started by the install, and nothing the packages start is left running (checked afterwards).
# Prints one line `neutron-lab install: ... seconds, ... MB` when it installed something; silent otherwise.
set -euo pipefail

packages=(neutron-server neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent keystone mariadb-server rabbitmq-server
  python3-openstackclient python3-os-vif python3-pymysql crudini uwsgi-core uwsgi-plugin-python3
  openvswitch-switch dnsmasq-base busybox iproute2 iptables procps util-linux curl)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "neutron-lab install: missing ${missing[*]} and not root: not installing" >&2
  exit 1
fi

# Processes that exist before the install are not ours to judge or to stop.
before=$(mktemp)
trap 'rm -f "$before"' EXIT
ps -e -o pid= | sort -n > "$before"

# policy-rc.d exit 101 = invoke-rc.d must not start services. Keep an existing one that already says so (Debian
# container images ship it); otherwise put ours in place for the install only and restore what was there.
policy=/usr/sbin/policy-rc.d
saved_policy=""
if ! { [ -x "$policy" ] && grep -qx 'exit 101' "$policy"; }; then
  if [ -e "$policy" ]; then saved_policy=$(mktemp); cp -p "$policy" "$saved_policy"; fi
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  restore_policy() {
    if [ -n "$saved_policy" ]; then mv -f "$saved_policy" "$policy"; else rm -f "$policy"; fi
  }
  trap 'restore_policy; rm -f "$before"' EXIT
fi

# Every package asks nothing and configures no database, queue, endpoint or admin: the lab does that by hand.
debconf-set-selections <<'SEL'
neutron-common neutron/configure_db boolean false
neutron-common neutron/configure_rabbit boolean false
neutron-common neutron/configure_ksat boolean false
neutron-common neutron/configure_nova boolean false
neutron-api neutron/configure_api-endpoint boolean false
neutron-server neutron/configure_api-endpoint boolean false
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
SEL

export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
df_before=$(df --output=used -B1M / | tail -1)
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >/dev/null
end=$(date +%s)
df_after=$(df --output=used -B1M / | tail -1)

# Whatever a maintainer script left running (epmd, a bootstrap mysqld ...) is stopped by its PID.
leftover=()
while read -r pid; do
  [ -z "$pid" ] && continue
  grep -qx "$pid" "$before" && continue
  [ "$pid" = $$ ] && continue
  [ -r "/proc/$pid/cmdline" ] || continue
  args=$(tr '\0' ' ' < "/proc/$pid/cmdline")
  case "$args" in
    *epmd*|*beam*|*rabbitmq*|*mysqld*|*mariadbd*|*neutron*|*keystone*|*uwsgi*|*ovsdb-server*|*ovs-vswitchd*|*dnsmasq*)
      leftover+=("$pid") ;;
  esac
done < <(ps -e -o pid= | sort -n)
if [ ${#leftover[@]} -gt 0 ]; then
  echo "neutron-lab install: stopping processes the packages started: ${leftover[*]}" >&2
  kill -TERM "${leftover[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${leftover[@]}"; do [ -d "/proc/$pid" ] && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  kill -KILL "${leftover[@]}" 2>/dev/null || true
fi
echo "neutron-lab install: ${missing[*]}: $((end - start)) seconds, $((df_after - df_before)) MB" >&2
