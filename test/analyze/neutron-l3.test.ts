// The snapshot of the Neutron lab with a router, its gateway and floating IPs (fixtures/snapshots/neutron-l3),
// offline: the healthy lab diagnoses clean; VMs trace through their router to the outside host with the SNAT the lab
// really applied (198.19.150.41 for a VM without a floating IP, its floating IP otherwise), the outside host traces to
// each floating IP with its DNAT, the metadata address to the proxy; each L3 fault put into the captures (the way the
// real fault shows in them) is named with its code, host and element.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT, traceFromOutside, traceVmToIp} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

export const L3_SNAP = join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-l3')
export const ROUTER = '7f8bb6d5-76d4-40d0-92de-111306e22e1f'
export const NS = `qrouter-${ROUTER}`
export const QG = 'qg-f92e8eb1-35'
export const QR1 = 'qr-38753603-36'
export const GATEWAY = '198.19.150.41'
export const OUTSIDE = '198.19.150.200'
/** $NLAB_DIR/l3-objects of the lab: floating IP → fixed IP; VMs going out through the gateway's SNAT. */
export const FIPS = [
  {fip: '198.19.150.25', fixed: '198.19.201.184'},
  {fip: '198.19.150.35', fixed: '198.19.202.203'},
]
export const SNAT_VMS = ['198.19.201.133', '198.19.202.189']

let healthy: Snapshot
beforeAll(async () => {
  healthy = await readSnapshot(L3_SNAP)
})

type Edit =
  | {host?: string; spec: string; key?: string; text: (t: string) => string}
  | {intent: string; text: (t: string) => string}

function edited(...edits: Edit[]): Snapshot {
  const snap: Snapshot = structuredClone(healthy)
  for (const e of edits) {
    if ('intent' in e) {
      const f = snap.intentFiles.find((x) => x.name === e.intent)!
      const before = f.text
      f.text = e.text(before)
      if (f.text === before) throw new Error(`edit of intent/${e.intent} changed nothing`)
      continue
    }
    const host = e.host ?? 'nlab-ctl'
    const c = snap.captures.find(
      (x) => x.host === host && x.spec === e.spec && (e.key === undefined || x.key === e.key),
    )
    if (!c) throw new Error(`no capture ${host} ${e.spec} ${e.key ?? ''}`)
    const before = c.text!
    c.text = e.text(before)
    if (c.text === before) throw new Error(`edit of ${host} ${e.spec} ${e.key ?? ''} changed nothing`)
  }
  return snap
}

