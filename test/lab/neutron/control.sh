#!/usr/bin/env bash
# A real OpenStack Neutron control plane (Debian's Zed packages) programming lab nodes — groundwork for issue 4.
#
#   control.sh up       start the nodes; in the control node MariaDB, RabbitMQ, Keystone (uwsgi), neutron-server,
#                       the DHCP agent and an OVS agent; in every compute node its own OVS agent
#   control.sh demo     through the API: two VLAN networks and a flat one, two VMs each (compute ports bound to a
#                       node, plugged with os_vif.plug VIFBridge, a VM namespace behind the tap), a DHCP lease
#                       (busybox udhcpc) = the port's IP, VM-to-VM ping
#   control.sh down     stop everything by PID, remove links, namespaces and the lab directory; verify
#   control.sh status   the recorded daemons, alive or not, memory per node, timings
#   control.sh exec NODE CMD...   run CMD inside NODE (nsenter -m -n -u -p; absolute paths only)
#   control.sh openstack ARGS...  the openstack CLI as the lab's admin, from the root namespace
#   control.sh env      print export OS_*=... (with the password) for a shell: eval "$(control.sh env)"
#   control.sh agent stop|start NODE ovs|dhcp [nowait]  stop (SIGTERM by PID) or start one agent; start waits until
#                                                 alive (not with nowait: an agent expected to refuse to start)
#   control.sh vm NODE NETWORK NETNS [nowait]     one more VM (port, os-vif plug, namespace; nowait: no tag/lease wait)
#   control.sh vm-del NETNS                       delete a VM (guest, os-vif unplug, port)
#   control.sh net-add NAME / net-del NAME        after demo: one more catalogue network with its two VMs / delete it
#   control.sh migrate NETNS NODE                 move a VM to NODE (unplug, rebind binding:host_id, plug; cold migration)
#   control.sh l2pop on|off                       switch l2population (server driver + agents), restarting them
#   control.sh tunnels vxlan,gre                  the agents' tunnel_types (restarting them), e.g. for net-add nlab-gre1
#   control.sh sql 'STATEMENT'                    run SQL on the neutron database (behind the API's back)
#   control.sh sg [apply|restore]   after demo: security groups through the API (nlab-ssh, nlab-web with a
#                       remote-group rule, an allowed address pair; a third VM on nlab-net1), waits until the computes
#                       enforce them; restore puts the VMs back in the default group and deletes the two groups;
#                       `sg rule add GROUP PROTO PORT [CIDR]` (prints the id) / `sg rule delete ID`: one ingress rule
#   control.sh ini NODE FILE SECTION KEY [VALUE]  set (or, without VALUE, delete) an option in a node's config file
#                                                 (a path under /etc/neutron), e.g. before `agent stop/start`
#
# Environment: NLAB_SLOT (default 200): the lab's management /24 is 198.18.<slot>.0/24 (root side .1, control
# node .11, compute node i .11+i); NLAB_COMPUTES (default 0): compute nodes nlab-cmp1..N besides the control node;
# NLAB_DIR (default /tmp/neutrace-nlab<slot>). Needs root and test/lab/neutron/install.sh run first.
# NLAB_TUNNELS (default empty): vxlan, gre or vxlan,gre makes the agents tunnel agents (issue 9): every node gets an
# underlay veth eth1 on a root bridge nlab<slot>ul, held by an OVS bridge br-tunnel (netdev) whose internal port
# carries the node's local_ip 198.19.<slot>.<11+i>/24 (userspace tunnelling: OVS routes and ARPs the outer packet
# itself, out of br-tunnel), the agents run tunnel_types=<types> with arp_responder (and keep their bridge_mappings:
# mixed clouds are real), and `demo` builds two tunnel networks (of the first type) instead of the VLAN/flat ones.
# NLAB_L2POP (default 1 with tunnels): the l2population mechanism driver and the agents' l2_population. Without
# NLAB_TUNNELS nothing of this exists and the lab is the VLAN/flat one.
# NLAB_NETWORKS (default: the VLAN/flat three, or the two tunnel ones): which networks of the catalogue below `demo`
# builds, e.g. "nlab-net1 nlab-net2 nlab-net3 nlab-tun1" (the shared test lab: VLAN, flat and VXLAN in one lab).
# NLAB_FEATURES (default empty): feature blocks to switch on (see "feature blocks" below), e.g. "sg l3".
# NLAB_COMPUTES, NLAB_TUNNELS, NLAB_L2POP, NLAB_NETWORKS and NLAB_FEATURES are remembered in NLAB_DIR at `up`.
# Every daemon listens on its node's address or on the node's own loopback, inside the node's network namespace.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
slot=${NLAB_SLOT:-200}
dir=${NLAB_DIR:-/tmp/neutrace-nlab$slot}
computes=${NLAB_COMPUTES:-0}
tunnels=${NLAB_TUNNELS:-}
l2pop=${NLAB_L2POP:-1}
networks=${NLAB_NETWORKS:-}
features=${NLAB_FEATURES:-}
ctl=nlab-ctl
ctl_addr=198.18.$slot.11
root_addr=198.18.$slot.1
mgmt_br=nlab${slot}mg
switch_br=nlab${slot}sw
underlay_br=nlab${slot}ul
tunnel_bridge=br-tunnel
underlay=eth1
physnet=default
phys_bridge=br-eth2
uplink=eth2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }

# ---- nodes -----------------------------------------------------------------------------------------------------
all_nodes() {
  echo "$ctl"
  local i
  for ((i = 1; i <= computes; i++)); do echo "nlab-cmp$i"; done
}
node_index() { if [ "$1" = "$ctl" ]; then echo 0; else echo "${1#nlab-cmp}"; fi; }
node_addr() { echo "198.18.$slot.$((11 + $(node_index "$1")))"; }
# The tunnel endpoint (local_ip) of a node, on its br-tunnel internal port (NLAB_TUNNELS only).
node_tunnel_addr() { echo "198.19.$slot.$((11 + $(node_index "$1")))"; }
ndir() { echo "$dir/nodes/$1"; }

# ---- timings ---------------------------------------------------------------------------------------------------
t_start=0
step() { t_start=$(now_ms); log "… $*"; }
done_step() {
  local ms=$(( $(now_ms) - t_start ))
  printf '%-44s %6d ms\n' "$1" "$ms" >> "$dir/timings"
  log "✓ $1 ($ms ms)"
}

# ---- feature blocks ------------------------------------------------------------------------------------------
# A feature (NLAB_FEATURES="sg l3") is a block of functions named <feature>_<stage>, each optional, called in the
# order the features are listed at these stages:
#   <f>_configs NODE     after the node's config files are written (root side: $(ndir NODE)/root/etc-neutron/...)
#   <f>_wire_root        after the root-side bridges exist            <f>_wire_node NODE  after the node is wired
#   <f>_up               after every agent is alive (start an extra agent here: `launch`, then `wait_for`)
#   <f>_demo             after the demo networks and VMs exist (VMs in $dir/vms)
#   <f>_down_root        after the nodes are gone: delete the root-side links the feature made
#   <f>_verify_clean     after down: print what is left and return 1 if anything is
# Put a feature's block in its own section below "---- feature: <f>", with its helpers; `control.sh <f> ARGS…`
# runs the function <f>_cmd ARGS… when it exists (the feature's own fault-making and inspection commands).
has_feature() { [[ " $features " == *" $1 "* ]]; }
run_hooks() { # STAGE ARGS...
  local stage=$1 f
  shift
  for f in $features; do
    if declare -F "${f}_$stage" >/dev/null; then "${f}_$stage" "$@"; fi
  done
}

