#!/usr/bin/python3
"""The Neutron calls `control.sh` makes while it builds the lab and while tests wait on it, through the REST API
(neutron_api.py): a start-up of milliseconds instead of the `openstack` CLI's seconds of CPU, which the 0.5 s polls of
wait_for paid over and over on the very cores the agents being waited for needed. Standard library only.

    api.py server-up                          exit 0 when neutron-server answers GET /networks
    api.py net-create NAME TYPE PHYSNET SEG CIDR
                                              network NAME (PHYSNET, SEG: - for none) and its DHCP subnet NAME-subnet;
                                              prints the network's id
    api.py net-id NAME                        the network's id
    api.py net-delete NET_ID                  the network and its subnets
    api.py port-create NET_ID HOST NAME DEVICE_ID
                                              a compute port bound to HOST; prints `id mac ip vif_type`
    api.py port-active PORT                   exit 0 when the port is ACTIVE
    api.py port-host PORT HOST                the port's binding moved to HOST
    api.py port-delete PORT_ID                the port deleted
    api.py agent-alive HOST TYPE              exit 0 when HOST's agent of TYPE (ovs, dhcp, l3) is alive
    api.py agents-alive DHCP_HOST NODE...     exit 0 when DHCP_HOST's DHCP agent and every NODE's OVS agent are alive
    api.py intent DIR                         the API bodies the intent reader takes (GET /networks, /subnets, /ports,
                                              /security-groups, /security-group-rules, /routers, /floatingips) as
                                              DIR/<what>.json, from one token that never leaves this process (capture.ts);
                                              routers and floatingips are left out when the router plugin is off (404)
    api.py keystone-register URL              Keystone (just bootstrapped) gets the project "service", the user
                                              neutron (password from NLAB_NEUTRON_PASSWORD, never an argument) as its
                                              admin, and the network service with its three endpoints at URL
"""
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from neutron_api import OPENER, Neutron, call, keystone_token

AGENT_TYPES = {'ovs': 'Open vSwitch agent', 'dhcp': 'DHCP agent', 'l3': 'L3 agent'}


def q(value):
    return urllib.parse.quote(value, safe='')


def net_id(n, name):
    """The id of the only network named `name`."""
    found = n.req('GET', f'/networks?name={q(name)}&fields=id')['networks']
    if len(found) != 1:
        sys.exit(f'api.py: {len(found)} networks named {name}')
    return found[0]['id']


def alive(n, host, kind):
    agents = n.req('GET', f'/agents?host={q(host)}&agent_type={q(AGENT_TYPES[kind])}')['agents']
    return any(a['alive'] for a in agents)


def net_create(n, name, net_type, physnet, seg, cidr):
    network = {'name': name, 'provider:network_type': net_type}
    if physnet != '-':
        network['provider:physical_network'] = physnet
    if seg != '-':
        network['provider:segmentation_id'] = int(seg)
    net = n.req('POST', '/networks', {'network': network})['network']['id']
    subnet = {'name': f'{name}-subnet', 'network_id': net, 'ip_version': 4, 'cidr': cidr, 'enable_dhcp': True}
    n.req('POST', '/subnets', {'subnet': subnet})
    print(net)


def port_create(n, net, host, name, device):
    port = {
        'network_id': net,
        'name': name,
        'device_owner': 'compute:nova',
        'device_id': device,
        'binding:host_id': host,
    }
    p = n.req('POST', '/ports', {'port': port})['port']
    print(p['id'], p['mac_address'], p['fixed_ips'][0]['ip_address'], p['binding:vif_type'])


INTENT = ('networks', 'subnets', 'ports', 'security-groups', 'security-group-rules', 'routers', 'floatingips')


