import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  InventoryError,
  loadInventory,
  parseHostArg,
  parseInventory,
  resolveHostArgs,
} from '../../src/collect/inventory.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'neutrace-inv-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function errorOf(fn: () => unknown): InventoryError {
  try {
    fn()
  } catch (error) {
    if (error instanceof InventoryError) return error
    throw error
  }
  throw new Error('no error thrown')
}

const YAML = `# lab inventory
defaults:
  user: heat-admin
  identityFile: ~/.ssh/lab
  sudo: true
hosts:
  controller:
    address: 198.18.0.10
    roles: [control, network]
  compute1:
    address: 198.18.0.11
    port: 2222
    user: root
    roles: compute
    sudo: false
    execPrefix: [docker, exec, openvswitch_vswitchd]
    knownHostsFile: /tmp/kh
  compute2:
`

describe('YAML inventory', () => {
  it('reads hosts with defaults applied', () => {
    const inv = parseInventory(YAML, 'lab.yaml')
    expect(inv.format).toBe('yaml')
    expect(inv.hosts).toEqual([
      {
        name: 'controller',
        address: '198.18.0.10',
        port: 22,
        user: 'heat-admin',
        identityFile: `${homedir()}/.ssh/lab`,
        roles: ['control', 'network'],
        sudo: true,
      },
      {
        name: 'compute1',
        address: '198.18.0.11',
        port: 2222,
        user: 'root',
        identityFile: `${homedir()}/.ssh/lab`,
        knownHostsFile: '/tmp/kh',
        roles: ['compute'],
        sudo: false,
        execPrefix: ['docker', 'exec', 'openvswitch_vswitchd'],
      },
      {
        name: 'compute2',
        address: 'compute2',
        port: 22,
        user: 'heat-admin',
        identityFile: `${homedir()}/.ssh/lab`,
        roles: [],
        sudo: true,
      },
    ])
  })

  it('names the file and line of a mistake', () => {
    const typo = errorOf(() => parseInventory('hosts:\n  a:\n    adress: 198.18.0.1\n', 'inv.yaml'))
    expect(typo.message).toBe(
      'inv.yaml:3: host a: unknown key "adress" (expected one of address, port, user, identityFile, knownHostsFile, roles, sudo, execPrefix, proxyJump)',
    )
    expect(errorOf(() => parseInventory('hosts:\n  a:\n    roles: [storage]\n', 'inv.yaml')).message).toMatch(
      /^inv\.yaml:3: host a: unknown role "storage"/,
    )
    expect(errorOf(() => parseInventory('hosts:\n  a:\n    port: 70000\n', 'inv.yaml')).message).toMatch(
      /^inv\.yaml:3: port 70000/,
    )
    expect(errorOf(() => parseInventory('hosts:\n  a: {address: "x; rm -rf /"}\n', 'inv.yaml')).message).toMatch(
      /^inv\.yaml:2: host a: address/,
    )
    expect(errorOf(() => parseInventory('hosts:\n  a:\n    execPrefix: docker exec x\n', 'inv.yaml')).message).toMatch(
      /^inv\.yaml:3: .*execPrefix must be a list/,
    )
    expect(errorOf(() => parseInventory('hosts:\n  a: [\n', 'inv.yaml')).line).toBeGreaterThan(0)
    expect(errorOf(() => parseInventory('all:\n  hosts: {}\n', 'inv.yaml')).message).toMatch(/Ansible YAML inventory/)
  })
})

const INI = `# kolla-style
[control]
ctl1 ansible_host=198.18.0.10 ansible_user=root

[network:children]
control

[compute]
cmp1 ansible_host=198.18.0.11 ansible_port=2222 ansible_ssh_private_key_file=/keys/cmp  # a comment
cmp2 ansible_host=198.18.0.12 ansible_ssh_common_args='-o ProxyJump=bastion'

[compute:vars]
ansible_become=true

[all:vars]
ansible_user=stack

[monitoring]
mon1 ansible_host=198.18.0.20

[deployment]
localhost ansible_connection=local
`