# ---- processes -------------------------------------------------------------------------------------------------
init_pid() { cat "$(ndir "$1")/init.pid"; }
in_node() { # NODE CMD...
  local n=$1
  shift
  nsenter -t "$(init_pid "$n")" -m -n -u -p -- env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 "$@"
}
start_time_of() { awk '{sub(/.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null; }
alive() { # PID STARTTIME
  [ -d "/proc/$1" ] || return 1
  [ "$(start_time_of "$1")" = "$2" ] || return 1
  ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null
}
# Root-namespace PIDs of every process in NODE's PID namespace (its init included).
node_pids() {
  local ns d
  ns=$(readlink "/proc/$(init_pid "$1")/ns/pid") || return 0
  for d in /proc/[0-9]*; do
    [ "$(readlink "$d/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${d#/proc/}"
  done
  return 0
}
root_pid_of() { # NODE NSPID
  local pid
  for pid in $(node_pids "$1"); do
    [ "$(awk '/^NSpid:/{print $NF}' "/proc/$pid/status" 2>/dev/null)" = "$2" ] && { echo "$pid"; return 0; }
  done
  return 1
}

# Start a daemon in the background inside NODE, detached (its parent becomes the node's PID 1), output to LOG
# (a path inside the node). Records "<root pid> <start time>" in <node>/pids/NAME.
launch() { # NODE NAME LOG CMD...
  local n=$1 name=$2 logf=$3 pids nspid pid
  shift 3
  pids=$(ndir "$n")/pids
  rm -f "$pids/$name.nspid"
  in_node "$n" setsid -f /bin/sh -c 'echo $$ > "$0"; log=$1; shift; exec "$@" >>"$log" 2>&1 </dev/null' \
    "$pids/$name.nspid" "$logf" "$@"
  for _ in $(seq 1 100); do [ -s "$pids/$name.nspid" ] && break; sleep 0.05; done
  nspid=$(cat "$pids/$name.nspid")
  pid=$(root_pid_of "$n" "$nspid") || die "$n/$name: started as $nspid in the node but not found"
  echo "$pid $(start_time_of "$pid")" > "$pids/$name"
  echo "$name" >> "$pids/order"
  log "  $n/$name: pid $pid (node pid $nspid)"
}

wait_for() { # SECONDS WHAT CMD...
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what"
    sleep 0.5
  done
}

# ---- secrets and the admin environment ------------------------------------------------------------------------
secret() { # NAME: a per-lab random password, kept in $dir/secrets (mode 600), never printed by up/demo
  local f=$dir/secrets/$1
  if [ ! -s "$f" ]; then
    head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$f"
    chmod 600 "$f"
  fi
  cat "$f"
}
os_env() {
  echo "OS_AUTH_URL=http://$ctl_addr:5000/v3"
  echo "OS_IDENTITY_API_VERSION=3"
  echo "OS_USERNAME=admin"
  echo "OS_PASSWORD=$(secret admin)"
  echo "OS_PROJECT_NAME=admin"
  echo "OS_USER_DOMAIN_NAME=Default"
  echo "OS_PROJECT_DOMAIN_NAME=Default"
  echo "OS_REGION_NAME=RegionOne"
  echo "OS_INTERFACE=public"
}
os() { env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 $(os_env) openstack "$@"; }
# Neutron's REST API from python3 (api.py): what bring-up and the tests' waits call, milliseconds a call where the
# `openstack` CLI costs seconds of CPU per run (wait_for polls twice a second).
api() { env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 $(os_env) /usr/bin/python3 "$here/api.py" "$@"; }

# ---- configuration files (written from the root side into the nodes' private copies) ---------------------------
auth_section() { # SECTION
  cat <<EOF
[$1]
auth_url = http://$ctl_addr:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
region_name = RegionOne
project_name = service
username = neutron
password = $(secret neutron)
EOF
}

neutron_conf() { # NODE
  local server=0
  [ "$1" = "$ctl" ] && server=1
  cat <<EOF
[DEFAULT]
host = $1
core_plugin = ml2
service_plugins =
auth_strategy = keystone
transport_url = rabbit://openstack:$(secret rabbit)@$ctl_addr:5672/
state_path = /var/lib/neutron
log_dir = /var/log/neutron
EOF
  # Only the control node runs neutron-server: its API, database, Keystone and Nova/Placement sections.
  [ $server = 0 ] || cat <<EOF
bind_host = $ctl_addr
bind_port = 9696
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agents_per_network = 1
EOF
  cat <<EOF
[agent]
root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf
report_interval = 10
[oslo_concurrency]
lock_path = /var/lib/neutron/lock
[oslo_policy]
policy_dirs = /etc/neutron/policy.d
EOF
  [ $server = 1 ] || return 0
  cat <<EOF
[database]
connection = mysql+pymysql://neutron:$(secret neutron_db)@$ctl_addr/neutron
[keystone_authtoken]
www_authenticate_uri = http://$ctl_addr:5000
EOF
  auth_section keystone_authtoken | tail -n +2
  auth_section nova
  auth_section placement
}

render_node_configs() { # NODE
  local n=$1 r
  r=$(ndir "$1")/root
  {
    printf '127.0.0.1\tlocalhost\n'
    local m
    for m in $(all_nodes); do printf '%s\t%s\n' "$(node_addr "$m")" "$m"; done
  } > "$r/hosts"
  neutron_conf "$n" > "$r/etc-neutron/neutron.conf"
  rm -f "$r/etc-neutron/server.conf.d/"* 2>/dev/null || true
  cat > "$r/etc-neutron/plugins/ml2/openvswitch_agent.ini" <<EOF
[DEFAULT]
host = $n
[agent]
tunnel_types = $tunnels
polling_interval = 2
# On SIGTERM the agent caps its RPC timeouts to this (default 10 s) and, its loop ended, waited out all of it on a
# call whose answer never came (its consumers closing): every stop by PID took 11-13 s instead of 2-3.
quitting_rpc_timeout = 2
$([ -z "$tunnels" ] || printf 'l2_population = %s\narp_responder = True\n' "$([ "$l2pop" = 1 ] && echo True || echo False)")
[ovs]
integration_bridge = br-int
bridge_mappings = $physnet:$phys_bridge
datapath_type = netdev
of_listen_address = 127.0.0.1
$([ -z "$tunnels" ] || echo "local_ip = $(node_tunnel_addr "$n")")
[securitygroup]
firewall_driver = iptables_hybrid
enable_security_group = true
enable_ipset = true
EOF
  local tenant_types=vlan mechanisms=openvswitch
  if [ -n "$tunnels" ]; then
    tenant_types=${tunnels%%,*}
    [ "$l2pop" != 1 ] || mechanisms=openvswitch,l2population
  fi
  cat > "$r/etc-neutron/plugins/ml2/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vlan,vxlan$([ -z "$tunnels" ] || echo ,gre)
tenant_network_types = $tenant_types
mechanism_drivers = $mechanisms
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = $physnet:1000:1999
[ml2_type_vxlan]
vni_ranges = 1:1000
$([ -z "$tunnels" ] || printf '[ml2_type_gre]\ntunnel_id_ranges = 1:1000\n')
[securitygroup]
enable_security_group = true
enable_ipset = true
EOF
  cat > "$r/etc-neutron/dhcp_agent.ini" <<EOF
[DEFAULT]
host = $n
interface_driver = openvswitch
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = false
force_metadata = false
[ovs]
integration_bridge = br-int
EOF
  if [ "$n" != "$ctl" ]; then
    # A compute node runs only the OVS agent: no DHCP or L3 agent configuration on it.
    rm -f "$r/etc-neutron/dhcp_agent.ini" "$r/etc-neutron/l3_agent.ini"
    return 0
  fi

  cat > "$r/etc-rabbitmq/rabbitmq-env.conf" <<EOF
NODENAME=rabbit@$ctl
NODE_IP_ADDRESS=$ctl_addr
NODE_PORT=5672
ERL_EPMD_ADDRESS=$ctl_addr
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {${ctl_addr//./,}}"
EOF
  chown -R rabbitmq:rabbitmq "$r/etc-rabbitmq"

  cat > "$r/etc-keystone/keystone.conf" <<EOF
[DEFAULT]
log_dir = /var/log/keystone
log_file = keystone.log
[database]
connection = mysql+pymysql://keystone:$(secret keystone_db)@$ctl_addr/keystone
[token]
provider = fernet
[identity]
# Every api.py call and capture authenticates with a password: at bcrypt's default 12 rounds each costs Keystone
# ~0.2 s of CPU (more on a loaded machine), paid twice a second while wait_for polls. A lab password needs no such
# cost: 4 rounds (the least bcrypt takes) verify in a millisecond.
password_hash_rounds = 4
[oslo_policy]
policy_dirs = /etc/keystone/policy.d
EOF
  cat > "$r/etc-keystone/nlab-uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = $ctl_addr:5000
master = true
processes = 2
threads = 1
lazy-apps = true
die-on-term = true
enable-threads = true
buffer-size = 65535
; http-socket closes the connection after each response without saying so: a client reusing its pooled connection
; then gets "Connection reset by peer" on a POST. Saying it makes the client open a new connection each time.
add-header = Connection: close
name = keystone-api
uid = keystone
gid = keystone
chdir = /var/lib/keystone
wsgi-file = /usr/bin/keystone-wsgi-public
EOF
  chown -R keystone:keystone "$r/etc-keystone"
}

# Node-private directories: SRC (under <node>/root) = DST (inside the node).
binds() { # NODE
  local r
  r=$(ndir "$1")/root
  printf '%s\n' \
    "$r/etc-openvswitch=/etc/openvswitch" "$r/run-openvswitch=/var/run/openvswitch" \
    "$r/log-openvswitch=/var/log/openvswitch" \
    "$r/etc-neutron=/etc/neutron" "$r/lib-neutron=/var/lib/neutron" "$r/log-neutron=/var/log/neutron" \
    "$r/hosts=/etc/hosts"
  [ "$1" = "$ctl" ] || return 0
  printf '%s\n' \
    "$r/lib-mysql=/var/lib/mysql" "$r/run-mysqld=/run/mysqld" "$r/log-mysql=/var/log/mysql" \
    "$r/etc-rabbitmq=/etc/rabbitmq" "$r/lib-rabbitmq=/var/lib/rabbitmq" "$r/log-rabbitmq=/var/log/rabbitmq" \
    "$r/etc-keystone=/etc/keystone" "$r/lib-keystone=/var/lib/keystone" "$r/log-keystone=/var/log/keystone"
}

prepare_node_dirs() { # NODE
  local d r b
  d=$(ndir "$1")
  r=$d/root
  mkdir -p "$d/pids" "$r/etc-openvswitch" "$r/run-openvswitch" "$r/log-openvswitch"
  cp -a /etc/neutron "$r/etc-neutron"
  cp -a /var/lib/neutron "$r/lib-neutron"
  install -d -o neutron -g neutron "$r/lib-neutron/lock" "$r/log-neutron"
  touch "$r/hosts"
  if [ "$1" = "$ctl" ]; then
    cp -a /var/lib/mysql "$r/lib-mysql"
    install -d -o mysql -g mysql "$r/run-mysqld" "$r/log-mysql"
    cp -a /etc/rabbitmq "$r/etc-rabbitmq"
    install -d -o rabbitmq -g rabbitmq -m 750 "$r/lib-rabbitmq" "$r/log-rabbitmq"
    cp -a /etc/keystone "$r/etc-keystone"
    cp -a /var/lib/keystone "$r/lib-keystone"
    install -d -o keystone -g keystone "$r/log-keystone"
  fi
  # Mount points in the root filesystem (empty directories; the packages create most of them).
  while read -r b; do
    [ -e "${b#*=}" ] || mkdir -p "${b#*=}"
  done < <(binds "$1")
  # node-init.sh mounts a private tmpfs on /run/netns: after a reboot (/run is a tmpfs) nobody has made it yet.
  [ -d /run/netns ] || mkdir -p /run/netns
}

start_node() { # NODE
  local n=$1 d unshare_pid child
  d=$(ndir "$n")
  rm -f "$d/ready"
  local bind_list
  mapfile -t bind_list < <(binds "$n")
  # setsid: the node outlives this script; `down` ends it by PID.
  setsid unshare --mount --net --uts --pid --fork --mount-proc \
    "$here/node-init.sh" "$d" "$n" "${bind_list[@]}" >>"$d/node.log" 2>&1 </dev/null &
  unshare_pid=$!
  echo "$unshare_pid" > "$d/unshare.pid"
  for _ in $(seq 1 200); do
    [ -e "$d/ready" ] && break
    kill -0 "$unshare_pid" 2>/dev/null || die "node $n exited: $(tail -5 "$d/node.log")"
    sleep 0.05
  done
  [ -e "$d/ready" ] || die "node $n not ready: $(tail -5 "$d/node.log")"
  child=$(cat "/proc/$unshare_pid/task/$unshare_pid/children")
  echo "${child%% *}" > "$d/init.pid"
  echo "$(init_pid "$n") $(start_time_of "$(init_pid "$n")")" > "$d/init.ref"
  log "  node $n: unshare $unshare_pid, init $(init_pid "$n")"
}

# Root side: a management bridge (198.18.<slot>.1) and a "physical switch" bridge (no address, carries the VLANs).
wire_root() {
  ip link add "$mgmt_br" type bridge
  ip addr add "$root_addr/24" dev "$mgmt_br"
  ip link set "$mgmt_br" up
  ip link add "$switch_br" type bridge
  ip link set "$switch_br" up
  [ -z "$tunnels" ] && return 0
  ip link add "$underlay_br" type bridge
  ip link set "$underlay_br" up
}
wire_node() { # NODE
  local n=$1 i netns
  i=$(node_index "$n")
  netns=/proc/$(init_pid "$n")/ns/net
  ip link add "nl${slot}m$i" type veth peer name mgmt0 netns "$netns"
  ip link set "nl${slot}m$i" master "$mgmt_br" up
  in_node "$n" ip addr add "$(node_addr "$n")/24" dev mgmt0
  in_node "$n" ip link set mgmt0 up
  ip link add "nl${slot}p$i" type veth peer name "$uplink" netns "$netns"
  ip link set "nl${slot}p$i" master "$switch_br" up
  in_node "$n" ip link set "$uplink" up
  in_node "$n" ovs-vsctl --may-exist add-br "$phys_bridge" -- set bridge "$phys_bridge" datapath_type=netdev \
    -- --may-exist add-port "$phys_bridge" "$uplink"
  [ -z "$tunnels" ] && return 0
  # Userspace tunnelling: the endpoint address sits on an OVS bridge's internal port, the underlay NIC in that
  # bridge; ovs-vswitchd routes (ovs/route/show, from the kernel's table) and ARPs (tnl/arp/show) the outer packet.
  ip link add "nl${slot}u$i" type veth peer name "$underlay" netns "$netns"
  ip link set "nl${slot}u$i" master "$underlay_br" up
  in_node "$n" ip link set "$underlay" up
  in_node "$n" ovs-vsctl --may-exist add-br "$tunnel_bridge" -- set bridge "$tunnel_bridge" datapath_type=netdev \
    -- --may-exist add-port "$tunnel_bridge" "$underlay"
  in_node "$n" ip addr add "$(node_tunnel_addr "$n")/24" dev "$tunnel_bridge"
  in_node "$n" ip link set "$tunnel_bridge" up
}

# ---- services (control node) ----------------------------------------------------------------------------------
mysql_in_ctl() { in_node "$ctl" mysql --protocol=socket --socket=/run/mysqld/mysqld.sock -u root "$@"; }
rabbitmqctl_in_ctl() {
  in_node "$ctl" setpriv --reuid rabbitmq --regid rabbitmq --init-groups env HOME=/var/lib/rabbitmq \
    /usr/lib/rabbitmq/bin/rabbitmqctl "$@"
}

start_mariadb() {
  launch "$ctl" mariadb /var/log/mysql/daemon.log /usr/sbin/mariadbd --user=mysql --bind-address="$ctl_addr" \
    --skip-name-resolve --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
    --log-error=/var/log/mysql/error.log --innodb-buffer-pool-size=64M --performance-schema=OFF
  wait_for 60 "MariaDB" in_node "$ctl" mysqladmin --socket=/run/mysqld/mysqld.sock ping
  local db
  for db in keystone neutron; do
    mysql_in_ctl -e "CREATE DATABASE IF NOT EXISTS $db;
      CREATE USER IF NOT EXISTS '$db'@'%' IDENTIFIED BY '$(secret "${db}_db")';
      GRANT ALL PRIVILEGES ON $db.* TO '$db'@'%';"
  done
}

start_rabbitmq() {
  # RUNNING_UNDER_SYSTEMD: the script execs erl directly, so the recorded PID is beam.smp itself.
  launch "$ctl" rabbitmq /var/log/rabbitmq/daemon.log setpriv --reuid rabbitmq --regid rabbitmq --init-groups \
    env HOME=/var/lib/rabbitmq RUNNING_UNDER_SYSTEMD=true /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_for 120 "RabbitMQ" rabbitmqctl_in_ctl -q await_startup
  rabbitmqctl_in_ctl -q add_user openstack "$(secret rabbit)" >/dev/null 2>&1 ||
    rabbitmqctl_in_ctl -q change_password openstack "$(secret rabbit)"
  rabbitmqctl_in_ctl -q set_permissions openstack '.*' '.*' '.*'
}

start_keystone() {
  # keystone-manage prints eventlet "Exception ignored ... getcurrent" noise at exit: keep it in a log.
  local kl=$dir/keystone-manage.log
  {
    in_node "$ctl" keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
    in_node "$ctl" keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
    # keystone-manage run as root just created keystone.log as root; uwsgi and db_sync run as keystone.
    in_node "$ctl" chown -R keystone:keystone /var/log/keystone
    in_node "$ctl" setpriv --reuid keystone --regid keystone --init-groups keystone-manage db_sync
    in_node "$ctl" setpriv --reuid keystone --regid keystone --init-groups keystone-manage bootstrap \
      --bootstrap-password "$(secret admin)" --bootstrap-admin-url "http://$ctl_addr:5000/v3/" \
      --bootstrap-internal-url "http://$ctl_addr:5000/v3/" --bootstrap-public-url "http://$ctl_addr:5000/v3/" \
      --bootstrap-region-id RegionOne
  } >>"$kl" 2>&1 ||
    die "keystone-manage failed: $(grep -v '^ \|Exception ignored\|Traceback\|AttributeError' "$kl" | tail -5)"
  launch "$ctl" keystone /var/log/keystone/uwsgi.log uwsgi --ini /etc/keystone/nlab-uwsgi.ini
  wait_for 60 "Keystone" curl -sf --noproxy '*' "http://$ctl_addr:5000/v3"
}

register_neutron() {
  env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 $(os_env) NLAB_NEUTRON_PASSWORD="$(secret neutron)" \
    /usr/bin/python3 "$here/api.py" keystone-register "http://$ctl_addr:9696"
}

server_conf_args=(--config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini)

start_neutron_server() {
  launch "$ctl" neutron-server /var/log/neutron/server.out /usr/bin/neutron-server "${server_conf_args[@]}" \
    --log-file /var/log/neutron/server.log
  wait_for 120 "neutron-server" api server-up
}

start_ovs_agent() { # NODE
  launch "$1" neutron-openvswitch-agent /var/log/neutron/openvswitch-agent.out /usr/bin/neutron-openvswitch-agent \
    --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/openvswitch_agent.ini \
    --log-file /var/log/neutron/openvswitch-agent.log
}
start_dhcp_agent() {
  launch "$ctl" neutron-dhcp-agent /var/log/neutron/dhcp-agent.out /usr/bin/neutron-dhcp-agent \
    --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/dhcp_agent.ini \
    --log-file /var/log/neutron/dhcp-agent.log
}
agents_alive() {
  # shellcheck disable=SC2046 # one node name a word
  api agents-alive "$ctl" $(all_nodes)
}

# ---- memory ----------------------------------------------------------------------------------------------------
# PSS adds up without counting shared pages twice; RSS summed counts them once per process.
memory_report() {
  local n pid name pss rss total_pss=0 total_rss=0 node_pss
  declare -A by_name=()
  for n in $(all_nodes); do
    node_pss=0
    for pid in $(node_pids "$n"); do
      name=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
      pss=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
      rss=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null) || continue
      [ -n "$pss" ] || continue
      node_pss=$((node_pss + pss)); total_pss=$((total_pss + pss)); total_rss=$((total_rss + ${rss:-0}))
      by_name[$name]=$(( ${by_name[$name]:-0} + pss ))
    done
    printf '  node %-14s %7d MB PSS\n' "$n" $((node_pss / 1024))
  done
  for name in "${!by_name[@]}"; do
    if [ $(( by_name[$name] / 1024 )) -gt 0 ]; then printf '  %-19s %7d MB PSS\n' "$name" $(( by_name[$name] / 1024 )); fi
  done | sort -k2 -n -r
  printf '  %-19s %7d MB PSS (%d MB RSS summed)\n' TOTAL $((total_pss / 1024)) $((total_rss / 1024))
}

# ---- demo: network, subnet, ports, os-vif plug, VM namespaces, DHCP -------------------------------------------
# The issue-4 shape: two VLAN networks and a flat one on physnet "default", two VMs per network; with compute
# nodes the two VMs of a network sit on different computes (so DHCP and VM-to-VM traffic cross the VLAN switch),
# without them both sit on the control node. Each VM must get the port's fixed IP by DHCP and ping its peer.
# The catalogue of demo networks: NAME TYPE SEGMENT CIDR (TYPE "tunnel" = the first of NLAB_TUNNELS).
network_catalogue=(
  "nlab-net1 vlan 1000 198.19.201.0/24"
  "nlab-net2 vlan 1001 198.19.202.0/24"
  "nlab-net3 flat - 198.19.203.0/24"
  "nlab-tun1 tunnel 101 198.19.211.0/24"
  "nlab-tun2 tunnel 102 198.19.212.0/24"
  "nlab-gre1 gre 111 198.19.213.0/24"
)
# The networks `demo` builds (NLAB_NETWORKS, or the VLAN/flat three, or with NLAB_TUNNELS the two tunnel ones), one
# "NAME TYPE SEGMENT CIDR" a line with TYPE resolved.
demo_networks() {
  local wanted=$networks name
  if [ -z "$wanted" ]; then
    if [ -n "$tunnels" ]; then wanted="nlab-tun1 nlab-tun2"; else wanted="nlab-net1 nlab-net2 nlab-net3"; fi
  fi
  for name in $wanted; do catalogue_network "$name"; done
}
# The catalogue's "NAME TYPE SEGMENT CIDR" of network NAME, TYPE resolved.
catalogue_network() { # NAME
  local name=$1 n type seg cidr line
  for line in "${network_catalogue[@]}"; do
    read -r n type seg cidr <<<"$line"
    [ "$n" = "$name" ] || continue
    if [ "$type" = tunnel ]; then
      [ -n "$tunnels" ] || die "network $name needs NLAB_TUNNELS"
      type=${tunnels%%,*}
    fi
    [ "$type" != gre ] || [[ ",$tunnels," == *,gre,* ]] || die "network $name needs gre in NLAB_TUNNELS"
    echo "$name $type $seg $cidr"
    return 0
  done
  die "no network $name in the catalogue"
}
vm_node() { # NETWORK_INDEX VM_INDEX (0-based)
  if [ "$computes" -eq 0 ]; then echo "$ctl"; return; fi
  echo "nlab-cmp$(( (($1 + $2) % computes) + 1 ))"
}
demo() {
  : > "$dir/vms"
  local i demo_networks
  mapfile -t demo_networks < <(demo_networks)
  [ ${#demo_networks[@]} -gt 0 ] || die "no demo networks"
  # The networks side by side (each mostly waits on the agents: its DHCP namespace, its ports' tags, leases); a
  # network's two VMs one after the other, so $dir/vms lists them in order. All are waited for before a failure ends
  # this script (no subshell left working on a lab being torn down).
  local pids=() failed=0 pid
  for i in "${!demo_networks[@]}"; do
    demo_network "$i" "${demo_networks[$i]}" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed = 0 ] || die "demo: a network failed (see above)"
  run_hooks demo
  log "VMs (node network port mac ip netns instance): $dir/vms"
  cat "$dir/vms" >&2
  log "memory:"
  memory_report | tee "$dir/memory-demo" >&2
}
# One demo network: network, subnet, DHCP, two VMs (placed by vm_node I), the first pings the second.
demo_network() { # I "NAME TYPE SEGMENT CIDR"
  local i=$1 j name type seg cidr net_id first second
  read -r name type seg cidr <<<"$2"
  step "$name: $type network + subnet $cidr"
  case "$type" in
    vlan) net_id=$(api net-create "$name" "$type" "$physnet" "$seg" "$cidr") ;;
    flat) net_id=$(api net-create "$name" "$type" "$physnet" - "$cidr") ;;
    *) net_id=$(api net-create "$name" "$type" - "$seg" "$cidr") ;;
  esac
  done_step "$name: network+subnet created (API)"
  step "$name: DHCP agent makes qdhcp namespace + dnsmasq"
  wait_for 120 "qdhcp-$net_id with dnsmasq" dhcp_ready "$net_id"
  done_step "$name: qdhcp-<net> + dnsmasq up"
  for j in 0 1; do demo_vm "$(vm_node "$i" "$j")" "$net_id" "$name" "vm-${name#nlab-}-$((j + 1))"; done
  first=$(awk -v net="$name" '$2 == net' "$dir/vms" | head -1)
  second=$(awk -v net="$name" '$2 == net' "$dir/vms" | sed -n 2p)
  step "$name: $(cut -d' ' -f6 <<<"$first") on $(cut -d' ' -f1 <<<"$first") pings $(cut -d' ' -f5 <<<"$second") on $(cut -d' ' -f1 <<<"$second")"
  in_node "$(cut -d' ' -f1 <<<"$first")" ip netns exec "$(cut -d' ' -f6 <<<"$first")" \
    busybox ping -c 2 -W 2 "$(cut -d' ' -f5 <<<"$second")" >/dev/null ||
    die "$name: no ping from $first to $second"
  done_step "$name: VM-to-VM ping"
}

# With MODE=nowait (an agent stopped on purpose): create, bind, plug and put the VM namespace behind the tap, but
# wait for no tag, no ACTIVE and no lease.
demo_vm() { # NODE NET_ID NET_NAME VM_NETNS [MODE]
  local n=$1 net_id=$2 net=$3 vm_ns=$4 mode=${5:-wait} port_id mac ip vif_type tag dev11 json instance
  instance=$(cat /proc/sys/kernel/random/uuid)
  step "$n/$vm_ns: compute port bound to $n"
  # device_id = the instance, as Nova sets it; os-vif writes the same uuid as the qvo's vm-uuid.
  read -r port_id mac ip vif_type < <(api port-create "$net_id" "$n" "$vm_ns" "$instance")
  log "  port $port_id mac $mac ip $ip vif_type $vif_type"
  [ "$vif_type" = ovs ] || die "port $port_id not bound to $n (vif_type $vif_type)"
  done_step "$n/$vm_ns: port created + bound (API)"

  step "$n/$vm_ns: os_vif.plug VIFBridge"
  dev11=${port_id:0:11}
  in_node "$n" /usr/bin/python3 "$here/plug.py" plug "$port_id" "$mac" "$net_id" "$instance" >/dev/null
  done_step "$n/$vm_ns: os_vif.plug"

  if [ "$mode" = nowait ]; then
    vm_netns "$n" "$vm_ns" "$dev11" "$mac"
    in_node "$n" ip netns exec "$vm_ns" ip addr add "$ip/24" dev eth0
    echo "$n $net $port_id $mac $ip $vm_ns $instance" >> "$dir/vms"
    log "  $n/$vm_ns: plugged; not waiting (tag now: $(in_node "$n" ovs-vsctl get Port "qvo$dev11" tag))"
    return 0
  fi
  step "$n/$vm_ns: agent tags the port, port ACTIVE"
  wait_for 120 "qvo$dev11 tagged on $n" port_tagged "$n" "qvo$dev11"
  tag=$(in_node "$n" ovs-vsctl get Port "qvo$dev11" tag)
  wait_for 120 "port ACTIVE" port_active "$port_id"
  done_step "$n/$vm_ns: local VLAN tag $tag + ACTIVE"

  step "$n/$vm_ns: VM namespace behind tap$dev11, DHCP lease"
  vm_netns "$n" "$vm_ns" "$dev11" "$mac"
  local script=$dir/udhcpc.sh lease
  printf '#!/bin/sh\n[ "$1" = bound ] && echo "lease ip=$ip mask=$mask router=$router mtu=$mtu"\nexit 0\n' > "$script"
  chmod +x "$script"
  lease=$(in_node "$n" ip netns exec "$vm_ns" busybox udhcpc -i eth0 -n -q -f -t 10 -T 2 -s "$script" 2>&1 |
    grep '^lease' || true)
  [ -n "$lease" ] || die "no DHCP lease in $n/$vm_ns"
  log "  $lease (Neutron says $ip)"
  grep -q "ip=$ip " <<<"$lease" || die "lease $lease is not the port's address $ip"
  in_node "$n" ip netns exec "$vm_ns" ip addr add "$ip/24" dev eth0
  # On a tunnel network the guest takes the MTU DHCP option 26 gives it (1450 for VXLAN), as cloud images do.
  local mtu
  mtu=$(sed -n 's/.* mtu=\([0-9][0-9]*\).*/\1/p' <<<"$lease")
  [ -z "$tunnels" ] || [ -z "$mtu" ] || in_node "$n" ip netns exec "$vm_ns" ip link set eth0 mtu "$mtu"
  echo "$n $net $port_id $mac $ip $vm_ns $instance" >> "$dir/vms"
  done_step "$n/$vm_ns: udhcpc lease = port IP"
}
# The guest: a namespace whose eth0 (the port's MAC) is the peer of tap<dev11> in qbr<dev11>, as libvirt's tap.
vm_netns() { # NODE NETNS DEV11 MAC
  local n=$1 vm_ns=$2 dev11=$3 mac=$4
  in_node "$n" ip netns add "$vm_ns"
  in_node "$n" ip link add "tap$dev11" type veth peer name vmeth0 netns "$vm_ns"
  in_node "$n" ip link set "tap$dev11" master "qbr$dev11" up
  in_node "$n" ip netns exec "$vm_ns" ip link set vmeth0 address "$mac" name eth0
  in_node "$n" ip netns exec "$vm_ns" ip link set lo up
  in_node "$n" ip netns exec "$vm_ns" ip link set eth0 up
}
dhcp_ready() {
  in_node "$ctl" ip netns list | grep -q "qdhcp-$1" && in_node "$ctl" pgrep -f "dnsmasq.*$1" >/dev/null
}
port_tagged() { # NODE PORT
  local t
  t=$(in_node "$1" ovs-vsctl get Port "$2" tag 2>/dev/null) || return 1
  [[ "$t" =~ ^[0-9]+$ ]] && [ "$t" != 4095 ]
}
port_active() { api port-active "$1"; }

# ---- fault making: agents stopped/started by PID, a VM added on demand, SQL behind the API's back --------------
agent_name() {
  case "$1" in
    ovs) echo neutron-openvswitch-agent ;;
    dhcp) echo neutron-dhcp-agent ;;
    l3) echo neutron-l3-agent ;; # the l3 feature's
    *) die "agent: ovs, dhcp or l3" ;;
  esac
}
agent() { # stop|start NODE ovs|dhcp
  local action=$1 n=$2 name pid st
  name=$(agent_name "$3")
  case "$action" in
    stop)
      read -r pid st < "$(ndir "$n")/pids/$name" || die "$n/$name never started"
      alive "$pid" "$st" || { log "$n/$name is not running"; return 0; }
      kill -TERM "$pid"
      stop_wait "$pid" "$st" 45 || { log "$n/$name did not exit in 45 s: SIGKILL"; kill -KILL "$pid"; }
      log "$n/$name stopped ($pid)"
      ;;
    start)
      if [ -s "$(ndir "$n")/pids/$name" ]; then
        read -r pid st < "$(ndir "$n")/pids/$name"
        ! alive "$pid" "$st" || die "$n/$name is running ($pid)"
      fi
      case "$3" in ovs) start_ovs_agent "$n" ;; dhcp) start_dhcp_agent ;; l3) start_l3_agent ;; esac
      # nowait: an agent expected to refuse to start (a fault); the caller reads its log.
      [ "${4:-}" = nowait ] || wait_for 120 "$n/$name alive" agent_alive "$n" "$3"
      ;;
    *) die "agent stop|start NODE ovs|dhcp [nowait]" ;;
  esac
}
agent_alive() { api agent-alive "$1" "$2"; } # NODE ovs|dhcp|l3
ini_set() { # NODE FILE SECTION KEY [VALUE]: FILE relative to /etc/neutron in the node
  local f
  [ $# -ge 4 ] || die "ini NODE FILE SECTION KEY [VALUE]"
  f=$(ndir "$1")/root/etc-neutron/${2#/etc/neutron/}
  [ -f "$f" ] || die "no $2 on $1"
  if [ $# -ge 5 ]; then crudini --set "$f" "$3" "$4" "$5"; else crudini --del "$f" "$3" "$4"; fi
}
vm_add() { # NODE NETWORK_NAME VM_NETNS [nowait]
  local net_id
  net_id=$(api net-id "$2")
  demo_vm "$1" "$net_id" "$2" "$3" "${4:-wait}"
}

# A catalogue network added to a running lab as demo builds one (its two VMs on nlab-cmp1 and nlab-cmp2, or both on
# the control node without computes), and deleted again with its VMs.
net_add() { # NAME
  [ -s "$dir/vms" ] || die "net-add: run demo first"
  ! awk -v net="$1" '$2 == net {found = 1} END {exit !found}' "$dir/vms" || die "net-add: $1 has VMs already"
  demo_network 0 "$(catalogue_network "$1")"
}
net_del() { # NAME
  local net_id ns
  net_id=$(api net-id "$1") || die "net-del: no network $1"
  step "delete $1 and its VMs"
  for ns in $(awk -v net="$1" '$2 == net {print $6}' "$dir/vms"); do vm_del "$ns"; done
  api net-delete "$net_id"
  wait_for 120 "qdhcp-$net_id gone" dhcp_gone "$net_id"
  done_step "delete $1"
}
dhcp_gone() { ! in_node "$ctl" ip netns list | grep -q "qdhcp-$1" && ! in_node "$ctl" pgrep -f "dnsmasq.*$1" >/dev/null; }
# A VM removed as Nova deletes an instance: the guest goes, its VIF is unplugged (os_vif.unplug), its port deleted.
vm_del() { # NETNS
  local line n net port mac inst net_id
  line=$(awk -v ns="$1" '$6 == ns' "$dir/vms")
  [ -n "$line" ] || die "vm-del: no VM $1 in $dir/vms"
  read -r n net port mac _ _ inst <<<"$line"
  net_id=$(api net-id "$net")
  in_node "$n" ip netns del "$1"
  in_node "$n" /usr/bin/python3 "$here/plug.py" unplug "$port" "$mac" "$net_id" "$inst" >/dev/null
  api port-delete "$port"
  awk -v ns="$1" '$6 != ns' "$dir/vms" > "$dir/vms.tmp"
  mv "$dir/vms.tmp" "$dir/vms"
}

# ---- overlay (issue 9): a VM moved to another node; l2population switched at runtime --------------------------
# Move VM NETNS to NODE as a cold migration does: the guest and its VIF leave the old node (os_vif.unplug), the port
# is rebound to NODE (binding:host_id, as Nova does), plugged there (os_vif.plug) and the guest comes back with the
# same MAC, address, MTU, default route and checksum offload; waits until NODE's agent tags it and the port is ACTIVE.
# $dir/vms records the new node.
vm_migrate() { # NETNS NODE
  local vm_ns=$1 to=$2 line from net port mac ip inst net_id dev11 mtu route tx
  line=$(awk -v ns="$vm_ns" '$6 == ns' "$dir/vms")
  [ -n "$line" ] || die "migrate: no VM $vm_ns in $dir/vms"
  read -r from net port mac ip _ inst <<<"$line"
  [ "$from" != "$to" ] || die "migrate: $vm_ns is on $to already"
  dev11=${port:0:11}
  net_id=$(api net-id "$net")
  mtu=$(in_node "$from" ip netns exec "$vm_ns" cat /sys/class/net/eth0/mtu)
  route=$(in_node "$from" ip netns exec "$vm_ns" ip -4 route show default | awk '{print $3; exit}')
  tx=$(in_node "$from" ip netns exec "$vm_ns" ethtool -k eth0 | awk '$1 == "tx-checksumming:" {print $2}')
  step "migrate $vm_ns: $from → $to"
  in_node "$from" ip netns del "$vm_ns"
  in_node "$from" /usr/bin/python3 "$here/plug.py" unplug "$port" "$mac" "$net_id" "$inst" >/dev/null
  api port-host "$port" "$to"
  in_node "$to" /usr/bin/python3 "$here/plug.py" plug "$port" "$mac" "$net_id" "$inst" >/dev/null
  wait_for 120 "qvo$dev11 tagged on $to" port_tagged "$to" "qvo$dev11"
  wait_for 120 "port $port ACTIVE" port_active "$port"
  vm_netns "$to" "$vm_ns" "$dev11" "$mac"
  in_node "$to" ip netns exec "$vm_ns" ip addr add "$ip/24" dev eth0
  in_node "$to" ip netns exec "$vm_ns" ip link set eth0 mtu "$mtu"
  [ -z "$route" ] || in_node "$to" ip netns exec "$vm_ns" ip route replace default via "$route"
  [ "$tx" != off ] || in_node "$to" ip netns exec "$vm_ns" ethtool -K eth0 tx off >/dev/null
  awk -v ns="$vm_ns" -v to="$to" '$6 == ns {$1 = to} {print}' "$dir/vms" > "$dir/vms.tmp"
  mv "$dir/vms.tmp" "$dir/vms"
  done_step "migrate $vm_ns: $from → $to"
}
# The agents' tunnel types at runtime (e.g. vxlan,gre to add a GRE network to a VXLAN lab, then back): every OVS
# agent's [agent] tunnel_types, all agents restarted at once; the server's type_drivers already have vxlan and gre.
tunnels_set() { # TYPES
  local n
  [ -n "$tunnels" ] || die "tunnels: this lab has no tunnels"
  [[ "${1:-}" =~ ^(vxlan|gre)(,(vxlan|gre))*$ ]] || die "tunnels vxlan|gre|vxlan,gre"
  step "tunnel_types $1"
  for n in $(all_nodes); do
    crudini --set "$(ndir "$n")/root/etc-neutron/plugins/ml2/openvswitch_agent.ini" agent tunnel_types "$1"
  done
  stop_daemons 'openvswitch-agent$' 45
  for n in $(all_nodes); do start_ovs_agent "$n"; done
  wait_for 180 "all agents alive" agents_alive
  tunnels=$1
  echo "$tunnels $l2pop" > "$dir/tunnels"
  done_step "tunnel_types $1"
}
# l2population on|off: the ML2 mechanism driver (neutron-server restarted) and every OVS agent's l2_population (all
# agents restarted at once). Off, the agents build a full tunnel mesh from tunnel_sync and flood-and-learn (table 22
# lists every tunnel, table 10's learn() fills table 20); arp_responder only works with l2population.
l2pop_set() { # on|off
  local v mech n
  [ -n "$tunnels" ] || die "l2pop: this lab has no tunnels"
  case "${1:-}" in
    on) v=True; mech=openvswitch,l2population; l2pop=1 ;;
    off) v=False; mech=openvswitch; l2pop=0 ;;
    *) die "l2pop on|off" ;;
  esac
  step "l2population $1"
  crudini --set "$(ndir "$ctl")/root/etc-neutron/plugins/ml2/ml2_conf.ini" ml2 mechanism_drivers "$mech"
  for n in $(all_nodes); do
    crudini --set "$(ndir "$n")/root/etc-neutron/plugins/ml2/openvswitch_agent.ini" agent l2_population "$v"
  done
  stop_daemons 'openvswitch-agent$' 45
  stop_daemons '^neutron-server$' 30
  start_neutron_server
  for n in $(all_nodes); do start_ovs_agent "$n"; done
  wait_for 180 "all agents alive" agents_alive
  echo "$tunnels $l2pop" > "$dir/tunnels"
  done_step "l2population $1"
}

