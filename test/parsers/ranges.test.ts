// Every number a parser keeps is range-checked (issue 8): out of range is a problem naming the record, and the value
// is not kept. VLAN ids 0–4095, ofports 1–65279 / 65534 (LOCAL) / -1, ifindex 1–2^31-1, MTU 0–2^31-1, prefix lengths
// 0–32 / 0–128, pids 1–2^22, u64 counters.

import {describe, expect, it} from 'vitest'
import {parseBridgeLink} from '../../src/parsers/bridge-link.js'
import {parseDhcpLeases} from '../../src/parsers/dhcp-files.js'
import {parseEthtoolStats} from '../../src/parsers/ethtool-stats.js'
import {parseIpAddr} from '../../src/parsers/ip-addr.js'
import {parseIpLink} from '../../src/parsers/ip-link.js'
import {parseIpNetns} from '../../src/parsers/ip-netns.js'
import {parseLibvirtXml} from '../../src/parsers/libvirt-xml.js'
import {buildOvsConfig, parseOvsdbJson} from '../../src/parsers/ovs-vsctl-json.js'
import {parseOvsVsctlShow} from '../../src/parsers/ovs-vsctl-show.js'
import {parsePs} from '../../src/parsers/ps.js'
import type {ParseProblem} from '../../src/types.js'

const outOfRange = (problems: ParseProblem[]): string[] =>
  problems.map((p) => p.message).filter((m) => /out of range|is not a pid|bad trunks/.test(m))

function ovsdb(ofport: unknown, trunks: unknown = ['set', []], ifindex: unknown = 7) {
  const table = (headings: string[], row: unknown[]) => parseOvsdbJson(JSON.stringify({headings, data: [row]})).value
  return buildOvsConfig({
    bridge: table(['_uuid', 'name', 'ports'], [['uuid', 'b'], 'br-int', ['uuid', 'p']]),
    port: table(['_uuid', 'name', 'interfaces', 'trunks'], [['uuid', 'p'], 'qvo1', ['uuid', 'i'], trunks]),
    iface: table(['_uuid', 'name', 'ofport', 'ifindex'], [['uuid', 'i'], 'qvo1', ofport, ifindex]),
  })
}

describe('ovs-vsctl list (JSON): ofport, ifindex, trunks', () => {
  it('keeps the ofports OVS gives: 1..65279, 65534 (LOCAL), -1 (failed)', () => {
    for (const ofport of [1, 65279, 65534, -1]) {
      const {value, problems} = ovsdb(ofport)
      expect(problems).toEqual([])
      expect(value.bridges[0].ports[0].interfaces[0].ofport).toBe(ofport)
    }
  })
  it.each([0, 65280, 65535, 0xfff00, 2 ** 32, -2, 1e23, 1.5])('ofport %s is a problem, not kept', (ofport) => {
    const {value, problems} = ovsdb(ofport)
    expect(outOfRange(problems)).toEqual([expect.stringMatching(/Interface qvo1: ofport .* out of range/)])
    expect(value.bridges[0].ports[0].interfaces[0].ofport).toBeUndefined()
  })
  it('an ifindex past 2^32-1 is a problem', () => {
    const {value, problems} = ovsdb(1, ['set', []], 2 ** 40)
    expect(outOfRange(problems)).toEqual([expect.stringMatching(/ifindex .* out of range/)])
    expect(value.bridges[0].ports[0].interfaces[0].ifindex).toBeUndefined()
  })
  it('trunks outside 0–4095 are a problem and left out', () => {
    const {value, problems} = ovsdb(1, ['set', [100, 4096, 1e23]])
    expect(outOfRange(problems)).toEqual([expect.stringMatching(/Port qvo1: trunk VLAN 4096 out of range/)])
    expect(value.bridges[0].ports[0].trunks).toEqual([100])
  })
})

describe('ovs-vsctl show: trunks', () => {
  const show = (trunks: string) =>
    parseOvsVsctlShow(
      `    Bridge br-eth2\n        Port eth2\n            trunks: ${trunks}\n            Interface eth2\n`,
    )
  it('reads [100, 4095]', () => {
    const {value, problems} = show('[100, 4095]')
    expect(problems).toEqual([])
    expect(value.bridges[0].ports[0].trunks).toEqual([100, 4095])
  })
  it.each(['[100, 4096]', '[99999999999999999999999]'])('%s is a problem', (trunks) => {
    const {value, problems} = show(trunks)
    expect(outOfRange(problems)).toHaveLength(1)
    expect(value.bridges[0].ports[0].trunks).toEqual([])
  })
})