describe('Ansible INI inventory', () => {
  it('maps groups to roles (through :children) and ansible_* variables to settings', () => {
    const inv = parseInventory(INI, 'hosts.ini')
    expect(inv.format).toBe('ini')
    expect(inv.hosts).toEqual([
      {name: 'ctl1', address: '198.18.0.10', port: 22, user: 'root', roles: ['control', 'network']},
      {
        name: 'cmp1',
        address: '198.18.0.11',
        port: 2222,
        user: 'stack',
        identityFile: '/keys/cmp',
        roles: ['compute'],
        sudo: true,
      },
      {
        name: 'cmp2',
        address: '198.18.0.12',
        port: 22,
        user: 'stack',
        roles: ['compute'],
        sudo: true,
        proxyJump: 'bastion',
      },
    ])
    expect(inv.ignored).toEqual(['mon1', 'localhost'])
  })

  it('names the line of a mistake', () => {
    expect(errorOf(() => parseInventory('[compute]\ncmp1 ansible_port=abc\n', 'h.ini')).message).toMatch(
      /^h\.ini:2: port "abc"/,
    )
    expect(errorOf(() => parseInventory('[compute]\ncmp[01:09] ansible_user=x\n', 'h.ini')).message).toMatch(
      /^h\.ini:2: host ranges/,
    )
    expect(errorOf(() => parseInventory('[compute]\ncmp1 novalue\n', 'h.ini')).message).toBe(
      'h.ini:2: expected key=value, got "novalue"',
    )
    expect(errorOf(() => parseInventory('[compute\ncmp1\n', 'h.ini')).message).toMatch(
      /^h\.ini:1: malformed section header/,
    )
  })
})

describe('ssh_config', () => {
  const SSH = `Host 198.18.0.11
  User admin
  IdentityFile ~/.ssh/from-config
Host cmp-*
  HostName 198.18.0.%h
  Port 2200
  ProxyJump jump.lab
Host *
  User fallback
  Port 2022
  UserKnownHostsFile /etc/neutrace/known_hosts
`
  it('fills what the inventory leaves open; the inventory wins, and ssh_config beats defaults', async () => {
    writeFileSync(
      join(dir, 'inv.yaml'),
      'defaults:\n  user: from-defaults\n  port: 2999\nhosts:\n  c1:\n    address: 198.18.0.11\n    port: 22\n  c2:\n    address: 198.18.0.12\n    user: explicit\n',
    )
    writeFileSync(join(dir, 'ssh_config'), SSH)
    const inv = await loadInventory(join(dir, 'inv.yaml'), {sshConfigPath: join(dir, 'ssh_config')})
    expect(inv.hosts).toEqual([
      {
        name: 'c1',
        address: '198.18.0.11',
        port: 22,
        user: 'admin',
        identityFile: `${homedir()}/.ssh/from-config`,
        knownHostsFile: '/etc/neutrace/known_hosts',
        roles: [],
      },
      {
        name: 'c2',
        address: '198.18.0.12',
        port: 2022,
        user: 'explicit',
        knownHostsFile: '/etc/neutrace/known_hosts',
        roles: [],
      },
    ])
  })

  it('applies HostName, Port and ProxyJump to a one-off --host', () => {
    expect(
      parseHostArg('cmp=cmp-7', {
        sshConfigText: 'Host cmp-*\n  HostName 198.18.0.7\n  Port 2200\n  ProxyJump jump.lab\n',
      }),
    ).toEqual({
      name: 'cmp',
      address: '198.18.0.7',
      port: 2200,
      user: userInfo().username,
      roles: [],
      proxyJump: 'jump.lab',
    })
  })

  it('reads ~/.ssh/config-like files through resolveHostArgs', async () => {
    writeFileSync(join(dir, 'ssh_config2'), 'Host *\n  User viaconfig\n')
    expect((await resolveHostArgs(['n=198.18.0.3'], {sshConfigPath: join(dir, 'ssh_config2')}))[0].user).toBe(
      'viaconfig',
    )
  })
})

describe('parseHostArg', () => {
  const none = {sshConfigText: ''}
  it('reads NAME=[user@]address[:port]', () => {
    expect(parseHostArg('ctl=root@198.18.0.10:2222', none)).toMatchObject({
      name: 'ctl',
      address: '198.18.0.10',
      port: 2222,
      user: 'root',
    })
    expect(parseHostArg('198.18.0.10', none)).toMatchObject({name: '198.18.0.10', address: '198.18.0.10', port: 22})
    expect(parseHostArg('v6=[2001:db8::5]:2200', none)).toMatchObject({name: 'v6', address: '2001:db8::5', port: 2200})
    expect(parseHostArg('v6=admin@2001:db8::5', none)).toMatchObject({address: '2001:db8::5', port: 22, user: 'admin'})
  })

  it('rejects what is not an address', () => {
    expect(() => parseHostArg('x=root@', none)).toThrow(/no address/)
    expect(() => parseHostArg('x=-oProxyCommand=sh', none)).toThrow(/address/)
    expect(() => parseHostArg('x=h:99999', none)).toThrow(/port/)
    expect(() => parseHostArg('bad name=h', none)).toThrow(/the name must match/)
  })

  it('reports an unreadable inventory file by name', async () => {
    await expect(loadInventory(join(dir, 'missing.yaml'), {sshConfigPath: null})).rejects.toThrow(
      `${join(dir, 'missing.yaml')}: cannot read inventory (ENOENT)`,
    )
  })
})