# ---- feature: <name> -------------------------------------------------------------------------------------------
# Feature blocks (sg, l3, ...) go here, one section each, with the hook functions of "feature blocks" above.

# ---- feature: sg (issue 10) ------------------------------------------------------------------------------------
# `control.sh sg` after `demo` (with or without NLAB_FEATURES=sg: it changes the VMs' groups, so no demo hook).
# Through the API, on nlab-net1: a third VM vm-net1-3 beside vm-net1-1 (same host); group nlab-ssh allows ingress
# tcp/22 from vm-net1-1's address only (/32); group nlab-web allows ingress tcp/80 from its own members (remote
# group) and udp/53 from 198.19.201.0/24. vm-net1-1: default + nlab-web; vm-net1-2: nlab-ssh + nlab-web and the
# allowed address pair 198.19.201.250; vm-net1-3: nlab-web only. Waits until both computes' iptables and ipsets
# show it. Idempotent. Writes $dir/sgs: `default <id>`, `nlab-ssh <id>`, `nlab-web <id>`.
vm_line() { awk -v ns="$1" '$6 == ns' "$dir/vms"; }
# Neutron's REST API from one python3 process (sg.py): each `openstack` run costs a Python start-up of seconds.
sg_py() { env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 $(os_env) /usr/bin/python3 "$here/sg.py" "$@"; }
sg_id() { [ -s "$dir/sgs" ] && awk -v n="$1" '$1 == n {print $2; exit}' "$dir/sgs"; }
sg_rules_seen() { # NODE PORT WANT-REGEX: the port's ingress chain holds a rule matching WANT
  in_node "$1" iptables-save | grep -- "-A neutron-openvswi-i${2:0:10} " | grep -qE -- "$3"
}
sg_set_has() { # NODE SG ADDRESS
  in_node "$1" ipset list "NIPv4${2:0:24}" 2>/dev/null | grep -qx "$3"
}
sg_apply() {
  [ -s "$dir/vms" ] || die "sg: run demo first"
  local a b web pa pb pc ia ib ic na nb
  a=$(vm_line vm-net1-1); b=$(vm_line vm-net1-2)
  [ -n "$a" ] && [ -n "$b" ] || die "sg: demo's vm-net1-1/vm-net1-2 missing"
  read -r na _ pa _ ia _ <<<"$a"
  read -r nb _ pb _ ib _ <<<"$b"
  [ -n "$(vm_line vm-net1-3)" ] || vm_add "$na" nlab-net1 vm-net1-3
  read -r _ _ pc _ ic _ <<<"$(vm_line vm-net1-3)"
  # The guests compute their own checksums, as a VM's kernel does: a veth left to offload them sends TCP and UDP with
  # partial checksums that the userspace datapath passes on unfixed, and conntrack marks the answers INVALID (the
  # security groups' INVALID rule then drops every TCP/UDP reply).
  local n ns
  while read -r n _ _ _ _ ns _; do
    in_node "$n" ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
  done < "$dir/vms"
  step "security groups nlab-ssh, nlab-web and their rules, the ports' groups (REST API, one process)"
  sg_py apply "$pa" "$pb" "$pc" "$ia" "$dir/sgs"
  read -r _ web < <(grep '^nlab-web ' "$dir/sgs")
  done_step "security groups made (API)"
  step "agents apply them (iptables + ipsets on $na and $nb)"
  wait_for 120 "tcp/22 from $ia on $nb" sg_rules_seen "$nb" "$pb" "-s $ia/32 -p tcp -m tcp --dport 22 "
  wait_for 120 "tcp/80 from nlab-web on $nb" sg_rules_seen "$nb" "$pb" "--dport 80 -m set --match-set NIPv4${web:0:24} src"
  wait_for 120 "tcp/80 from nlab-web on $na" sg_rules_seen "$na" "$pa" "--dport 80 -m set --match-set NIPv4${web:0:24} src"
  wait_for 120 "tcp/80 for vm-net1-3 on $na" sg_rules_seen "$na" "$pc" "--dport 80 -m set --match-set NIPv4${web:0:24} src"
  local ip
  for ip in "$ia" "$ib" "$ic"; do
    wait_for 120 "$ip in nlab-web's set on $na" sg_set_has "$na" "$web" "$ip"
    wait_for 120 "$ip in nlab-web's set on $nb" sg_set_has "$nb" "$web" "$ip"
  done
  wait_for 120 "198.19.201.250 allowed from vm-net1-2" \
    in_node_grep "$nb" "-A neutron-openvswi-s${pb:0:10} -s 198.19.201.250/32"
  done_step "security groups enforced on the computes"
}
in_node_grep() { in_node "$1" iptables-save | grep -q -- "$2"; }
# Undo `control.sh sg` (the shared lab is left as demo made it): the three VMs back in the default group only, no
# allowed address pair, the two groups deleted; waits until no compute has nlab-web's ipset any more. vm-net1-3 stays.
sg_restore() {
  local web ports=() ns port n
  web=$(sg_id nlab-web)
  for ns in vm-net1-1 vm-net1-2 vm-net1-3; do
    port=$(vm_line "$ns" | cut -d' ' -f3)
    [ -z "$port" ] || ports+=("$port")
  done
  sg_py restore "${ports[@]}"
  rm -f "$dir/sgs"
  [ -n "$web" ] || return 0
  for n in $(all_nodes); do wait_for 120 "nlab-web's ipset gone on $n" sg_set_gone "$n" "$web"; done
}
sg_set_gone() { ! in_node "$1" ipset list -n | grep -qx "NIPv4${2:0:24}"; }
sg_cmd() { # [apply|restore|rule add GROUP PROTO PORT [CIDR]|rule delete ID]
  case "${1:-apply}" in
    apply) sg_apply ;;
    restore) sg_restore ;;
    rule) shift; sg_py rule "$@" ;;
    *) die "sg [apply|restore|rule ...]" ;;
  esac
}