def intent(n, into):
    for what in INTENT:
        req = urllib.request.Request(f'{n.url}/{what}', headers={'X-Auth-Token': n.token, 'Accept': 'application/json'})
        try:
            with OPENER.open(req, timeout=60) as r:
                body = r.read()
        except urllib.error.HTTPError as e:
            # routers and floatingips exist only with the router service plugin (the L3 block): a 404 is no document.
            if e.code == 404 and what in ('routers', 'floatingips'):
                continue
            sys.exit(f'api.py intent: GET /{what}: HTTP {e.code}: {e.read().decode(errors="replace")[:500]}')
        with open(os.path.join(into, f'{what}.json'), 'wb') as f:
            f.write(body)


def keystone_register(url):
    """What `openstack project/user/role/service/endpoint create` did for neutron, in one process."""
    base = os.environ['OS_AUTH_URL'].rstrip('/')
    token = keystone_token()[0]

    def ks(method, path, body=None):
        return call(method, base + path, body, token)[1]

    domain = ks('GET', '/domains?name=Default')['domains'][0]['id']
    project = ks('POST', '/projects', {'project': {'name': 'service', 'domain_id': domain,
                                                   'description': 'Service project'}})['project']['id']
    user = ks('POST', '/users', {'user': {'name': 'neutron', 'domain_id': domain,
                                          'password': os.environ['NLAB_NEUTRON_PASSWORD']}})['user']['id']
    role = ks('GET', '/roles?name=admin')['roles'][0]['id']
    ks('PUT', f'/projects/{project}/users/{user}/roles/{role}')
    service = ks('POST', '/services', {'service': {'name': 'neutron', 'type': 'network',
                                                   'description': 'OpenStack Networking'}})['service']['id']
    for interface in ('public', 'internal', 'admin'):
        endpoint = {'service_id': service, 'interface': interface, 'url': url, 'region_id': 'RegionOne'}
        ks('POST', '/endpoints', {'endpoint': endpoint})


def main(argv):
    cmd, args = (argv[0], argv[1:]) if argv else ('', [])
    try:
        if cmd == 'server-up' and not args:
            Neutron().req('GET', '/networks?fields=id')
        elif cmd == 'net-create' and len(args) == 5:
            net_create(Neutron(), *args)
        elif cmd == 'net-id' and len(args) == 1:
            print(net_id(Neutron(), args[0]))
        elif cmd == 'net-delete' and len(args) == 1:
            n = Neutron()
            for s in n.req('GET', f'/subnets?network_id={q(args[0])}&fields=id')['subnets']:
                n.req('DELETE', f'/subnets/{s["id"]}')
            n.req('DELETE', f'/networks/{q(args[0])}')
        elif cmd == 'port-create' and len(args) == 4:
            port_create(Neutron(), *args)
        elif cmd == 'port-active' and len(args) == 1:
            n = Neutron()
            sys.exit(0 if n.req('GET', f'/ports/{q(args[0])}?fields=status')['port']['status'] == 'ACTIVE' else 1)
        elif cmd == 'port-host' and len(args) == 2:
            Neutron().req('PUT', f'/ports/{q(args[0])}', {'port': {'binding:host_id': args[1]}})
        elif cmd == 'port-delete' and len(args) == 1:
            Neutron().req('DELETE', f'/ports/{q(args[0])}')
        elif cmd == 'agent-alive' and len(args) == 2 and args[1] in AGENT_TYPES:
            sys.exit(0 if alive(Neutron(), *args) else 1)
        elif cmd == 'intent' and len(args) == 1:
            intent(Neutron(), args[0])
        elif cmd == 'keystone-register' and len(args) == 1:
            keystone_register(args[0])
        elif cmd == 'agents-alive' and len(args) >= 1:
            n = Neutron()
            sys.exit(0 if alive(n, args[0], 'dhcp') and all(alive(n, node, 'ovs') for node in args[1:]) else 1)
        else:
            sys.exit(__doc__)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        # Keystone or neutron-server not (yet) answering: a failed poll, not a traceback.
        sys.exit(f'api.py {cmd}: {e}')


if __name__ == '__main__':
    main(sys.argv[1:])
