import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseAddnHosts, parseDhcpHosts, parseDhcpLeases, parseDhcpOpts} from '../../src/parsers/dhcp-files.js'

const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/dnsmasq/${name}`, import.meta.url), 'utf8')

const PORT = '3f7e5d8a-1b2c-4d5e-8f90-a1b2c3d4e5f6'
const SUBNET = 'subnet-c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f'

describe('parseDhcpHosts', () => {
  it('reads the real host file dnsmasq served from', () => {
    const {value, problems} = parseDhcpHosts(sample('host'))
    expect(problems).toEqual([])
    expect(value).toEqual([
      {
        line: 1,
        mac: 'fa:16:3e:4a:5b:6c',
        hostname: 'host-198-19-0-5.openstacklocal',
        ip: '198.19.0.5',
        tags: [`port-${PORT}`],
      },
      {line: 2, mac: 'fa:16:3e:11:22:33', hostname: 'host-198-19-0-6.openstacklocal', ip: '198.19.0.6', tags: []},
      {
        line: 3,
        mac: 'fa:16:3e:77:88:99',
        clientId: 'ff:00:00:00:01:00:01:2c:3d:4e:5f:fa:16:3e:77:88:99',
        hostname: 'host-198-19-0-7.openstacklocal',
        ip: '198.19.0.7',
        tags: ['port-9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d'],
      },
      {line: 4, mac: 'fa:16:3e:aa:bb:cc', hostname: 'host-2001-db8--5.openstacklocal', ip: '2001:db8::5', tags: []},
    ])
  })

  it('reads the Havana spellings and a bare mac,ip', () => {
    const text =
      'fa:16:3e:fe:c7:87,host-10-0-0-5.openstacklocal,10.0.0.5\nFA:16:3E:00:00:01,host-10-0-0-6.openstacklocal,10.0.0.6,set:7a1b\n\nfa:16:3e:00:00:02,10.0.0.7\n'
    expect(parseDhcpHosts(text)).toEqual({
      value: [
        {line: 1, mac: 'fa:16:3e:fe:c7:87', hostname: 'host-10-0-0-5.openstacklocal', ip: '10.0.0.5', tags: []},
        {line: 2, mac: 'fa:16:3e:00:00:01', hostname: 'host-10-0-0-6.openstacklocal', ip: '10.0.0.6', tags: ['7a1b']},
        {line: 4, mac: 'fa:16:3e:00:00:02', ip: '10.0.0.7', tags: []},
      ],
      problems: [],
    })
  })

  it('invalid MACs and IPs are problems with their line; good lines are kept', () => {
    const text =
      'fa:16:3e:zz:00:01,host-a,10.0.0.5\nfa:16:3e:00:00:01,host-b,10.0.0.256\nfa:16:3e:00:00:02,host-c,[zz::1]\nfa:16:3e:00:00:03,host-d\nfa:16:3e:00:00:04,host-e,10.0.0.9\n'
    const {value, problems} = parseDhcpHosts(text)
    expect(value.map((e) => e.line)).toEqual([5])
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'invalid MAC address "fa:16:3e:zz:00:01"'],
      [2, 'invalid IP address "10.0.0.256"'],
      [3, 'invalid IP address "[zz::1]"'],
      [4, 'no IP address'],
    ])
  })

  it('empty file (the seed shows none)', () => {
    expect(parseDhcpHosts('')).toEqual({value: [], problems: []})
  })
})

describe('parseDhcpOpts', () => {
  it('reads the real opts file', () => {
    const {value, problems} = parseDhcpOpts(sample('opts'))
    expect(problems).toEqual([])
    expect(value).toEqual([
      {line: 1, tag: SUBNET, option: 'option:dns-server', value: '198.19.0.2'},
      {
        line: 2,
        tag: SUBNET,
        option: 'option:classless-static-route',
        value: '169.254.169.254/32,198.19.0.2,0.0.0.0/0,198.19.0.1',
      },
      {line: 3, tag: SUBNET, option: '249', value: '169.254.169.254/32,198.19.0.2,0.0.0.0/0,198.19.0.1'},
      {line: 4, tag: SUBNET, option: 'option:router', value: '198.19.0.1'},
      {line: 5, tag: `port-${PORT}`, option: 'option:mtu', value: '1450'},
    ])
  })

  it('reads Havana lines, a router with no value and option6', () => {
    const text =
      'tag:tag0,option:dns-server,8.8.8.8\ntag:tag0,option:router\ntag:subnet-x,option6:dns-server,[2001:db8::1]\n'
    expect(parseDhcpOpts(text).value).toEqual([
      {line: 1, tag: 'tag0', option: 'option:dns-server', value: '8.8.8.8'},
      {line: 2, tag: 'tag0', option: 'option:router', value: ''},
      {line: 3, tag: 'subnet-x', option: 'option6:dns-server', value: '[2001:db8::1]'},
    ])
  })

  it('lines without an option are problems', () => {
    const {value, problems} = parseDhcpOpts('tag:tag0\ntag:tag0,bogus value\noption:mtu,1400\n')
    expect(value).toEqual([{line: 3, option: 'option:mtu', value: '1400'}])
    expect(problems.map((p) => p.line)).toEqual([1, 2])
  })
})

describe('parseAddnHosts', () => {
  it('reads the real addn_hosts file', () => {
    const {value, problems} = parseAddnHosts(sample('addn_hosts'))
    expect(problems).toEqual([])
    expect(value[0]).toEqual({line: 1, ip: '198.19.0.5', names: ['host-198-19-0-5.openstacklocal.', 'host-198-19-0-5']})
    expect(value).toHaveLength(3)
  })

  it('bad addresses and missing names are problems', () => {
    const {value, problems} = parseAddnHosts('# comment\n10.0.0.5\n10.0.0.x host\n2001:db8::5 host6 # note\n')
    expect(value).toEqual([{line: 4, ip: '2001:db8::5', names: ['host6']}])
    expect(problems.map((p) => p.line)).toEqual([2, 3])
  })
})

describe('parseDhcpLeases', () => {
  it('reads the real lease udhcpc obtained, which matches the host file', () => {
    const {value, problems} = parseDhcpLeases(sample('leases'))
    expect(problems).toEqual([])
    expect(value).toHaveLength(1)
    const lease = value[0]
    expect(lease).toMatchObject({
      line: 1,
      mac: 'fa:16:3e:4a:5b:6c',
      ip: '198.19.0.5',
      hostname: 'host-198-19-0-5',
      clientId: '01:fa:16:3e:4a:5b:6c',
    })
    expect(lease.expiry).toMatch(/^\d{10}$/)
    const host = parseDhcpHosts(sample('host')).value.find((h) => h.mac === lease.mac)
    expect(host?.ip).toBe(lease.ip)
  })

  it('reads unknown names, DHCPv6 lines and skips the duid line', () => {
    const text =
      '1700000000 fa:16:3e:00:00:01 10.0.0.5 * *\nduid 00:01:00:01:2c:3d:4e:5f:fa:16:3e:00:00:02\n1700000000 1234 2001:db8::5 host6 00:03:00:01:fa:16:3e:00:00:03\n'
    expect(parseDhcpLeases(text)).toEqual({
      value: [
        {line: 1, expiry: '1700000000', mac: 'fa:16:3e:00:00:01', ip: '10.0.0.5'},
        {
          line: 3,
          expiry: '1700000000',
          mac: '',
          ip: '2001:db8::5',
          hostname: 'host6',
          clientId: '00:03:00:01:fa:16:3e:00:00:03',
        },
      ],
      problems: [],
    })
  })

  it('empty and garbled leases', () => {
    expect(parseDhcpLeases('')).toEqual({value: [], problems: []})
    const {problems} = parseDhcpLeases(
      'soon fa:16:3e:00:00:01 10.0.0.5\n1 nomac 10.0.0.5\n1 fa:16:3e:00:00:01 10.0.0\n',
    )
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3])
  })
})