# ---- feature: l3 (issue 11) ------------------------------------------------------------------------------------
# NLAB_FEATURES="l3": the control node gets the router service plugin, br-ex (its NIC eth3 on a root bridge
# nlab<slot>ex) mapped as physnet `external`, and the real neutron-l3-agent (interface_driver openvswitch, legacy);
# `demo` then builds the flat external network 198.19.<slot-100>.0/25 (gateway .1 = a root-side namespace
# nlab<slot>out playing an internet host, which also holds .200/32 behind it), a router with its gateway and an
# interface on the first two demo networks, floating IPs for the first VM of each, and checks VM → outside (SNAT) and
# outside → floating IP (DNAT) for real. Recorded in $dir/l3-objects: `router ID`, `external ID`, `gateway IP`,
# `outside NETNS`, `internet IP`, `fip FIP NODE NETNS FIXED PORT`, `snat NODE NETNS FIXED`.
#   control.sh l3 check        the pings again, and the source address the outside host sees for each VM
#   control.sh l3 objects      print $dir/l3-objects
#   control.sh l3 outside CMD… run CMD in the outside namespace (e.g. ping a floating IP)
l3_ext_physnet=external
l3_ext_bridge=br-ex
l3_ext_nic=eth3
l3_ext_br=nlab${slot}ex
l3_outside=nlab${slot}out
l3_ext_net=198.19.$((slot - 100))
l3_ext_cidr=$l3_ext_net.0/25
l3_ext_gw=$l3_ext_net.1
l3_internet=$l3_ext_net.200

