// Security groups against reality (issue 10), iptables_hybrid: the lab's groups are made through the API
// (`control.sh sg apply`: sg.py, one process on Neutron's REST API), the lab is captured once and must diagnose clean,
// and for a matrix of VM pairs × (icmp, tcp/22, tcp/80, udp/53) the trace's verdict (request and reply) must equal
// what really happens between the VM namespaces (busybox ping, a TCP connect, a UDP datagram answered by an echo
// server), and the rules the trace names must be rules whose packet counters really moved (iptables-save -c
// before/after each probe). Then faults made the real way — a rule deleted behind the agent with iptables, an ipset
// member removed, net.bridge.bridge-nf-call-iptables=0, a rule added in Neutron while the host's OVS agent is stopped
// — each captured once: the right code on the right host and element and no other error or warning, the trace against
// the real packet; each undone (withRestore: the lab must diagnose clean again). Last, the openvswitch firewall
// driver, contained: nlab-cmp2 switched to it and back (two restarts of its OVS agent), in between the trace naming the
// rule = the real packet, the named br-int flow's n_packets moved, and the simulator = ofproto/trace --ct-next on
// nlab-cmp2's br-int, flow by flow.
//
// On the shared Neutron lab (useSharedLab); `control.sh sg restore` puts it back as demo made it afterwards (vm-net1-3
// stays; the lab is marked dirty if that fails). Needs root and test/lab/neutron/install.sh; skipped when
// NEUTRACE_NEUTRON_LAB=0.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, diagnose, tracePacketBetween} from '../../../src/engine.js'
import {formatFlow, formatMatch} from '../../../src/openflow/format.js'
import type {Flow} from '../../../src/openflow/types.js'
import {parseDumpFlows} from '../../../src/parsers/ovs-ofctl-dump-flows.js'
import {parseIptablesSave} from '../../../src/parsers/iptables-save.js'
import type {PacketTraceResult, Proto} from '../../../src/trace/packet.js'
import {CONTROL_SH, neutronLabUnavailable, type NeutronLabVm, runArgv} from './control.js'
import {findingLine, isExactly, labTools, useSharedLab, type Want, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'

const PROBES: {proto: Proto; dport?: number; label: string}[] = [
  {proto: 'icmp', label: 'icmp'},
  {proto: 'tcp', dport: 22, label: 'tcp/22'},
  {proto: 'tcp', dport: 80, label: 'tcp/80'},
  {proto: 'udp', dport: 53, label: 'udp/53'},
]
const PAIRS = [
  ['vm-net1-1', 'vm-net1-2'],
  ['vm-net1-2', 'vm-net1-1'],
  ['vm-net1-3', 'vm-net1-2'],
  ['vm-net1-3', 'vm-net1-1'],
  ['vm-net1-1', 'vm-net1-3'],
  ['vm-net3-1', 'vm-net3-2'],
]

// A UDP echo server and client (busybox nc has no UDP): the datagram counts as through when its echo comes back.
const UDP_SERVER =
  'import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("0.0.0.0",53))\nwhile True:\n d,a=s.recvfrom(2048)\n s.sendto(d,a)\n'
const UDP_CLIENT =
  'import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(2)\ns.sendto(b"q",(sys.argv[1],53))\ntry:\n s.recvfrom(64)\nexcept OSError:\n sys.exit(1)\n'

describe.skipIf(!wanted || unavailable !== undefined)('security groups (iptables_hybrid) against reality', () => {
  const shared = useSharedLab('nlab-sg-')
  const lab = shared.lab
  const tools = labTools(lab, shared.scratch)
  const sg = (...args: string[]) =>
    runArgv([CONTROL_SH, 'sg', ...args], {NLAB_SLOT: String(lab.slot), NLAB_DIR: lab.dir}, 900_000)
  /** The groups control.sh sg made: name → id. */
  const groups = (): Map<string, string> =>
    new Map(
      readFileSync(join(lab.dir, 'sgs'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    )
  let vms: Map<string, NeutronLabVm>
  const servers: {node: string; pid: string}[] = []

  const sh = async (node: string, script: string, timeoutMs = 20_000) => lab.exec(node, ['sh', '-c', script], timeoutMs)
  const inVm = (vm: NeutronLabVm, argv: string[], timeoutMs = 20_000) =>
    lab.exec(vm.node, ['ip', 'netns', 'exec', vm.netns, ...argv], timeoutMs)

  /** Does the packet really get through (and its answer back)? */
  async function real(from: NeutronLabVm, to: NeutronLabVm, p: (typeof PROBES)[number]): Promise<boolean> {
    if (p.proto === 'icmp') return (await inVm(from, ['busybox', 'ping', '-c', '1', '-W', '2', to.ip])).code === 0
    if (p.proto === 'tcp') return (await inVm(from, ['busybox', 'nc', '-w', '2', to.ip, String(p.dport)])).code === 0
    return (await inVm(from, ['/usr/bin/python3', '-c', UDP_CLIENT, to.ip])).code === 0
  }

  /** Packet counters of every filter rule of a node: `chain#number` → packets. */
  async function counters(node: string): Promise<Map<string, number>> {
    const r = await lab.exec(node, ['iptables-save', '-c', '-t', 'filter'])
    const out = new Map<string, number>()
    for (const chain of parseIptablesSave(r.stdout).value.tables.get('filter')?.chains.values() ?? [])
      for (const rule of chain.rules) out.set(`${chain.name}#${rule.number}`, rule.counters?.packets ?? 0)
    return out
  }

  /** One capture of the faulty lab: exactly `wants` (no other error, no warning), else every finding in the message. */
  async function faultSnapshot(wants: Want[]): Promise<Analysis> {
    const a = await tools.snapshot()
    const findings = diagnose(a).filter((f) => f.severity !== 'info')
    expect(
      isExactly(findings, wants),
      `want ${wants.map((w) => `${w.code} ${w.host} ${String(w.element)}`).join(', ')}; found:\n${findings.map((f) => `  ${findingLine(f)}: ${f.message}`).join('\n')}`,
    ).toBe(true)
    return a
  }

  const traceOf = (a: Analysis, from: string, to: string, p: (typeof PROBES)[number]): PacketTraceResult =>
    tracePacketBetween(a, vms.get(from)!.portId, vms.get(to)!.portId, {
      proto: p.proto,
      ...(p.dport ? {dport: p.dport} : {}),
      reply: true,
    })
  const through = (t: PacketTraceResult) => t.verdict === 'delivered' && t.reply?.verdict === 'delivered'

  beforeAll(async () => {
    const r = await sg('apply')
    if (r.code !== 0) throw new Error(`control.sh sg failed: ${r.stderr.slice(-2000)}`)
    vms = new Map(lab.vms().map((v) => [v.netns, v]))
    // Listeners in every VM of the matrix: tcp/22 and tcp/80 (busybox nc, persistent), udp/53 (an echo server).
    for (const name of [...new Set(PAIRS.map((p) => p[1]))]) {
      const vm = vms.get(name)!
      for (const cmd of [
        'busybox nc -ll -p 22 -e /bin/true',
        'busybox nc -ll -p 80 -e /bin/true',
        'busybox nc -ll -p 8080 -e /bin/true',
        `/usr/bin/python3 -c '${UDP_SERVER}'`,
      ]) {
        const started = await sh(vm.node, `ip netns exec ${vm.netns} ${cmd} </dev/null >/dev/null 2>&1 & echo $!`)
        servers.push({node: vm.node, pid: started.stdout.trim()})
      }
    }
  }, 1_800_000)

  afterAll(async () => {
    for (const s of servers) if (/^\d+$/.test(s.pid)) await lab.exec(s.node, ['kill', s.pid])
    const r = await sg('restore')
    if (r.code !== 0) shared.dirty(`control.sh sg restore failed: ${r.stderr.slice(-500)}`)
  }, 600_000)

  it('every cell of the matrix: the trace equals the real packet, and the rules it names really counted it', async () => {
    const a = await tools.expectDiagnosis([])
    const mismatches: string[] = []
    const uncounted: string[] = []
    const table: string[] = []
    for (const [from, to] of PAIRS) {
      const row: string[] = []
      for (const p of PROBES) {
        const t = traceOf(a, from, to, p)
        const nodes = [...new Set([vms.get(from)!.node, vms.get(to)!.node])]
        const before = new Map(await Promise.all(nodes.map(async (n) => [n, await counters(n)] as const)))
        const really = await real(vms.get(from)!, vms.get(to)!, p)
        const after = new Map(await Promise.all(nodes.map(async (n) => [n, await counters(n)] as const)))
        row.push(`${p.label}:${really ? 'pass' : 'drop'}`)
        if (through(t) !== really)
          mismatches.push(`${from} → ${to} ${p.label}: trace ${t.verdict}/${t.reply?.verdict}, real ${really}`)
        for (const step of t.firewall) {
          if (!step.rule) continue
          const key = `${step.rule.chain}#${step.rule.number}`
          const moved = (after.get(step.host)?.get(key) ?? 0) - (before.get(step.host)?.get(key) ?? 0)
          if (moved < 1) uncounted.push(`${from} → ${to} ${p.label}: ${step.host} ${key} did not move`)
        }
      }
      table.push(`${from} → ${to}: ${row.join(' ')}`)
    }
    console.log(`security-group matrix (real):\n${table.join('\n')}`)
    expect(mismatches).toEqual([])
    expect(uncounted).toEqual([])
    // The matrix is not trivial: both fates occur.
    expect(table.join(' ')).toMatch(/pass/)
    expect(table.join(' ')).toMatch(/drop/)
  }, 900_000)

  it('a rule deleted behind the agent with iptables → SG_RULE_NOT_ENFORCED; tcp/22 dropped in the trace and really', async () => {
    const a = vms.get('vm-net1-1')!
    const b = vms.get('vm-net1-2')!
    const chain = `neutron-openvswi-i${b.portId.slice(0, 10)}`
    const spec = ['-s', `${a.ip}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', '22', '-j', 'RETURN']
    const listing = (await lab.exec(b.node, ['iptables-save', '-t', 'filter'])).stdout
    const position = listing
      .split('\n')
      .filter((l) => l.startsWith(`-A ${chain} `))
      .findIndex((l) => l === `-A ${chain} ${spec.join(' ')}`)
    expect(position).toBeGreaterThanOrEqual(0)
    await lab.exec(b.node, ['iptables', '-D', chain, ...spec])
    try {
      const snap = await faultSnapshot([
        {code: 'SG_RULE_NOT_ENFORCED', host: b.node, element: new RegExp(`^${chain}: `)},
      ])
      const t = traceOf(snap, 'vm-net1-1', 'vm-net1-2', PROBES[1])
      expect(t.verdict).toBe('dropped')
      expect(t.reason).toMatch(new RegExp(`^dropped by ${chain}: no rule of its security groups`))
      expect(await real(a, b, PROBES[1])).toBe(false)
    } finally {
      await lab.exec(b.node, ['iptables', '-I', chain, String(position + 1), ...spec])
    }
    expect(await real(a, b, PROBES[1])).toBe(true)
  }, 600_000)

  it('an ipset member removed → SG_IPSET_MEMBER_MISSING; tcp/80 from that member is dropped, and only from it', async () => {
    const b = vms.get('vm-net1-2')!
    const c = vms.get('vm-net1-3')!
    const a = vms.get('vm-net1-1')!
    const set = `NIPv4${groups().get('nlab-web')}`.slice(0, 29)
    expect((await lab.exec(b.node, ['ipset', 'list', '-n'])).stdout.split('\n')).toContain(set)
    await lab.exec(b.node, ['ipset', 'del', set, c.ip])
    try {
      const snap = await faultSnapshot([
        {code: 'SG_IPSET_MEMBER_MISSING', host: b.node, element: `ipset ${set}: ${c.ip}`},
      ])
      expect(traceOf(snap, 'vm-net1-3', 'vm-net1-2', PROBES[2]).verdict).toBe('dropped')
      expect(through(traceOf(snap, 'vm-net1-1', 'vm-net1-2', PROBES[2]))).toBe(true)
      expect(await real(c, b, PROBES[2])).toBe(false)
      expect(await real(a, b, PROBES[2])).toBe(true)
    } finally {
      await lab.exec(b.node, ['ipset', 'add', set, c.ip])
    }
    expect(await real(c, b, PROBES[2])).toBe(true)
  }, 600_000)

  it('net.bridge.bridge-nf-call-iptables=0 → BRIDGE_NF_OFF; no security group applies, the ping goes through', async () => {
    const a = vms.get('vm-net1-1')!
    const b = vms.get('vm-net1-2')!
    expect(await real(a, b, PROBES[0])).toBe(false)
    await lab.exec(b.node, ['sysctl', '-w', 'net.bridge.bridge-nf-call-iptables=0'])
    try {
      const snap = await faultSnapshot([
        {code: 'BRIDGE_NF_OFF', host: b.node, element: 'net.bridge.bridge-nf-call-iptables'},
      ])
      const t = traceOf(snap, 'vm-net1-1', 'vm-net1-2', PROBES[0])
      expect(through(t)).toBe(true)
      expect(t.firewall.find((s) => s.host === b.node)?.reason).toMatch(/bridge-nf-call-iptables is not 1/)
      expect(await real(a, b, PROBES[0])).toBe(true)
    } finally {
      await lab.exec(b.node, ['sysctl', '-w', 'net.bridge.bridge-nf-call-iptables=1'])
    }
    expect(await real(a, b, PROBES[0])).toBe(false)
  }, 600_000)

  it('a rule added in Neutron while the OVS agent is stopped → SG_RULE_NOT_ENFORCED on that host and port', async () => {
    const a = vms.get('vm-net1-1')!
    const b = vms.get('vm-net1-2')!
    const probe = {proto: 'tcp' as const, dport: 8080, label: 'tcp/8080'}
    let ruleId = ''
    await withRestore(
      shared,
      tools,
      async () => {
        await lab.agent('stop', b.node, 'ovs')
        const r = await sg('rule', 'add', 'nlab-ssh', 'tcp', '8080')
        expect(r.code, r.stderr).toBe(0)
        ruleId = r.stdout.trim()
        const snap = await faultSnapshot([
          {
            code: 'SG_RULE_NOT_ENFORCED',
            host: b.node,
            element: `neutron-openvswi-i${b.portId.slice(0, 10)}: ${ruleId}`,
          },
        ])
        const t = traceOf(snap, 'vm-net1-1', 'vm-net1-2', probe)
        expect(t.verdict).toBe('dropped')
        expect(t.reason).toMatch(/no rule of its security groups/)
        expect(await real(a, b, probe)).toBe(false)
      },
      // Restored, the lab must diagnose clean (withRestore): also after the three faults above, undone by inverses.
      async () => {
        if (ruleId) expect((await sg('rule', 'delete', ruleId)).code).toBe(0)
        const running = await lab.exec(b.node, ['/usr/bin/pgrep', '-f', 'neutron-openvswitch-agent'])
        if (running.code !== 0) await lab.agent('start', b.node, 'ovs')
      },
    )
  }, 600_000)
  // The openvswitch firewall driver, contained: nlab-cmp2's agent restarted with firewall_driver = openvswitch (its
  // hybrid-plugged ports are then filtered by br-int tables 71–82 and the agent drops their iptables chains), and back
  // to iptables_hybrid afterwards (withRestore: the lab must diagnose clean again). For the VM pairs that cross
  // nlab-cmp2: the trace names the rule (or the missing one) and equals the real packet; the br-int flow it names is a
  // flow whose n_packets really moved; and on nlab-cmp2's br-int the simulator follows the same flows, table by table,
  // as `ofproto/trace --ct-next` told the state the simulator's tracker gave.
  it('nlab-cmp2 on the openvswitch firewall: rule named, verdict = real packet, its flow counted, flows = ofproto/trace', async () => {
    const b = vms.get('vm-net1-2')!
    const node = b.node
    const ini = 'plugins/ml2/openvswitch_agent.ini'
    const flowsOf = async (): Promise<Flow[]> => {
      const r = await lab.exec(node, ['ovs-ofctl', 'dump-flows', '--names', 'br-int'])
      return parseDumpFlows(r.stdout).value
    }
    const packets = async () => new Map((await flowsOf()).map((f) => [formatFlow(f), f.nPackets ?? 0]))
    // The flows of the tcp/22 rule in table 82 (the agent may keep the port's iptables chains a while: the packet
    // then meets both, the same rules).
    const ovsfwUp = async () =>
      (await flowsOf()).some(
        (f) => f.table === 82 && /tp_dst=22/.test(formatFlow(f)) && formatFlow(f).includes(vms.get('vm-net1-1')!.ip),
      )
    const hybridUp = async () => {
      const flows = await flowsOf()
      const rules = (await lab.exec(node, ['iptables-save', '-t', 'filter'])).stdout
      return (
        !flows.some((f) => f.table === 82) &&
        rules.includes(
          `-A neutron-openvswi-i${b.portId.slice(0, 10)} -s ${vms.get('vm-net1-1')!.ip}/32 -p tcp -m tcp --dport 22 -j RETURN`,
        )
      )
    }
    const driver = async (name: 'openvswitch' | 'iptables_hybrid') => {
      await lab.ini(node, ini, 'securitygroup', 'firewall_driver', name)
      await lab.agent('stop', node, 'ovs')
      await lab.agent('start', node, 'ovs')
      await tools.until(
        `${node}'s agent enforces the groups with ${name}`,
        name === 'openvswitch' ? ovsfwUp : hybridUp,
        300_000,
      )
    }
    const ofport = async (dev: string) =>
      Number((await lab.exec(node, ['ovs-vsctl', 'get', 'Interface', dev, 'ofport'])).stdout.trim())
    const key = (table: number, priority: number, match: Flow['match']) =>
      `${table}/${priority}/${formatMatch({fields: match.fields}).split(',').sort().join(',')}`
    /** The br-int flows (table/priority/match) ofproto/trace --ct-next walks on the node, in order. */
    async function ofprotoTrace(flow: string, state: string) {
      const r = await lab.exec(node, ['ovs-appctl', 'ofproto/trace', 'br-int', flow, '--ct-next', state])
      expect(r.code, r.stderr).toBe(0)
      let bridge = ''
      const out: string[] = []
      for (const line of r.stdout.split('\n')) {
        const br = /^\s*bridge\("([^"]+)"\)/.exec(line)
        if (br) bridge = br[1]!
        const m = /^\s{0,3}(\d+)\. (?:(.*), )?priority (\d+), cookie/.exec(line)
        if (!m || bridge !== 'br-int') continue
        const parsed = parseDumpFlows(` table=${m[1]}, priority=${m[3]}${m[2] ? `,${m[2]}` : ''} actions=drop\n`)
          .value[0]
        out.push(parsed ? key(parsed.table, parsed.priority, parsed.match) : `unparsed: ${line}`)
      }
      return {flows: out, text: r.stdout}
    }

    const cells: [string, string][] = [
      ['vm-net1-1', 'vm-net1-2'],
      ['vm-net1-2', 'vm-net1-1'],
      ['vm-net1-3', 'vm-net1-2'],
      ['vm-net3-1', 'vm-net3-2'],
    ]
    await withRestore(
      shared,
      tools,
      async () => {
        await driver('openvswitch')
        // The agent may still be writing the groups' flows when table 82 first holds the tcp/22 rule (a capture then
        // can catch a conjunction half made: FLOW_SHADOWED of a priority 70 flow under a priority 73 one, seen once):
        // captured until it diagnoses clean, as after every other agent restart.
        const a = await tools.expectDiagnosis([])
        const mismatches: string[] = []
        const uncounted: string[] = []
        const unnamed: string[] = []
        const differ: string[] = []
        const table: string[] = []
        for (const [from, to] of cells) {
          const row: string[] = []
          for (const p of PROBES) {
            const t = traceOf(a, from, to, p)
            const cell = `${from} → ${to} ${p.label}`
            const step = t.firewall.find((s) => s.host === node && s.flow)
            if (!step) unnamed.push(`${cell}: no openvswitch firewall step on ${node}`)
            else if (
              step.verdict === 'accept'
                ? !step.sgRule && !/connection already allowed/.test(step.reason)
                : !/^dropped: no rule of security group\(s\) /.test(step.reason)
            )
              unnamed.push(`${cell}: ${step.reason}`)
            const before = await packets()
            const really = await real(vms.get(from)!, vms.get(to)!, p)
            // OVS adds a datapath flow's packets to its OpenFlow flows when its revalidators next run: wait for them.
            const moved = async () =>
              step?.flow ? ((await packets()).get(step.flow.text) ?? 0) - (before.get(step.flow.text) ?? 0) >= 1 : true
            const deadline = Date.now() + 15_000
            while (!(await moved()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500))
            const after = await packets()
            row.push(`${p.label}:${really ? 'pass' : 'drop'}`)
            if (through(t) !== really)
              mismatches.push(`${cell}: trace ${t.verdict}/${t.reply?.verdict}, real ${really}`)
            if (step?.flow && (after.get(step.flow.text) ?? 0) - (before.get(step.flow.text) ?? 0) < 1)
              uncounted.push(`${cell}: ${step.flow.text} did not move`)
            // Flow by flow against ofproto/trace, request and reply, where each enters nlab-cmp2's br-int; the reply is
            // +est+rpl there when nlab-cmp2's firewall accepted (committed) the request, as the simulator's tracker
            // says.
            for (const [leg, state] of [
              [t, 'trk,new'],
              [t.reply!, step?.verdict === 'accept' ? 'trk,est,rpl' : 'trk,new'],
            ] as const) {
              const hops = leg.hops
              const at = hops.findIndex((h) => h.host === node && h.kind === 'ovs-bridge' && h.element === 'br-int')
              if (at < 0) continue
              const entry = hops[at - 1]!
              const src = leg === t ? vms.get(from)! : vms.get(to)!
              const dst = leg === t ? vms.get(to)! : vms.get(from)!
              const vlan = entry.element.startsWith('qvo') || entry.vlan === null ? '' : `,dl_vlan=${entry.vlan}`
              const l4 =
                p.proto === 'icmp'
                  ? `icmp_type=${leg === t ? 8 : 0},icmp_code=0`
                  : `${p.proto}_src=${leg === t ? 40000 : p.dport},${p.proto}_dst=${leg === t ? p.dport : 40000}`
              const flow = `${p.proto},in_port=${await ofport(entry.element)}${vlan},dl_src=${src.mac},dl_dst=${dst.mac},nw_src=${src.ip},nw_dst=${dst.ip},nw_ttl=64,${l4}`
              const dump = new Map(
                (a.actual.hosts.find((h) => h.name === node)?.flows.get('br-int')?.flows ?? []).map((f) => [f.line, f]),
              )
              const sim = (hops[at]!.flows ?? []).map((f) => {
                const known = f.bridge === 'br-int' ? dump.get(f.line) : undefined
                return known ? key(known.table, known.priority, known.match) : `not in the dump: ${f.text}`
              })
              const ovs = await ofprotoTrace(flow, state)
              if (JSON.stringify(sim) !== JSON.stringify(ovs.flows))
                differ.push(
                  `${cell} ${leg === t ? 'request' : 'reply'}:\n  sim  ${sim.join(' ')}\n  ovs  ${ovs.flows.join(' ')}`,
                )
            }
          }
          table.push(`${from} → ${to}: ${row.join(' ')}`)
        }
        console.log(`security-group matrix, ${node} on the openvswitch firewall (real):\n${table.join('\n')}`)
        expect({mismatches, unnamed, uncounted, differ}).toEqual({
          mismatches: [],
          unnamed: [],
          uncounted: [],
          differ: [],
        })
        expect(table.join(' ')).toMatch(/pass/)
        expect(table.join(' ')).toMatch(/drop/)
      },
      async () => driver('iptables_hybrid'),
    )
  }, 1_500_000)
})
