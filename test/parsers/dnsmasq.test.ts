import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseDhcpRange, parseDnsmasqArgv} from '../../src/parsers/dnsmasq.js'
import {parsePs} from '../../src/parsers/ps.js'

const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/dnsmasq/${name}`, import.meta.url), 'utf8')

const NET = 'b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e'
const DIR = `/var/lib/neutron/dhcp/${NET}`
const SEED_NET = '5f833617-6179-4797-b7c0-7d420d84040c'
const SEED_DIR = `/var/lib/neutron/dhcp/${SEED_NET}`

describe('parseDnsmasqArgv', () => {
  it('reads the real modern command line from ps', () => {
    const argv = parsePs(sample('ps.txt')).value[1].argv
    const dnsmasq = parseDnsmasqArgv(argv)
    expect(dnsmasq).toEqual({
      argv,
      networkId: NET,
      bindMode: 'bind-dynamic',
      pidFile: `${DIR}/pid`,
      hostsFile: `${DIR}/host`,
      addnHostsFile: `${DIR}/addn_hosts`,
      optsFile: `${DIR}/opts`,
      leaseFile: `${DIR}/leases`,
      ranges: [
        {
          tag: 'subnet-c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
          start: '198.19.0.0',
          mode: 'static',
          netmask: '255.255.255.0',
          lease: '86400s',
        },
      ],
      domain: 'openstacklocal',
    })
  })

  it("reads the seed's exact command line (its range address was lost)", () => {
    const seed =
      'dnsmasq --no-hosts --no-resolv --strict-order --bind-interfaces --interface=tap26c9b807-7c --except-interface=lo --pid-file=/var/lib/neutron/dhcp/5f833617-6179-4797-b7c0-7d420d84040c/pid --dhcp-hostsfile=/var/lib/neutron/dhcp/5f833617-6179-4797-b7c0-7d420d84040c/host --dhcp-optsfile=/var/lib/neutron/dhcp/5f833617-6179-4797-b7c0-7d420d84040c/opts --leasefile-ro --dhcp-range=tag0,,static,120s --dhcp-lease-max=256 --conf-file= --domain=openstacklocal'
    expect(sample('seed-ps.txt').trim()).toBe(seed)
    const dnsmasq = parseDnsmasqArgv(seed.split(' '))
    expect(dnsmasq).toMatchObject({
      networkId: SEED_NET,
      interface: 'tap26c9b807-7c',
      bindMode: 'bind-interfaces',
      pidFile: `${SEED_DIR}/pid`,
      hostsFile: `${SEED_DIR}/host`,
      optsFile: `${SEED_DIR}/opts`,
      ranges: [{tag: 'tag0', start: '', mode: 'static', lease: '120s'}],
      domain: 'openstacklocal',
    })
    expect(dnsmasq?.leaseFile).toBeUndefined()
    expect(dnsmasq?.netns).toBeUndefined()
  })

  it('reads the agent wrappers: rootwrap, ip netns exec, env NEUTRON_NETWORK_ID, empty elements, separate values', () => {
    const argv = [
      'sudo',
      'neutron-rootwrap',
      '/etc/neutron/rootwrap.conf',
      'ip',
      'netns',
      'exec',
      `qdhcp-${SEED_NET}`,
      'env',
      `NEUTRON_NETWORK_ID=${NET}`,
      'dnsmasq',
      '--no-hosts',
      '',
      '--interface',
      'tapd1e2f3a4-5b',
      '--dhcp-range=set:tag0,10.0.0.0,static,86400s',
      '--dhcp-hostsfile=/tmp/elsewhere/host',
    ]
    expect(parseDnsmasqArgv(argv)).toMatchObject({
      netns: `qdhcp-${SEED_NET}`,
      networkId: NET,
      interface: 'tapd1e2f3a4-5b',
      bindMode: 'wildcard',
      ranges: [{tag: 'tag0', start: '10.0.0.0', mode: 'static', lease: '86400s'}],
    })
  })

  it('takes the network id from the qdhcp namespace or a multi-segment path when nothing else has it', () => {
    expect(parseDnsmasqArgv(['ip', 'netns', 'exec', `qdhcp-${NET}`, '/usr/sbin/dnsmasq'])?.networkId).toBe(NET)
    expect(parseDnsmasqArgv(['dnsmasq', `--dhcp-hostsfile=/var/lib/neutron/dhcp/seg1/${NET}/host`])?.networkId).toBe(
      NET,
    )
    expect(parseDnsmasqArgv(['dnsmasq', '--dhcp-hostsfile=/etc/hosts.d/x'])?.networkId).toBeUndefined()
  })

  it('is undefined for what is not dnsmasq', () => {
    expect(parseDnsmasqArgv([])).toBeUndefined()
    expect(parseDnsmasqArgv(['grep', 'dnsmasq'])).toBeUndefined()
    expect(parseDnsmasqArgv(['tail', '-f', '/var/log/dnsmasq'])).toBeUndefined()
    expect(parseDnsmasqArgv(['/usr/sbin/dnsmasq-helper', '--x'])).toBeUndefined()
  })
})

describe('parseDhcpRange', () => {
  it('reads the IPv6 spelling with a prefix length', () => {
    expect(parseDhcpRange('set:subnet-abc,2001:db8::,static,64,86400s')).toEqual({
      tag: 'subnet-abc',
      start: '2001:db8::',
      mode: 'static',
      netmask: '64',
      lease: '86400s',
    })
  })

  it('reads a start,end range without tags or mode', () => {
    expect(parseDhcpRange('198.18.0.10,198.18.0.100,255.255.255.0,12h')).toEqual({
      start: '198.18.0.10',
      netmask: '255.255.255.0',
      lease: '12h',
    })
  })
})