describe('ip link / ip addr', () => {
  const json = (over: Record<string, unknown>) =>
    JSON.stringify([{ifindex: 5, ifname: 'eth2', flags: ['UP'], mtu: 1500, ...over}])
  it.each([
    ['ifindex', {ifindex: 2 ** 31}],
    ['ifindex', {ifindex: 0}],
    ['mtu', {mtu: 2 ** 40}],
    ['mtu', {mtu: -1}],
    ['link_index', {link_index: -3}],
    ['link_netnsid', {link_netnsid: 2 ** 35}],
  ])('JSON %s out of range is a problem', (field, over) => {
    const {value, problems} = parseIpLink(json(over))
    expect(outOfRange(problems)).toEqual([expect.stringContaining(field)])
    const device = value[0] as unknown as Record<string, unknown> | undefined
    if (field === 'ifindex') expect(device).toBeUndefined()
    else
      expect(device?.[field === 'mtu' ? 'mtu' : field === 'link_index' ? 'peerIfindex' : 'peerNetnsId']).toBe(undefined)
  })
  it('JSON prefix lengths past 32 (IPv4) or 128 (IPv6) are problems', () => {
    const {value, problems} = parseIpAddr(
      json({
        addr_info: [
          {family: 'inet', local: '198.18.0.1', prefixlen: 33},
          {family: 'inet6', local: 'fe80::1', prefixlen: 129},
          {family: 'inet', local: '198.18.0.2', prefixlen: 24},
        ],
      }),
    )
    expect(problems).toHaveLength(2)
    expect(value[0].addresses).toEqual([{family: 'inet', address: '198.18.0.2', prefixlen: 24}])
  })
  it.each([
    '99999999999: eth2: <UP> mtu 1500 state UP',
    '5: eth2: <UP> mtu 99999999999 state UP',
    '5: eth2@if99999999999: <UP> mtu 1500 state UP',
    '99999999999: eth2    inet 198.18.0.1/24 scope global eth2',
  ])('text %s is a problem', (line) => {
    const {value, problems} = parseIpLink(`${line}\n`)
    expect(outOfRange(problems)).toHaveLength(1)
    expect(value).toEqual([])
  })
  it('text link-netnsid out of range is a problem', () => {
    const {value, problems} = parseIpLink(
      '5: tap1@if2: <UP> mtu 1500 state UP\n    link/ether fa:16:3e:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 99999999999\n',
    )
    expect(outOfRange(problems)).toHaveLength(1)
    expect(value[0].peerNetnsId).toBeUndefined()
  })
})

describe('the other parsers', () => {
  it('bridge link: ifindex', () => {
    expect(
      outOfRange(parseBridgeLink('[{"ifindex": 1e23, "ifname": "tap1", "master": "qbr1"}]').problems),
    ).toHaveLength(1)
    const text = parseBridgeLink('99999999999: tap1: <UP> mtu 1500 master qbr1 state forwarding\n')
    expect(outOfRange(text.problems)).toHaveLength(1)
    expect(text.value).toEqual([])
  })
  it('ip netns: id', () => {
    const {value, problems} = parseIpNetns('qdhcp-1 (id: 99999999999)\n')
    expect(outOfRange(problems)).toHaveLength(1)
    expect(value).toEqual([])
  })
  it('ps: a pid past PID_MAX_LIMIT', () => {
    const {value, problems} = parsePs('4194305 dnsmasq --no-hosts\n4194304 dnsmasq --no-hosts\n')
    expect(outOfRange(problems)).toHaveLength(1)
    expect(value.map((e) => e.pid)).toEqual([4194304])
  })
  it('ethtool -S: a negative or longer-than-u64 counter', () => {
    const {value, problems} = parseEthtoolStats(
      'NIC statistics:\n     peer_ifindex: -5\n     rx_queue_0_xdp_packets: 99999999999999999999999\n     tx: 7\n',
    )
    expect(outOfRange(problems)).toHaveLength(2)
    expect(value.stats).toEqual({tx: 7})
  })
  it('dnsmasq leases: an expiry past 2^53 and an IAID past 2^32', () => {
    const {value, problems} = parseDhcpLeases(
      '99999999999999999999 fa:16:3e:00:00:01 198.19.0.3 vm1 *\n' +
        'duid 00:01\n1700000000 99999999999 2001:db8::3 vm2 *\n' +
        '1700000000 fa:16:3e:00:00:02 198.19.0.4 vm3 *\n',
    )
    expect(outOfRange(problems)).toHaveLength(2)
    expect(value.map((l) => l.ip)).toEqual(['198.19.0.4'])
  })
  it('libvirt XML: an MTU size out of range', () => {
    const xml =
      "<domain><uuid>u</uuid><devices><interface type='bridge'><mac address='fa:16:3e:00:00:01'/>" +
      "<mtu size='99999999999'/></interface></devices></domain>"
    const {value, problems} = parseLibvirtXml(xml)
    expect(outOfRange(problems)).toHaveLength(1)
    expect(value.interfaces[0].mtu).toBeUndefined()
  })
})