l3_configs() { # NODE
  [ "$1" = "$ctl" ] || return 0
  local r mappings
  r=$(ndir "$1")/root/etc-neutron
  crudini --set "$r/neutron.conf" DEFAULT service_plugins router
  mappings=$(crudini --get "$r/plugins/ml2/openvswitch_agent.ini" ovs bridge_mappings)
  crudini --set "$r/plugins/ml2/openvswitch_agent.ini" ovs bridge_mappings \
    "$mappings,$l3_ext_physnet:$l3_ext_bridge"
  cat > "$r/l3_agent.ini" <<EOF
[DEFAULT]
host = $ctl
interface_driver = openvswitch
agent_mode = legacy
ovs_use_veth = False
enable_metadata_proxy = True
[ovs]
integration_bridge = br-int
EOF
}
l3_wire_root() {
  ip link add "$l3_ext_br" type bridge
  ip link set "$l3_ext_br" up
}
# br-ex with its NIC (before the OVS agent starts: it exits on a mapped bridge that does not exist), and the outside
# host. TCP through the userspace datapath: a veth hands OVS (AF_PACKET) packets whose checksum the NIC was to fill
# in, and nobody does: the outside host and the VMs compute their checksums themselves (ICMP works either way).
l3_wire_node() { # NODE
  [ "$1" = "$ctl" ] || return 0
  ip link add "nl${slot}x0" type veth peer name "$l3_ext_nic" netns "/proc/$(init_pid "$ctl")/ns/net"
  ip link set "nl${slot}x0" master "$l3_ext_br" up
  in_node "$ctl" ip link set "$l3_ext_nic" up
  in_node "$ctl" ovs-vsctl --may-exist add-br "$l3_ext_bridge" -- set bridge "$l3_ext_bridge" datapath_type=netdev \
    -- --may-exist add-port "$l3_ext_bridge" "$l3_ext_nic"
  in_node "$ctl" ip link set "$l3_ext_bridge" up
  ip netns add "$l3_outside"
  ip link add "nl${slot}xo" type veth peer name eth0 netns "$l3_outside"
  ip link set "nl${slot}xo" master "$l3_ext_br" up
  ip netns exec "$l3_outside" ip link set lo up
  ip netns exec "$l3_outside" ip link set eth0 up
  ip netns exec "$l3_outside" ethtool -K eth0 tx off >/dev/null
  ip netns exec "$l3_outside" ip addr add "$l3_ext_gw/25" dev eth0
  ip netns exec "$l3_outside" ip addr add "$l3_internet/32" dev lo
}
start_l3_agent() {
  launch "$ctl" neutron-l3-agent /var/log/neutron/l3-agent.out /usr/bin/neutron-l3-agent \
    --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/l3_agent.ini \
    --log-file /var/log/neutron/l3-agent.log
}
l3_up() {
  start_l3_agent
  wait_for 180 "L3 agent alive" agent_alive "$ctl" l3
}
l3_get() { awk -v k="$1" '$1 == k {print $2}' "$dir/l3-objects"; }
l3_demo() {
  local name n port fixed netns first routed=() fip_ports=() snat=() fip router_id
  # The first two demo networks get an interface (the others stay isolated); the first VM of each a floating IP.
  while read -r name _; do routed+=("$name"); done < <(demo_networks | head -2)
  for name in "${routed[@]}"; do
    first=1
    while read -r n _ port _ fixed netns _; do
      in_node "$n" ip netns exec "$netns" ip route replace default via "${fixed%.*}.1"
      in_node "$n" ip netns exec "$netns" ethtool -K eth0 tx off >/dev/null
      if [ $first = 1 ]; then fip_ports+=("$port"); first=0; else snat+=("snat $n $netns $fixed"); fi
    done < <(awk -v net="$name" '$2 == net' "$dir/vms")
  done
  step "L3: external network $l3_ext_cidr, router, interfaces, floating IPs (REST API, one process)"
  # Ingress from the external network only, for the VMs with a floating IP (group nlab-fip; the default group stays).
  env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 $(os_env) /usr/bin/python3 "$here/l3.py" demo "$l3_ext_physnet" \
    "$l3_ext_cidr" "$l3_ext_gw" "$l3_ext_net.10" "$l3_ext_net.100" "${routed[@]}" -- "${fip_ports[@]}" \
    > "$dir/l3-api.out" || die "l3: the API calls failed (see above)"
  { grep -E '^(router|external|gateway) ' "$dir/l3-api.out"; echo "outside $l3_outside"; echo "internet $l3_internet"
    while read -r _ port fip; do
      read -r n _ _ _ fixed netns _ < <(awk -v p="$port" '$3 == p' "$dir/vms")
      echo "fip $fip $n $netns $fixed $port"
    done < <(grep '^fip ' "$dir/l3-api.out")
    printf '%s\n' "${snat[@]}"; } > "$dir/l3-objects.tmp"
  rm -f "$dir/l3-api.out"
  router_id=$(awk '$1 == "router" {print $2}' "$dir/l3-objects.tmp")
  done_step "L3: router and floating IPs (API)"
  mv "$dir/l3-objects.tmp" "$dir/l3-objects"
  step "L3: qrouter-$router_id with gateway, interfaces, floating IPs, metadata proxy"
  wait_for 300 "qrouter-$router_id ready" l3_ready "$router_id"
  done_step "L3: router namespace ready"
  step "L3: VM → internet host (SNAT), outside → floating IP (DNAT)"
  l3_check
  done_step "L3: pings both ways"
}
# Ready: the namespace holds the gateway and every floating IP on qg-, a qr- per routed network, and the metadata
# proxy (haproxy) for the router runs.
l3_ready() {
  local router_id=$1 addrs fip
  addrs=$(in_node "$ctl" ip netns exec "qrouter-$router_id" ip -o -4 addr show) || return 1
  grep -q " qg-[^ ]* *inet $(l3_get gateway)/" <<<"$addrs" || return 1
  for fip in $(awk '$1 == "fip" {print $2}' "$dir/l3-objects"); do grep -q "inet $fip/32" <<<"$addrs" || return 1; done
  [ "$(grep -c ' qr-' <<<"$addrs")" -ge 2 ] || return 1
  in_node "$ctl" pgrep -f "haproxy -f /var/lib/neutron/ns-metadata-proxy/$router_id.conf" >/dev/null
}
# Each check fails with what it saw: ping from the outside host to every floating IP, ping from every VM to the
# internet host, and the source address the outside host sees (a one-shot TCP listener there prints its peer).
l3_check() {
  local kind a b c d e f seen want n netns
  while read -r kind a b c d e f; do
    case "$kind" in
      fip) # fip FIP NODE NETNS FIXED PORT
        ip netns exec "$l3_outside" busybox ping -c 2 -W 2 "$a" >/dev/null ||
          die "l3: no ping from $l3_outside to floating IP $a ($c on $b)"
        want=$a n=$b netns=$c ;;
      snat) want=$(l3_get gateway) n=$a netns=$b ;;
      *) continue ;;
    esac
    in_node "$n" ip netns exec "$netns" busybox ping -c 2 -W 2 "$l3_internet" >/dev/null ||
      die "l3: no ping from $netns on $n to $l3_internet"
    seen=$(l3_source_seen "$n" "$netns")
    [ "$seen" = "$want" ] || die "l3: $netns on $n reaches $l3_internet as $seen, expected $want"
    log "  $netns on $n → $l3_internet seen as $seen"
  done < "$dir/l3-objects"
}
# The address the outside host sees when VM NETNS on NODE connects to the internet host's TCP port 7.
l3_source_seen() { # NODE NETNS
  local out=$dir/l3-seen pid
  rm -f "$out" "$out.ready"
  ip netns exec "$l3_outside" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7)); s.listen(1); s.settimeout(15)