export function loud(findings: Finding[]): string[] {
  return findings
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.severity} ${f.code} ${f.host ?? '-'} ${f.element}`)
}

const ipt = (text: (t: string) => string): Edit => ({spec: 'netns_iptables_save', key: NS, text})
const dropLine = (re: RegExp) => (t: string) =>
  t
    .split('\n')
    .filter((l) => !re.test(l))
    .join('\n')
/** ovs-vsctl show and the Port table both say the port's tag. */
const tagged = (port: string, from: number, to: number): Edit[] => [
  {
    spec: 'ovs_vsctl_show',
    text: (t) => t.replace(`Port ${port}\n            tag: ${from}`, `Port ${port}\n            tag: ${to}`),
  },
  {
    spec: 'ovs_vsctl_list_port',
    text: (t) => {
      const d = JSON.parse(t) as {headings: string[]; data: unknown[][]}
      const name = d.headings.indexOf('name')
      const tag = d.headings.indexOf('tag')
      for (const r of d.data) if (r[name] === port) r[tag] = to
      return JSON.stringify(d) + '\n'
    },
  },
]
/** ip -j output without one device, or with a device's address changed. */
const jsonDevices = (
  spec: string,
  f: (devs: {ifname: string; addr_info?: {local: string}[]}[]) => unknown[],
): Edit => ({
  spec,
  key: NS,
  text: (t) => JSON.stringify(f(JSON.parse(t))) + '\n',
})

describe('neutron-l3: the healthy router lab', () => {
  it('diagnoses with no error and no warning', () => {
    expect(loud(diagnose(analysisOf(healthy)))).toEqual([])
  })

  it('a VM without a floating IP goes out through qr-, the default route and SNAT to the gateway address', () => {
    for (const ip of SNAT_VMS) {
      const [r] = traceVmToIp(analysisOf(healthy), ip, OUTSIDE)
      expect(r.verdict, r.reason).toBe('delivered')
      expect(r.l3).toMatchObject({
        host: 'nlab-ctl',
        namespace: NS,
        sent: {src: ip, dst: OUTSIDE},
        seen: {src: GATEWAY, dst: OUTSIDE},
      })
      expect(r.reason).toContain('leaves eth3 on nlab-ctl towards 198.19.150.1')
      const path = r.hops.map((h) => h.element)
      expect(path).toContain('br-eth2')
      expect(path).toContain(QG)
      expect(path.at(-1)).toBe('eth3')
      expect(r.l3!.decided.some((d) => d.startsWith('route: default via 198.19.150.1 dev qg-f92e8eb1-35'))).toBe(true)
      expect(
        r.l3!.decided.some((d) =>
          /nat POSTROUTING: nat line \d+: -A neutron-l3-agent-snat -o qg-f92e8eb1-35 -j SNAT/.test(d),
        ),
      ).toBe(true)
    }
  })

  it('a VM with a floating IP leaves as its floating IP (float-snat)', () => {
    for (const {fip, fixed} of FIPS) {
      const [r] = traceVmToIp(analysisOf(healthy), fixed, OUTSIDE)
      expect(r.verdict, r.reason).toBe('delivered')
      expect(r.l3!.seen).toEqual({src: fip, dst: OUTSIDE})
    }
  })

  it('the outside host reaches each floating IP: DNAT to the fixed IP, delivered to the VM tap on nlab-cmp1', () => {
    for (const {fip, fixed} of FIPS) {
      const [r] = traceFromOutside(analysisOf(healthy), fip)
      expect(r.verdict, r.reason).toBe('delivered')
      expect(r.l3!.seen).toEqual({src: '198.19.150.1', dst: fixed})
      expect(r.hops.at(-2)).toMatchObject({host: 'nlab-cmp1', kind: 'tap'})
    }
  })

  it('the metadata address goes to the proxy through the REDIRECT to 9697', () => {
    const [r] = traceVmToIp(analysisOf(healthy), SNAT_VMS[0], '169.254.169.254')
    expect(r.verdict, r.reason).toBe('delivered')
    expect(r.reason).toContain('metadata proxy')
    expect(r.l3!.decided.some((d) => d.includes('REDIRECT --to-ports 9697'))).toBe(true)
  })

  it("refuses an address in the VM's own subnet and a floating IP Neutron does not have", () => {
    expect(() => traceVmToIp(analysisOf(healthy), SNAT_VMS[0], '198.19.201.184')).toThrow(/own subnet/)
    expect(() => traceFromOutside(analysisOf(healthy), '198.19.150.99')).toThrow(/no floating IP/)
  })
})

describe('neutron-l3: faults put into the captures are named', () => {
  it('the DNAT rule of a floating IP deleted → FIP_NAT_MISSING (dnat); the trace from outside is not delivered', () => {
    const snap = edited(ipt(dropLine(/neutron-l3-agent-PREROUTING -d 198\.19\.150\.25\/32 -j DNAT/)))
    expect(loud(diagnose(analysisOf(snap)))).toEqual([
      `error FIP_NAT_MISSING nlab-ctl ${NS} nat PREROUTING 198.19.150.25`,
    ])
    const [r] = traceFromOutside(analysisOf(snap), '198.19.150.25')
    expect(r.verdict).toBe('blackholed')
    expect(r.reason).toContain('not translated')
  })

  it('a DNAT to another fixed IP → FIP_NAT_MISSING (stale); the float-snat deleted → FIP_NAT_MISSING (snat)', () => {
    const stale = edited(
      ipt((t) =>
        t.replace(
          '-A neutron-l3-agent-PREROUTING -d 198.19.150.25/32 -j DNAT --to-destination 198.19.201.184',
          '-A neutron-l3-agent-PREROUTING -d 198.19.150.25/32 -j DNAT --to-destination 198.19.201.99',
        ),
      ),
    )
    const f = diagnose(analysisOf(stale)).find((x) => x.code === 'FIP_NAT_MISSING')!
    expect(f.message).toContain('translates 198.19.150.25 to 198.19.201.99')
    const snat = edited(ipt(dropLine(/float-snat -s 198\.19\.201\.184\/32/)))
    expect(loud(diagnose(analysisOf(snat)))).toEqual([
      `error FIP_NAT_MISSING nlab-ctl ${NS} nat POSTROUTING 198.19.201.184`,
    ])
    const [r] = traceVmToIp(analysisOf(snat), '198.19.201.184', OUTSIDE)
    expect(r.l3!.seen.src).toBe(GATEWAY)
  })

  it('the gateway SNAT deleted → SNAT_MISSING; the VM leaves with its private address', () => {
    const snap = edited(ipt(dropLine(/-A neutron-l3-agent-snat -o qg-f92e8eb1-35 -j SNAT/)))
    expect(loud(diagnose(analysisOf(snap)))).toEqual([
      `error SNAT_MISSING nlab-ctl ${NS} nat POSTROUTING 198.19.201.0/24`,
    ])
    const [r] = traceVmToIp(analysisOf(snap), SNAT_VMS[0], OUTSIDE)
    expect(r.l3!.seen.src).toBe(SNAT_VMS[0])
  })

  it('qg- in the dead VLAN 4095 → DEAD_VLAN (once); another VLAN → ROUTER_PORT_VLAN; the trace out dies', () => {
    const snap = edited(...tagged(QG, 4, 4095))
    expect(loud(diagnose(analysisOf(snap)))).toEqual([`error DEAD_VLAN nlab-ctl ${QG}`])
    expect(loud(diagnose(analysisOf(edited(...tagged(QG, 4, 3)))))).toContain(
      `error ROUTER_PORT_VLAN nlab-ctl br-int ${QG}`,
    )
    const [r] = traceVmToIp(analysisOf(snap), SNAT_VMS[0], OUTSIDE)
    expect(r.verdict).not.toBe('delivered')
  })

  it('qr- removed from the namespace → ROUTER_PORT_MISSING', () => {
    const snap = edited(
      jsonDevices('netns_ip_link', (d) => d.filter((x) => x.ifname !== QR1)),
      jsonDevices('netns_ip_addr', (d) => d.filter((x) => x.ifname !== QR1)),
    )
    expect(loud(diagnose(analysisOf(snap)))).toContain(`error ROUTER_PORT_MISSING nlab-ctl ${NS} ${QR1}`)
  })

  it('qr- without the gateway address → ROUTER_PORT_ADDRESS', () => {
    const snap = edited(
      jsonDevices('netns_ip_addr', (d) => d.map((x) => (x.ifname === QR1 ? {...x, addr_info: []} : x))),
    )
    expect(loud(diagnose(analysisOf(snap)))).toEqual([`error ROUTER_PORT_ADDRESS nlab-ctl ${NS} ${QR1}`])
  })

  it('the default route removed → ROUTER_NO_DEFAULT_ROUTE; the trace says no route', () => {
    const snap = edited({
      spec: 'netns_ip_route',
      key: NS,
      text: (t) => JSON.stringify((JSON.parse(t) as {dst: string}[]).filter((r) => r.dst !== 'default')) + '\n',
    })
    expect(loud(diagnose(analysisOf(snap)))).toEqual([`error ROUTER_NO_DEFAULT_ROUTE nlab-ctl ${NS} default route`])
    const [r] = traceVmToIp(analysisOf(snap), SNAT_VMS[0], OUTSIDE)
    expect(r.verdict).toBe('blackholed')
    expect(r.reason).toContain('no route to 198.19.150.200')
  })

  it('the metadata proxy killed → METADATA_PROXY_DOWN (notRunning); the redirect deleted → (noRedirect)', () => {
    const killed = edited({spec: 'ps', text: dropLine(/haproxy -f \/var\/lib\/neutron\/ns-metadata-proxy/)})
    expect(loud(diagnose(analysisOf(killed)))).toEqual([`error METADATA_PROXY_DOWN nlab-ctl ${NS} haproxy`])
    const [r] = traceVmToIp(analysisOf(killed), SNAT_VMS[0], '169.254.169.254')
    expect(r.verdict).toBe('blackholed')
    const noRedirect = edited(ipt(dropLine(/-j REDIRECT --to-ports 9697/)))
    expect(loud(diagnose(analysisOf(noRedirect)))).toEqual([
      `error METADATA_PROXY_DOWN nlab-ctl ${NS} nat PREROUTING 169.254.169.254`,
    ])
  })

  it('the L3 agent stopped and the namespace deleted → ROUTER_NAMESPACE_MISSING; traces say where it ends', () => {
    const snap = edited({spec: 'ip_netns', text: dropLine(/^qrouter-/)})
    snap.captures = snap.captures.filter((c) => c.key !== NS)
    expect(loud(diagnose(analysisOf(snap)))).toEqual([`error ROUTER_NAMESPACE_MISSING nlab-ctl ${NS}`])
    const [r] = traceFromOutside(analysisOf(snap), FIPS[0].fip)
    expect(r.verdict).toBe('blackholed')
  })

  it('an HA router primary on both hosts → HA_ROUTER_STATE (split); on none → (none)', () => {
    const ha = (ctl: string, cmp: string): Snapshot => {
      const snap = edited({intent: 'routers.json', text: (t) => t.replace('"ha": false', '"ha": true')})
      for (const [host, state] of [
        ['nlab-ctl', ctl],
        ['nlab-cmp1', cmp],
      ]) {
        const like = snap.captures.find((x) => x.host === host && x.spec === 'file')!
        const key = `/var/lib/neutron/ha_confs/${ROUTER}/state`
        snap.captures.push({
          ...structuredClone(like),
          key,
          text: `${state}\n`,
          record: {...like.record, file: `hosts/${host}/ha-state.out`},
        })
      }
      return snap
    }
    expect(loud(diagnose(analysisOf(ha('primary', 'primary'))))).toEqual([`error HA_ROUTER_STATE - router ${ROUTER}`])
    expect(diagnose(analysisOf(ha('backup', 'backup'))).find((f) => f.code === 'HA_ROUTER_STATE')?.message).toContain(
      'primary nowhere',
    )
    expect(loud(diagnose(analysisOf(ha('primary', 'backup'))))).toEqual([])
  })

  it('the external network not in bridge_mappings → EXTERNAL_BRIDGE_UNWIRED', () => {
    const snap = edited({
      spec: 'file',
      key: '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
      text: (t) => t.replace(',external:br-ex', ''),
    })
    expect(loud(diagnose(analysisOf(snap)))).toContain(
      'error EXTERNAL_BRIDGE_UNWIRED nlab-ctl bridge_mappings external',
    )
  })
})

describe('neutron-l3: where a trace dies, the router port at fault is named', () => {
  it('qg- in the dead VLAN: both directions end at qg- on br-int, not at the flood dropped on br-ex or br-eth2', () => {
    const a = analysisOf(edited(...tagged(QG, 4, 4095)))
    for (const r of [traceVmToIp(a, SNAT_VMS[0], OUTSIDE)[0]!, traceFromOutside(a, FIPS[0].fip)[0]!]) {
      expect(r.verdict, r.reason).toBe('blackholed')
      expect(r.reason).toContain(`${QG} is in the dead VLAN 4095 on br-int`)
      expect(r.reason).not.toMatch(/br-ex|br-eth2/)
      expect(r.dropFlow).toBeUndefined()
      expect(r.hops.at(-1)).toMatchObject({host: 'nlab-ctl', kind: 'ovs-port', element: QG})
      expect(r.hops.at(-2)).toMatchObject({host: 'nlab-ctl', element: 'br-int'})
    }
  })

  it('qr- deleted from br-int and the namespace: the VM trace ends at qr-, named as deleted', () => {
    const port = (t: string) => {
      const d = JSON.parse(t) as {headings: string[]; data: unknown[][]}
      const name = d.headings.indexOf('name')
      d.data = d.data.filter((r) => r[name] !== QR1)
      return JSON.stringify(d) + '\n'
    }
    const snap = edited(
      {spec: 'ovs_vsctl_show', text: (t) => t.replace(new RegExp(`        Port ${QR1}\\n(            .*\\n)+`), '')},
      {spec: 'ovs_vsctl_list_port', text: port},
      {spec: 'ovs_vsctl_list_interface', text: port},
      jsonDevices('netns_ip_link', (d) => d.filter((x) => x.ifname !== QR1)),
      jsonDevices('netns_ip_addr', (d) => d.filter((x) => x.ifname !== QR1)),
    )
    const [r] = traceVmToIp(analysisOf(snap), SNAT_VMS[0], OUTSIDE)
    expect(r.verdict, r.reason).toBe('blackholed')
    expect(r.reason).toBe(
      `the frame does not reach ${QR1} in ${NS}: ${QR1} is on no OVS bridge of nlab-ctl (deleted from br-int)`,
    )
    expect(r.hops.at(-1)).toMatchObject({kind: 'ovs-port', element: QR1})
  })
})

describe('neutron-l3: policy routing and neighbours of the router namespace', () => {
  /** The fixture predates the netns_ip_rule/netns_ip_neigh specs: a capture of each added, like the route one. */
  const withCapture = (snap: Snapshot, spec: string, text: string): Snapshot => {
    const like = snap.captures.find((c) => c.spec === 'netns_ip_route' && c.key === NS)!
    snap.captures.push({
      ...structuredClone(like),
      spec: spec as typeof like.spec,
      text,
      record: {...like.record, spec, file: `hosts/nlab-ctl/${spec}@${NS}.out`},
    })
    return snap
  }
  const KERNEL_RULES = [
    {priority: 0, src: 'all', table: 'local'},
    {priority: 32766, src: 'all', table: 'main'},
    {priority: 32767, src: 'all', table: 'default'},
  ]

  it("the kernel's three rules change nothing; a blackhole rule for the VM's source ends the trace, naming the rule", () => {
    const plain = withCapture(structuredClone(healthy), 'netns_ip_rule', JSON.stringify(KERNEL_RULES) + '\n')
    expect(loud(diagnose(analysisOf(plain)))).toEqual([])
    expect(traceVmToIp(analysisOf(plain), SNAT_VMS[0], OUTSIDE)[0]!.verdict).toBe('delivered')
    const rules = [...KERNEL_RULES, {priority: 100, src: SNAT_VMS[0], action: 'blackhole'}]
    const a = analysisOf(withCapture(structuredClone(healthy), 'netns_ip_rule', JSON.stringify(rules) + '\n'))
    const [r] = traceVmToIp(a, SNAT_VMS[0], OUTSIDE)
    expect(r.verdict).toBe('blackholed')
    expect(r.reason).toBe(`${NS} on nlab-ctl: rule 100: from ${SNAT_VMS[0]} blackhole`)
    expect(traceVmToIp(a, SNAT_VMS[1], OUTSIDE)[0]!.verdict).toBe('delivered')
  })

  it('a lookup rule sends a source to another table (as DVR does for a floating IP): that table decides', () => {
    // As in a DVR qrouter: main has no default route; a rule after main's sends the floating IP's fixed IP to table 16.
    const rules = [...KERNEL_RULES, {priority: 32768, src: SNAT_VMS[0], table: '16'}]
    const snap = withCapture(structuredClone(healthy), 'netns_ip_rule', JSON.stringify(rules) + '\n')
    const route = snap.captures.find((c) => c.spec === 'netns_ip_route' && c.key === NS)!
    const routes = (JSON.parse(route.text!) as {dst: string}[]).filter((x) => x.dst !== 'default')
    route.text = JSON.stringify([...routes, {dst: 'default', table: '16', type: 'blackhole'}]) + '\n'
    const a = analysisOf(snap)
    const [r] = traceVmToIp(a, SNAT_VMS[0], OUTSIDE)
    expect(r.l3!.decided).toContain(`rule: 32768: from ${SNAT_VMS[0]} lookup 16`)
    expect(r.verdict).toBe('blackholed')
    expect(r.reason).toContain(`the route default (blackhole) in ${NS} does not forward`)
    // Another source has no rule of its own: main, which has no default route any more.
    expect(traceVmToIp(a, SNAT_VMS[1], OUTSIDE)[0]!.reason).toContain('no route to 198.19.150.200')
  })

  it("the next hop's MAC comes from the neighbour table; a FAILED entry is said", () => {
    const neigh = (state: string, lladdr?: string) =>
      JSON.stringify([{dst: '198.19.150.1', dev: QG, ...(lladdr ? {lladdr} : {}), state: [state]}]) + '\n'
    const ok = analysisOf(
      withCapture(structuredClone(healthy), 'netns_ip_neigh', neigh('REACHABLE', '02:aa:bb:cc:dd:01')),
    )
    expect(loud(diagnose(ok))).toEqual([])
    const [r] = traceVmToIp(ok, SNAT_VMS[0], OUTSIDE)
    expect(r.verdict).toBe('delivered')
    expect(r.hops.map((h) => h.note)).toContain('next hop 198.19.150.1 at 02:aa:bb:cc:dd:01 (neighbour REACHABLE)')
    const failed = analysisOf(withCapture(structuredClone(healthy), 'netns_ip_neigh', neigh('FAILED')))
    expect(traceVmToIp(failed, SNAT_VMS[0], OUTSIDE)[0]!.hops.map((h) => h.note)).toContain(
      'next hop 198.19.150.1: neighbour FAILED (it did not answer ARP when last asked)',
    )
  })
})

describe('neutron-l3: DVR is reported as not modelled', () => {
  it('a distributed router: both traces are unknown and say why; diagnose invents no fault', () => {
    const snap = edited({intent: 'routers.json', text: (t) => t.replace('"distributed": false', '"distributed": true')})
    const a = analysisOf(snap)
    expect(loud(diagnose(a))).toEqual([])
    for (const r of [traceVmToIp(a, SNAT_VMS[0], OUTSIDE)[0]!, traceFromOutside(a, FIPS[0].fip)[0]!]) {
      expect(r.verdict).toBe('unknown')
      expect(r.reason).toMatch(/is distributed \(DVR\): its path .* is not modelled/)
    }
  })
})
