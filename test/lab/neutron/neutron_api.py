#!/usr/bin/python3
"""Neutron's REST API for the lab's scripts (sg.py, l3.py): one Keystone token per process instead of one `openstack`
CLI run (a Python start-up of seconds on a loaded machine) per call. Standard library only.

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
        sys.exit(f'{sys.argv[0]}: {method} {url}: HTTP {e.code}: {e.read().decode(errors="replace")[:500]}')


def keystone_token():
    """A token scoped to the OS_* project for the OS_* user: (token, its body with the catalog)."""
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
    return headers['X-Subject-Token'], body


class Neutron:
    def __init__(self):
        self.token, body = keystone_token()
        self.project = body['token']['project']['id']
        urls = [
            e['url']
            for s in body['token']['catalog']
            if s['type'] == 'network'
            for e in s['endpoints']
            if e['interface'] == 'public'
        ]
        if not urls:
            sys.exit(f'{sys.argv[0]}: no public network endpoint in the catalog')
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
