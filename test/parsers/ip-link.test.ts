import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpLink} from '../../src/parsers/ip-link.js'
import type {LinkDevice} from '../../src/types.js'

const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')
const byName = (devices: LinkDevice[]) => new Map(devices.map((d) => [d.name, d]))
const DHCP_NS = 'qdhcp-b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e'

describe('parseIpLink: ip -j -d link (real)', () => {
  const {value, problems} = parseIpLink(sample('ip-j-d-link.json'))
  const dev = byName(value)

  it('reads every device without problems', () => {
    expect(problems).toEqual([])
    expect(value.map((d) => d.name)).toEqual([
      'lo',
      'qbr3f7e5d8a-1b',
      'qbrdeadbeef-00',
      'br-lab',
      'qvo3f7e5d8a-1b',
      'qvb3f7e5d8a-1b',
      'tap3f7e5d8a-1b',
      'tapd1e2f3a4-5b',
      'tap9c8b7a6d-5e',
    ])
  })

  it('reads a veth pair in one namespace by name', () => {
    expect(dev.get('qvb3f7e5d8a-1b')).toMatchObject({
      ifindex: 6,
      kind: 'veth',
      slaveKind: 'bridge',
      master: 'qbr3f7e5d8a-1b',
      peerName: 'qvo3f7e5d8a-1b',
      operState: 'UP',
      adminUp: true,
      mtu: 1500,
      mac: '92:14:ea:5f:cd:4b',
    })
    expect(dev.get('qvb3f7e5d8a-1b')?.peerIfindex).toBeUndefined()
  })

  it('reads a veth whose peer is in another namespace by index and nsid', () => {
    expect(dev.get('tapd1e2f3a4-5b')).toMatchObject({peerIfindex: 2, peerNetnsId: 1, master: 'br-lab'})
    expect(dev.get('tapd1e2f3a4-5b')?.peerName).toBeUndefined()
    expect(dev.get('tap3f7e5d8a-1b')).toMatchObject({peerIfindex: 2, peerNetnsId: 0, master: 'qbr3f7e5d8a-1b'})
  })

  it('tells kinds apart', () => {
    expect(dev.get('lo')?.kind).toBe('loopback')
    expect(dev.get('qbr3f7e5d8a-1b')?.kind).toBe('bridge')
    expect(dev.get('tap9c8b7a6d-5e')).toMatchObject({kind: 'tun', operState: 'DOWN', adminUp: true})
    expect(dev.get('tap9c8b7a6d-5e')?.flags).toContain('NO-CARRIER')
  })
})

describe('parseIpLink: the text forms agree with the JSON', () => {
  const json = parseIpLink(sample('ip-j-d-link.json')).value
  const essentials = (d: LinkDevice) => ({
    ifindex: d.ifindex,
    name: d.name,
    mac: d.mac,
    mtu: d.mtu,
    master: d.master,
    operState: d.operState,
    flags: d.flags,
    peerName: d.peerName,
    peerIfindex: d.peerIfindex,
  })

  for (const file of ['ip-link.txt', 'ip-o-link.txt', 'ip-d-link.txt', 'ip-addr.txt']) {
    it(`${file} holds the same devices`, () => {
      const text = parseIpLink(sample(file))
      expect(text.problems).toEqual([])
      expect(text.value.map(essentials)).toEqual(json.map(essentials))
    })
  }

  it('the text names the peer namespace where JSON gives its id', () => {
    const dev = byName(parseIpLink(sample('ip-o-link.txt')).value)
    expect(dev.get('tapd1e2f3a4-5b')?.peerNetns).toBe(DHCP_NS)
    expect(dev.get('tap3f7e5d8a-1b')?.peerNetns).toBe('vm-3f7e5d8a')
  })

  it('ip -d link text carries the kinds', () => {
    const dev = byName(parseIpLink(sample('ip-d-link.txt')).value)
    for (const d of json) {
      expect([d.name, dev.get(d.name)?.kind]).toEqual([d.name, d.kind])
      expect([d.name, dev.get(d.name)?.slaveKind]).toEqual([d.name, d.slaveKind])
    }
  })
})

describe('parseIpLink: inside a namespace (real)', () => {
  it('JSON: the peer is an index in namespace id 0', () => {
    const {value, problems} = parseIpLink(sample('netns-qdhcp-ip-j-d-link.json'))
    expect(problems).toEqual([])
    expect(byName(value).get('ns-d1e2f3a4-5b')).toMatchObject({
      ifindex: 2,
      kind: 'veth',
      peerIfindex: 8,
      peerNetnsId: 0,
      mac: 'fa:16:3e:1d:5c:81',
    })
  })

  it('text: `@if8` and `link-netnsid 0`', () => {
    const {value, problems} = parseIpLink(sample('netns-qdhcp-ip-link.txt'))
    expect(problems).toEqual([])
    expect(byName(value).get('ns-d1e2f3a4-5b')).toMatchObject({peerIfindex: 8, peerNetnsId: 0})
  })
})

describe('parseIpLink: seed, empty, error and garbled input', () => {
  it("reads the seed's 2013 line", () => {
    const {value, problems} = parseIpLink(sample('seed-ip-link.txt'))
    expect(problems).toEqual([])
    expect(value).toEqual([
      {
        ifindex: 10,
        name: 'phy-br-eth2',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        adminUp: true,
        mtu: 1500,
        operState: 'UP',
        addresses: [],
      },
    ])
  })

  it('empty input is no devices and no problem', () => {
    expect(parseIpLink('')).toEqual({value: [], problems: []})
    expect(parseIpLink('[]')).toEqual({value: [], problems: []})
  })

  it("ip's error message is a problem", () => {
    const {value, problems} = parseIpLink(sample('netns-missing-ip-link.err'))
    expect(value).toEqual([])
    expect(problems).toMatchObject([{line: 1, message: 'not an ip link/addr line'}])
  })

  it('truncated JSON is a problem', () => {
    const {value, problems} = parseIpLink(sample('ip-j-link.json').slice(0, 300))
    expect(value).toEqual([])
    expect(problems[0].message).toMatch(/not valid JSON/)
  })

  it('keeps the good devices around a bad one', () => {
    const {value, problems} = parseIpLink('[{"ifindex":1,"ifname":"lo","flags":["UP"]},{"ifname":"x"},7]')
    expect(value.map((d) => d.name)).toEqual(['lo'])
    expect(problems).toHaveLength(2)
  })

  it('-d output without a kind line is a physical NIC, in JSON and text alike', () => {
    const json = parseIpLink(
      '[{"ifindex":2,"ifname":"eth2","flags":["UP"],"link_type":"ether","address":"52:54:00:12:34:56","min_mtu":68}]',
    )
    const text = parseIpLink(
      '2: eth2: <BROADCAST,UP> mtu 1500 state UP\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68\n    altname enp0s3\n',
    )
    expect(json.value[0].kind).toBe('physical')
    expect(text.value[0].kind).toBe('physical')
    expect(
      parseIpLink('2: eth2: <UP> mtu 1500\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n').value[0].kind,
    ).toBeUndefined()
  })

  it('a detail line before any device and a stray line are problems; devices still read', () => {
    const text = '    link/ether 00:11:22:33:44:55\n3: eth0@NONE: <UP> mtu 9000 state UP\ngarbage here\n'
    const {value, problems} = parseIpLink(text)
    expect(value).toMatchObject([{ifindex: 3, name: 'eth0', mtu: 9000}])
    expect(value[0].peerName).toBeUndefined()
    expect(problems.map((p) => p.line)).toEqual([1, 3])
  })
})
