#!/usr/bin/python3
"""Plug (or unplug) a Neutron port the way Nova does for a hybrid-plugged instance: the real os_vif.plug with a
VIFBridge (qbr Linux bridge, qvb/qvo veth pair, qvo on br-int with iface-id/attached-mac/vm-uuid external_ids).

Run inside the node with Debian's /usr/bin/python3 (os-vif is a Debian package, not in any other interpreter):
    plug.py plug|unplug PORT_ID MAC NETWORK_ID INSTANCE_UUID [DATAPATH_TYPE]
The privsep daemon is forked (we are root already) instead of started through `sudo privsep-helper`.
"""
import sys

import os_vif
from os_vif.objects import instance_info, network, vif
from oslo_privsep import priv_context
from vif_plug_ovs import privsep as ovs_privsep


def build_vif(port_id: str, mac: str, net_id: str, datapath: str) -> vif.VIFBridge:
    dev = port_id[:11]
    return vif.VIFBridge(
        id=port_id,
        address=mac,
        bridge_name=f'qbr{dev}',
        vif_name=f'tap{dev}',
        plugin='ovs',
        has_traffic_filtering=True,
        preserve_on_delete=False,
        network=network.Network(id=net_id, bridge='br-int'),
        port_profile=vif.VIFPortProfileOpenVSwitch(interface_id=port_id, datapath_type=datapath),
    )


def main(argv: list[str]) -> int:
    if len(argv) < 5 or argv[0] not in ('plug', 'unplug'):
        print(__doc__, file=sys.stderr)
        return 2
    action, port_id, mac, net_id, instance_uuid = argv[:5]
    datapath = argv[5] if len(argv) > 5 else 'netdev'
    os_vif.initialize()
    ovs_privsep.vif_plug.start(priv_context.Method.FORK)
    the_vif = build_vif(port_id, mac, net_id, datapath)
    info = instance_info.InstanceInfo(uuid=instance_uuid, name=f'instance-{instance_uuid[:8]}', project_id='nlab')
    if action == 'plug':
        os_vif.plug(the_vif, info)
    else:
        os_vif.unplug(the_vif, info)
    print(f'{action}ged {the_vif.vif_name} via {the_vif.bridge_name} into br-int (iface-id {port_id})')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
