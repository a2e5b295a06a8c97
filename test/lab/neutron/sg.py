#!/usr/bin/python3
"""The security groups of `control.sh sg` through Neutron's REST API: one process and one Keystone token instead of
a dozen `openstack` CLI runs (each a Python start-up of seconds on a loaded machine). Standard library only.

    sg.py apply PORT_A PORT_B PORT_C IP_A SGS_FILE   nlab-ssh, nlab-web and their rules (made once), the three ports'
                                                     groups and vm-net1-2's allowed address pair; writes SGS_FILE
    sg.py restore PORT...                            the ports back in the default group, no pairs; the groups deleted
    sg.py rule add|delete ...                        see rule() below (the fault tests' rules)

Credentials from the OS_* variables control.sh's os_env sets (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME). Talks to the lab's control node only.
"""
import json
import os
import sys
import urllib.error
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header('Content-Type', 'application/json')
    req.add_header('Accept', 'application/json')
    if token:
        req.add_header('X-Auth-Token', token)
    try:
        with OPENER.open(req, timeout=60) as r:
            raw = r.read()
            return r.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        sys.exit(f'sg.py: {method} {url}: HTTP {e.code}: {e.read().decode(errors="replace")[:500]}')


class Neutron:
    def __init__(self):
        auth = {
            'auth': {
                'identity': {
                    'methods': ['password'],
                    'password': {
                        'user': {
                            'name': os.environ['OS_USERNAME'],
                            'domain': {'name': os.environ['OS_USER_DOMAIN_NAME']},
                            'password': os.environ['OS_PASSWORD'],
                        }
                    },
                },
                'scope': {
                    'project': {
                        'name': os.environ['OS_PROJECT_NAME'],
                        'domain': {'name': os.environ['OS_PROJECT_DOMAIN_NAME']},
                    }
                },
            }
        }
        headers, body = call('POST', os.environ['OS_AUTH_URL'].rstrip('/') + '/auth/tokens', auth)
        self.token = headers['X-Subject-Token']
        self.project = body['token']['project']['id']
        urls = [
            e['url']
            for s in body['token']['catalog']
            if s['type'] == 'network'
            for e in s['endpoints']
            if e['interface'] == 'public'
        ]
        if not urls:
            sys.exit('sg.py: no public network endpoint in the catalog')
        self.url = urls[0].rstrip('/') + '/v2.0'

    def req(self, method, path, body=None):
        return call(method, self.url + path, body, self.token)[1]

    def group(self, name):
        """The project's group of that name (id), or None."""
        found = self.req('GET', f'/security-groups?name={name}&project_id={self.project}')['security_groups']
        return found[0]['id'] if found else None

    def create_group(self, name, rules):
        sg = self.req('POST', '/security-groups', {'security_group': {'name': name}})['security_group']['id']
        for rule in rules:
            self.add_rule(sg, rule)
        return sg

    def add_rule(self, sg, rule):
        body = {'security_group_id': sg, 'direction': 'ingress', 'ethertype': 'IPv4', **rule}
        return self.req('POST', '/security-group-rules', {'security_group_rule': body})['security_group_rule']['id']

    def set_port(self, port, groups, pairs):
        body = {'security_groups': groups, 'allowed_address_pairs': [{'ip_address': ip} for ip in pairs]}
        self.req('PUT', f'/ports/{port}', {'port': body})


def tcp_udp(proto, port, **remote):
    return {'protocol': proto, 'port_range_min': port, 'port_range_max': port, **remote}


def apply(n, pa, pb, pc, ia, sgs_file):
    default = n.group('default')
    if not default:
        sys.exit('sg.py: the admin project has no default security group')
    ssh = n.group('nlab-ssh') or n.create_group('nlab-ssh', [tcp_udp('tcp', 22, remote_ip_prefix=f'{ia}/32')])
    web = n.group('nlab-web')
    if not web:
        web = n.create_group('nlab-web', [])
        n.add_rule(web, tcp_udp('tcp', 80, remote_group_id=web))
        n.add_rule(web, tcp_udp('udp', 53, remote_ip_prefix='198.19.201.0/24'))
    n.set_port(pa, [default, web], [])
    n.set_port(pb, [ssh, web], ['198.19.201.250'])
    n.set_port(pc, [web], [])
    with open(sgs_file, 'w') as f:
        f.write(f'default {default}\nnlab-ssh {ssh}\nnlab-web {web}\n')


def restore(n, ports):
    default = n.group('default')
    for port in ports:
        n.set_port(port, [default], [])
    for name in ('nlab-ssh', 'nlab-web'):
        sg = n.group(name)
        if sg:
            n.req('DELETE', f'/security-groups/{sg}')


def rule(n, args):
    """rule add GROUP PROTO PORT [REMOTE_CIDR] (prints the rule's id) | rule delete RULE_ID"""
    if args[:1] == ['add'] and len(args) in (4, 5):
        sg = n.group(args[1]) or sys.exit(f'sg.py: no group {args[1]}')
        remote = {'remote_ip_prefix': args[4]} if len(args) == 5 else {}
        print(n.add_rule(sg, tcp_udp(args[2], int(args[3]), **remote)))
    elif args[:1] == ['delete'] and len(args) == 2:
        n.req('DELETE', f'/security-group-rules/{args[1]}')
    else:
        sys.exit(rule.__doc__)


def main(argv):
    if argv[:1] == ['apply'] and len(argv) == 6:
        apply(Neutron(), *argv[1:])
    elif argv[:1] == ['restore']:
        restore(Neutron(), argv[1:])
    elif argv[:1] == ['rule']:
        rule(Neutron(), argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