open(sys.argv[2] + ".ready", "w").close()
c, peer = s.accept(); open(sys.argv[2], "w").write(peer[0]); c.close()' "$l3_internet" "$out" 2>/dev/null &
  pid=$!
  wait_for 10 "listener in $l3_outside" test -e "$out.ready"
  in_node "$1" ip netns exec "$2" busybox nc -w 2 "$l3_internet" 7 </dev/null >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  cat "$out" 2>/dev/null || echo none
  rm -f "$out" "$out.ready"
}
l3_down_root() {
  ip link del "$l3_ext_br" 2>/dev/null || true
  [ ! -e "/run/netns/$l3_outside" ] || ip netns del "$l3_outside"
}
l3_verify_clean() {
  local bad=0
  if ip -o link show | grep -Eq ": (nl${slot}x[0o]|$l3_ext_br)[@:]"; then log "leftover links of the l3 block"; bad=1; fi
  if [ -e "/run/netns/$l3_outside" ]; then log "leftover namespace $l3_outside"; bad=1; fi
  return $bad
}
l3_cmd() { # check | objects | outside CMD...
  case "${1:-}" in
    check) l3_check ;;
    objects) cat "$dir/l3-objects" ;;
    outside) shift; ip netns exec "$l3_outside" "$@" ;;
    *) die "l3 check|objects|outside CMD..." ;;
  esac
}

