import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {evaluateChain, type FwPacket} from '../../src/firewall/iptables.js'
import {parseIpsetSave} from '../../src/parsers/ipset-save.js'
import {parseIptablesSave} from '../../src/parsers/iptables-save.js'

// nlab-cmp1 of the Neutron lab after `control.sh sg`, captured by fixtures/samples/firewall/capture.sh: the agent's
// own rules. vm-net1-1 (port 690d5b42…, groups default + nlab-web) and vm-net1-3 (port 1f4cc644…, nlab-web) live here.
const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/firewall/${name}`, import.meta.url), 'utf8')
const filter = parseIptablesSave(sample('iptables-save-c.txt')).value.tables.get('filter')!
const sets = parseIpsetSave(sample('ipset-save.txt')).value

const VM1 = {tap: 'tap690d5b42-35', qvb: 'qvb690d5b42-35', ip: '198.19.201.17', mac: 'fa:16:3e:ee:95:38'}
const VM3 = {tap: 'tap1f4cc644-f1', qvb: 'qvb1f4cc644-f1', ip: '198.19.201.124', mac: 'fa:16:3e:dc:c9:4d'}

/** vm-net1-3 → vm-net1-1: the egress crossing of qbr1f4cc644-f1, or the ingress crossing of qbr690d5b42-35. */
function packet(leg: 'egress' | 'ingress', extra: Partial<FwPacket>): FwPacket {
  return {
    ...(leg === 'egress'
      ? {physdevIn: VM3.tap, physdevOut: VM3.qvb, inInterface: 'qbr1f4cc644-f1', outInterface: 'qbr1f4cc644-f1'}
      : {physdevIn: VM1.qvb, physdevOut: VM1.tap, inInterface: 'qbr690d5b42-35', outInterface: 'qbr690d5b42-35'}),
    src: VM3.ip,
    dst: VM1.ip,
    srcMac: VM3.mac,
    proto: 6,
    sport: 40000,
    dport: 80,
    state: 'NEW',
    ...extra,
  }
}

describe('evaluateChain on the rules the agent wrote', () => {
  it('egress: FORWARD → neutron-filter-top → neutron-openvswi-FORWARD → sg-chain → o → s chains, accepted', () => {
    const v = evaluateChain(filter, 'FORWARD', packet('egress', {}), sets)
    expect(v.verdict).toBe('accept')
    expect(v.rule!.text).toBe('-A neutron-openvswi-sg-chain -j ACCEPT')
    expect(v.matched.map((r) => r.chain)).toEqual([
      'FORWARD',
      'neutron-filter-top',
      'FORWARD',
      'neutron-openvswi-FORWARD',
      'neutron-openvswi-sg-chain',
      'neutron-openvswi-o1f4cc644-f',
      'neutron-openvswi-s1f4cc644-f',
      'neutron-openvswi-o1f4cc644-f',
      'neutron-openvswi-sg-chain',
    ])
  })

  it('ingress tcp/80 from a member of nlab-web: the ipset rule returns; tcp/22 falls to sg-fallback', () => {
    const web = evaluateChain(filter, 'FORWARD', packet('ingress', {}), sets)
    expect(web.verdict).toBe('accept')
    expect(web.matched.find((r) => r.chain === 'neutron-openvswi-i690d5b42-3')!.text).toMatch(
      /--dport 80 -m set --match-set NIPv470cc26b1-e2a6-4f21-8a62- src -j RETURN$/,
    )
    const ssh = evaluateChain(filter, 'FORWARD', packet('ingress', {dport: 22}), sets)
    expect(ssh.verdict).toBe('drop')
    expect(ssh.rule!.text).toBe(
      '-A neutron-openvswi-sg-fallback -m comment --comment "Default drop rule for unmatched traffic." -j DROP',
    )
    // Established: the state rule returns first.
    expect(evaluateChain(filter, 'FORWARD', packet('ingress', {dport: 22, state: 'ESTABLISHED'}), sets).verdict).toBe(
      'accept',
    )
  })

  it('a member removed from the ipset is no longer let in', () => {
    const without = new Map(sets)
    const web = without.get('NIPv470cc26b1-e2a6-4f21-8a62-')!
    without.set(web.name, {...web, members: web.members.filter((m) => m.value !== VM3.ip)})
    expect(evaluateChain(filter, 'FORWARD', packet('ingress', {}), without).verdict).toBe('drop')
  })

  it('anti-spoofing: another source address is dropped in the s chain', () => {
    const v = evaluateChain(filter, 'FORWARD', packet('egress', {src: '198.19.201.99'}), sets)
    expect(v.verdict).toBe('drop')
    expect(v.rule!.chain).toBe('neutron-openvswi-s1f4cc644-f')
  })

  it('what is not modelled is unknown, naming the rule', () => {
    const {value} = parseIptablesSave(
      ['*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -m hashlimit --hashlimit-upto 5/sec -j DROP', 'COMMIT', ''].join(
        '\n',
      ),
    )
    const v = evaluateChain(value.tables.get('filter')!, 'FORWARD', packet('egress', {}))
    expect(v.verdict).toBe('unknown')
    expect(v.unknown).toMatchObject({reason: '-m hashlimit --hashlimit-upto is not modelled'})
    expect(v.unknown!.rule!.line).toBe(3)
  })
})
