import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpAddr} from '../../src/parsers/ip-addr.js'
import type {LinkDevice} from '../../src/types.js'

const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')
const addressesOf = (devices: LinkDevice[]) => Object.fromEntries(devices.map((d) => [d.name, d.addresses]))

describe('parseIpAddr (real)', () => {
  const json = parseIpAddr(sample('ip-j-addr.json'))

  it('reads the addresses from ip -j addr', () => {
    expect(json.problems).toEqual([])
    const addrs = addressesOf(json.value)
    expect(addrs['br-lab']).toEqual([
      {family: 'inet', address: '198.18.0.1', prefixlen: 24},
      {family: 'inet6', address: 'fe80::cce8:34ff:fe6d:6703', prefixlen: 64},
    ])
    expect(addrs.lo).toEqual([
      {family: 'inet', address: '127.0.0.1', prefixlen: 8},
      {family: 'inet6', address: '::1', prefixlen: 128},
    ])
    expect(addrs['tap9c8b7a6d-5e']).toEqual([])
  })

  it('ip addr text and ip -o addr give the same addresses', () => {
    for (const file of ['ip-addr.txt', 'ip-o-addr.txt']) {
      const text = parseIpAddr(sample(file))
      expect(text.problems).toEqual([])
      const expected = addressesOf(json.value.filter((d) => file === 'ip-addr.txt' || d.addresses.length > 0))
      expect(addressesOf(text.value)).toEqual(expected)
    }
  })

  it('reads a namespace, including the address the DHCP lease gave', () => {
    const dhcp = parseIpAddr(sample('netns-qdhcp-ip-j-addr.json')).value.find((d) => d.name === 'ns-d1e2f3a4-5b')
    expect(dhcp?.addresses[0]).toEqual({family: 'inet', address: '198.19.0.2', prefixlen: 24})
    const vm = parseIpAddr(sample('netns-vm-ip-addr.txt'))
    expect(vm.problems).toEqual([])
    expect(vm.value[1]).toMatchObject({name: 'eth0', peerIfindex: 7, peerNetnsId: 0, mac: 'fa:16:3e:4a:5b:6c'})
    expect(vm.value[1].addresses[0]).toEqual({family: 'inet', address: '198.19.0.5', prefixlen: 24})
  })
})

describe('parseIpAddr: the seed and bad input', () => {
  it("keeps the seed's devices and reports the lost IPv4 addresses", () => {
    const {value, problems} = parseIpAddr(sample('seed-netns-ip-addr.txt'))
    expect(value.map((d) => [d.ifindex, d.name])).toEqual([
      [1, 'lo'],
      [12, 'tap26c9b807-7c'],
    ])
    expect(value[1]).toMatchObject({mac: 'fa:16:3e:1d:5c:81', adminUp: true, operState: 'UNKNOWN', mtu: 1500})
    expect(value[1].addresses).toEqual([{family: 'inet6', address: 'fe80::f816:3eff:fe1d:5c81', prefixlen: 64}])
    expect(problems).toMatchObject([
      {line: 5, text: 'inet scope host lo'},
      {line: 15, text: 'inet brd scope global tap26c9b807-7c'},
    ])
    expect(problems[1].message).toMatch(/tap26c9b807-7c: inet line has no address/)
  })

  it('peer addresses, bad octets and bad prefix lengths', () => {
    const text = [
      '4: ppp0: <POINTOPOINT,UP> mtu 1400 state UNKNOWN',
      '    inet 198.18.1.1 peer 198.18.1.2/32 scope global ppp0',
      '    inet 198.18.1.300/24 scope global ppp0',
      '    inet6 2001:db8::1/129 scope global',
    ].join('\n')
    const {value, problems} = parseIpAddr(text)
    expect(value[0].addresses).toEqual([{family: 'inet', address: '198.18.1.1', prefixlen: 32}])
    expect(problems.map((p) => p.line)).toEqual([3, 4])
  })

  it('garbled JSON address entries are problems, the device stays', () => {
    const {value, problems} = parseIpAddr('[{"ifindex":2,"ifname":"eth0","flags":[],"addr_info":[{"family":"inet"}]}]')
    expect(value).toMatchObject([{name: 'eth0', addresses: []}])
    expect(problems).toHaveLength(1)
  })
})
