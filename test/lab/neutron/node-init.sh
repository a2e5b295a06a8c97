#!/bin/bash
# PID 1 of a --neutron lab node, started by control.sh under
#   unshare --mount --net --uts --pid --fork --mount-proc node-init.sh NODE_DIR HOSTNAME [SRC=DST bind mounts...]
# Same shape as the issue-3 lab's node init (test/lab/render.ts nodeInitScript), kept here so the Neutron
# groundwork does not depend on that file while it is being written: private mounts, a private /run/netns,
# /sys of this network namespace, the hostname, this node's own ovsdb-server + ovs-vswitchd, then it waits and reaps.
# Unlike that init, ovsdb-server also serves the remotes in Open_vSwitch manager_options (as ovs-ctl does): the
# Neutron agents run `ovs-vsctl set-manager ptcp:6640:127.0.0.1` and then connect there; without it they die with
# "Could not retrieve schema from tcp:127.0.0.1:6640".
set -eu
node_dir=$1 name=$2
shift 2
exec </dev/null
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run/netns
for pair in "$@"; do
  mount --bind "${pair%%=*}" "${pair#*=}"
done
mount -t sysfs sysfs /sys
hostname "$name"
ip link set lo up
ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server /etc/openvswitch/conf.db --remote=punix:/var/run/openvswitch/db.sock \
  --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
  --pidfile=/var/run/openvswitch/ovsdb-server.pid --detach --log-file=/var/log/openvswitch/ovsdb-server.log
ovs-vsctl --no-wait init
ovs-vswitchd unix:/var/run/openvswitch/db.sock --pidfile=/var/run/openvswitch/ovs-vswitchd.pid --detach \
  --log-file=/var/log/openvswitch/ovs-vswitchd.log
echo ready > "$node_dir/ready"
set +e
# SIGTERM is ignored: the node ends with SIGKILL to this PID from outside (which ends every process in the node).
trap '' TERM INT HUP QUIT USR1 USR2 PIPE
while :; do
  sleep 3600 &
  wait $!
done
