#!/usr/bin/python3
"""The security groups of `control.sh sg` through Neutron's REST API: one process and one Keystone token instead of
a dozen `openstack` CLI runs (each a Python start-up of seconds on a loaded machine). Standard library only.

    sg.py apply PORT_A PORT_B PORT_C IP_A SGS_FILE   nlab-ssh, nlab-web and their rules (made once), the three ports'
                                                     groups and vm-net1-2's allowed address pair; writes SGS_FILE
    sg.py restore PORT...                            the ports back in the default group, no pairs; the groups deleted
                                                     (both keep a port's other groups, e.g. the l3 block's nlab-fip)
    sg.py rule add|delete ...                        see rule() below (the fault tests' rules)

The API and its credentials: neutron_api.py.
"""
import sys

from neutron_api import Neutron


def tcp_udp(proto, port, **remote):
    return {'protocol': proto, 'port_range_min': port, 'port_range_max': port, **remote}


def others(n, port, ours):
    """The port's groups that sg.py does not manage (e.g. the l3 block's nlab-fip): kept by apply and restore."""
    return [g for g in n.req('GET', f'/ports/{port}')['port']['security_groups'] if g not in ours]


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
    ours = {default, ssh, web}
    n.set_port(pa, [default, web] + others(n, pa, ours), [])
    n.set_port(pb, [ssh, web] + others(n, pb, ours), ['198.19.201.250'])
    n.set_port(pc, [web] + others(n, pc, ours), [])
    with open(sgs_file, 'w') as f:
        f.write(f'default {default}\nnlab-ssh {ssh}\nnlab-web {web}\n')


def restore(n, ports):
    default = n.group('default')
    ours = {default, n.group('nlab-ssh'), n.group('nlab-web')}
    for port in ports:
        n.set_port(port, [default] + others(n, port, ours), [])
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
