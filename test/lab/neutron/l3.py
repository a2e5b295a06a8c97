#!/usr/bin/python3
"""The L3 objects of `control.sh`'s l3 block through Neutron's REST API, in one process with one Keystone token
(neutron_api.py) instead of about fifteen `openstack` CLI runs. Standard library only.

    l3.py demo PHYSNET CIDR GATEWAY POOL_START POOL_END NETWORK... -- PORT...
        the flat external network nlab-ext (subnet nlab-ext-subnet, no DHCP), the router nlab-router with its gateway
        there and an interface on each NETWORK's subnet (<NETWORK>-subnet), the group nlab-fip (icmp and tcp from
        CIDR) added to each PORT with a floating IP. Prints `router ID`, `external ID`, `gateway IP` and, per PORT,
        `fip PORT ADDRESS`.
"""
import sys

from neutron_api import Neutron


def demo(n, physnet, cidr, gateway, start, end, rest):
    if '--' not in rest:
        sys.exit(__doc__)
    cut = rest.index('--')
    networks, ports = rest[:cut], rest[cut + 1 :]
    ext = n.req(
        'POST',
        '/networks',
        {
            'network': {
                'name': 'nlab-ext',
                'router:external': True,
                'provider:network_type': 'flat',
                'provider:physical_network': physnet,
            }
        },
    )['network']['id']
    subnet = {
        'name': 'nlab-ext-subnet',
        'network_id': ext,
        'ip_version': 4,
        'cidr': cidr,
        'gateway_ip': gateway,
        'enable_dhcp': False,
        'allocation_pools': [{'start': start, 'end': end}],
    }
    n.req('POST', '/subnets', {'subnet': subnet})
    router = n.req('POST', '/routers', {'router': {'name': 'nlab-router', 'external_gateway_info': {'network_id': ext}}})
    router = router['router']
    print(f"router {router['id']}")
    print(f'external {ext}')
    print(f"gateway {router['external_gateway_info']['external_fixed_ips'][0]['ip_address']}")
    for name in networks:
        found = n.req('GET', f'/subnets?name={name}-subnet')['subnets']
        if not found:
            sys.exit(f'l3.py: no subnet {name}-subnet')
        n.req('PUT', f"/routers/{router['id']}/add_router_interface", {'subnet_id': found[0]['id']})
    fip_group = n.create_group(
        'nlab-fip',
        [
            {'protocol': 'icmp', 'remote_ip_prefix': cidr},
            {'protocol': 'tcp', 'port_range_min': 1, 'port_range_max': 65535, 'remote_ip_prefix': cidr},
        ],
    )
    for port in ports:
        groups = n.req('GET', f'/ports/{port}')['port']['security_groups']
        n.req('PUT', f'/ports/{port}', {'port': {'security_groups': groups + [fip_group]}})
        fip = n.req('POST', '/floatingips', {'floatingip': {'floating_network_id': ext, 'port_id': port}})
        print(f"fip {port} {fip['floatingip']['floating_ip_address']}")


def main(argv):
    if argv[:1] == ['demo'] and len(argv) >= 7:
        demo(Neutron(), *argv[1:6], argv[6:])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