# ---- up / down / status ---------------------------------------------------------------------------------------
up() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ ! -e "$dir" ] || die "$dir exists (a lab is up, or a failed one left its logs): run \`$0 down\` first"
  command -v neutron-server >/dev/null || die "neutron-server missing: run test/lab/neutron/install.sh"
  local t0 n
  mkdir -p "$dir/secrets"
  chmod 700 "$dir/secrets"
  echo "$computes" > "$dir/computes"
  echo "${tunnels:--} $l2pop" > "$dir/tunnels"
  echo "$networks" > "$dir/networks"
  echo "$features" > "$dir/features"
  : > "$dir/timings"
  t0=$(now_ms)
  step "prepare node directories and configs"
  for n in $(all_nodes); do prepare_node_dirs "$n"; render_node_configs "$n"; run_hooks configs "$n"; done
  done_step "prepare dirs+configs"
  step "start nodes"
  wire_root
  run_hooks wire_root
  for n in $(all_nodes); do start_node "$n"; wire_node "$n"; run_hooks wire_node "$n"; done
  done_step "nodes + OVS + links"
  # Side by side where one needs nothing of the other (each mostly waits on a daemon's start-up): RabbitMQ from the
  # start; after MariaDB, Keystone and the Neutron schema. neutron-server needs all of them. (rabbit and schema are
  # not local: the EXIT trap below reads them.)
  (step "RabbitMQ"; start_rabbitmq; done_step "RabbitMQ up + user") & rabbit=$!
  step "MariaDB"; start_mariadb; done_step "MariaDB up + DBs"
  (
    step "neutron-db-manage upgrade heads"
    in_node "$ctl" neutron-db-manage "${server_conf_args[@]}" upgrade heads >"$dir/db-manage.log" 2>&1 ||
      die "neutron-db-manage failed: $(tail -5 "$dir/db-manage.log")"
    done_step "neutron-db-manage upgrade heads"
  ) & schema=$!
  # Keystone failing ends this script: not the two subshells with it.
  trap 'kill "$rabbit" "$schema" 2>/dev/null || true' EXIT
  step "Keystone"; start_keystone; done_step "Keystone db_sync+bootstrap+uwsgi"
  step "register neutron in Keystone"; register_neutron; done_step "Keystone: service user+endpoints"
  wait "$schema" || die "neutron-db-manage failed (see above)"
  wait "$rabbit" || die "RabbitMQ failed (see above)"
  trap - EXIT
  step "neutron-server"; start_neutron_server; done_step "neutron-server answering"
  step "agents"
  start_dhcp_agent
  for n in $(all_nodes); do start_ovs_agent "$n"; done
  wait_for 180 "all agents alive" agents_alive
  done_step "agents alive"
  run_hooks up
  printf '%-44s %6d ms\n' "up total" $(( $(now_ms) - t0 )) >> "$dir/timings"
  log "up: done; memory:"
  memory_report | tee "$dir/memory-up" >&2
}

# SIGTERM every recorded daemon (of every node) whose name matches PATTERN at once, wait, SIGKILL the slow ones.
stop_daemons() { # PATTERN SECONDS
  local pattern=$1 secs=$2 n f name pid st refs=()
  for n in $(all_nodes); do
    f=$(ndir "$n")/pids/order
    [ -s "$f" ] || continue
    for name in $(tac "$f"); do
      [[ "$name" =~ $pattern ]] || continue
      read -r pid st < "$(ndir "$n")/pids/$name" || continue
      alive "$pid" "$st" || continue
      log "  stopping $n/$name ($pid)"
      kill -TERM "$pid" 2>/dev/null || true
      refs+=("$pid:$st:$n/$name")
    done
  done
  local ref
  for ref in "${refs[@]}"; do
    IFS=: read -r pid st name <<<"$ref"
    stop_wait "$pid" "$st" "$secs" || { log "  $name did not exit in $secs s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  done
}

# Stop the recorded daemons (agents, then API services, then queue and database), then whatever they left in the
# node (dnsmasq, privsep helpers, epmd, OVS ...) by PID, then each node's PID 1, then the root-side links.
down() {
  [ -d "$dir" ] || { log "nothing at $dir"; return 0; }
  [ -s "$dir/computes" ] && computes=$(cat "$dir/computes")
  local t0 n d pid st live=()
  t0=$(now_ms)
  for n in $(all_nodes); do
    d=$(ndir "$n")
    [ -s "$d/init.ref" ] && alive $(cat "$d/init.ref") && live+=("$n")
  done
  if [ ${#live[@]} -gt 0 ]; then
    stop_daemons 'agent$' 45
    stop_daemons '^(neutron-server|keystone)$' 30
    stop_daemons '^(rabbitmq|mariadb)$' 30
    for n in "${live[@]}"; do
      local left=()
      for pid in $(node_pids "$n"); do
        [ "$pid" = "$(init_pid "$n")" ] && continue
        left+=("$pid")
        log "  $n: also ending $pid $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-90)"
      done
      [ ${#left[@]} -eq 0 ] || kill -KILL "${left[@]}" 2>/dev/null || true
      kill -KILL "$(init_pid "$n")" 2>/dev/null || true
    done
    for n in "${live[@]}"; do
      read -r pid st < "$(ndir "$n")/init.ref"
      stop_wait "$pid" "$st" 10 || die "node $n: init $pid did not end"
    done
  fi
  for n in $(all_nodes); do
    d=$(ndir "$n")
    [ -s "$d/unshare.pid" ] || continue
    pid=$(cat "$d/unshare.pid")
    for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
  done
  # The veths went with the nodes' network namespaces; the bridges are ours to delete.
  ip link del "$mgmt_br" 2>/dev/null || true
  ip link del "$switch_br" 2>/dev/null || true
  ip link del "$underlay_br" 2>/dev/null || true
  run_hooks down_root
  rm -rf "$dir"
  log "down: $(( $(now_ms) - t0 )) ms"
  verify_clean
}
stop_wait() { # PID STARTTIME SECONDS
  local deadline=$(( $(date +%s) + $3 ))
  while alive "$1" "$2"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
verify_clean() {
  local bad=0
  if ip -o link show | grep -Eq ": (nl${slot}[mpu][0-9]+|$mgmt_br|$switch_br|$underlay_br)[@:]"; then
    log "leftover links: $(ip -o link show | grep -Eo ": (nl${slot}[mpu][0-9]+|$mgmt_br|$switch_br|$underlay_br)[@:]" | tr '\n' ' ')"
    bad=1
  fi
  if ip -o addr show | grep -q "198\.18\.$slot\."; then log "leftover address 198.18.$slot.x"; bad=1; fi
  if [ -e "$dir" ]; then log "leftover $dir"; bad=1; fi
  if grep -q "$dir" /proc/mounts; then log "leftover mounts under $dir"; bad=1; fi
  if ps -eo args | grep -v grep | grep -q -- "$dir"; then log "leftover process naming $dir"; bad=1; fi
  run_hooks verify_clean || bad=1
  [ $bad = 0 ] && log "down: verified clean (no link, address, mount, process or directory left)"
  return $bad
}

status() {
  [ -d "$dir" ] || { echo "no lab at $dir"; return 1; }
  [ -s "$dir/computes" ] && computes=$(cat "$dir/computes")
  local n name pid st
  for n in $(all_nodes); do
    for name in $(cat "$(ndir "$n")/pids/order" 2>/dev/null); do
      read -r pid st < "$(ndir "$n")/pids/$name"
      if alive "$pid" "$st"; then echo "$n/$name $pid alive"; else echo "$n/$name $pid DEAD"; fi
    done
  done
  memory_report
  cat "$dir/timings"
}

[ -s "$dir/computes" ] && computes=$(cat "$dir/computes")
if [ -s "$dir/tunnels" ]; then
  read -r tunnels l2pop < "$dir/tunnels"
  [ "$tunnels" != - ] || tunnels=
fi
[ ! -e "$dir/networks" ] || networks=$(cat "$dir/networks")
[ ! -e "$dir/features" ] || features=$(cat "$dir/features")
cmd=${1:-}
shift || true
case "$cmd" in
  up) up ;;
  demo) demo ;;
  down) down ;;
  status) status ;;
  exec) n=${1:?node}; shift; in_node "$n" "$@" ;;
  openstack) os "$@" ;;
  agent) agent "$@" ;;
  vm) vm_add "$@" ;;
  sql) mysql_in_ctl neutron -e "$*" ;;
  migrate) vm_migrate "$@" ;;
  vm-del) vm_del "$@" ;;
  net-add) net_add "$@" ;;
  net-del) net_del "$@" ;;
  l2pop) l2pop_set "$@" ;;
  tunnels) tunnels_set "$@" ;;
  ini) ini_set "$@" ;;
  env) os_env | sed 's/^/export /' ;;
  api) api "$@" ;;
  sg) sg_cmd "$@" ;;
  *)
    if [ -n "$cmd" ] && has_feature "$cmd" && declare -F "${cmd}_cmd" >/dev/null; then
      "${cmd}_cmd" "$@"
    else
      sed -n '2,40p' "$0"
      exit 2
    fi
    ;;
esac
