// The sosreport route against the SSH route on the shared Neutron lab (issue 12), and `diff` on real before/after
// captures of each fault.
//
// Debian's `sos report` runs inside every node (all at once, only the plugins neutrace binds) while the SSH collector
// captures the same state; diagnose and trace from the sosreports must reach the same findings and the same traces
// (every VM, to DHCP and back) as from the SSH snapshot. Two such states: the lab healthy, and the lab with five
// faults at once, each where no other hides it (the DHCP agent stopped while a port is added, a flow deleted, a qvo
// retagged, a veth end set down, a dnsmasq killed). The faults are made one after the other with an SSH capture after
// each: `diff` of one capture to the next must name exactly what that fault changed, and the findings it made appear.
// Then everything is undone and the lab must capture clean again (withRestore).
//
// A sos run costs ~10 s of CPU per node (most of it the networking plugin's 15 ethtool commands per device): 105–140 s
// of wall time per state on the 2-core machine at a load of ~20 where this was written, hence two states, not six.
// On the shared lab (suite.ts); runs only with NEUTRACE_SOS_LAB=1 (vitest reports it skipped otherwise): it adds
// 4–7 minutes to CI, and under load the DHCP agent's restart of every dnsmasq after the dnsmasq fault's restore can
// outlast the wait (seen once on a lab beside a running CI, after the idle stop fixed the mid-restart stop).

import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {diffAnalyses, type DiffReport} from '../../../src/diff/index.js'
import {type Analysis, diagnose, loadAnalysis} from '../../../src/engine.js'
import {importSosReports, writeImportedSnapshot} from '../../../src/sos/import.js'
import {neutronLabUnavailable} from './control.js'
import {
  deleteTranslationFlow,
  ensureAgent,
  killDnsmasq,
  linkDown,
  type MadeFault,
  netId,
  newVmName,
  qvo,
  retagQvo,
  stopDhcpAgentIdle,
  vmOf,
} from './faults.js'
import {labSosReports, routesDiffer} from './sos.js'
import {labTools, useSharedLab, type Want, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0' && process.env.NEUTRACE_SOS_LAB === '1'

type Change = DiffReport['hosts'][number]['changes'][number]
const changes = (d: DiffReport): Change[] => d.hosts.flatMap((h) => h.changes)
const line = (c: Change): string =>
  `${c.host} ${c.change} ${c.category} ${c.element}${c.before !== undefined || c.after !== undefined ? ` (${c.before ?? ''} → ${c.after ?? ''})` : ''}`

describe.skipIf(!wanted || unavailable !== undefined)(
  'sosreports and SSH agree on the shared Neutron lab, healthy and with five faults; diff names each fault',
  () => {
    const shared = useSharedLab('nlab-sos-')
    const lab = shared.lab
    const tools = labTools(lab, shared.scratch)
    let states = 0
    const timings: string[] = []

    /** Both routes on the same state: sos in every node and the SSH collector at once; the sosreports imported. */
    const both = async (): Promise<{ssh: Analysis; sos: Analysis}> => {
      const dir = join(shared.scratch(), `state-${++states}`)
      const started = Date.now()
      const [reports] = await Promise.all([
        labSosReports(lab, join(dir, 'sos'), 'neutrace', true),
        lab.capture(join(dir, 'ssh')),
      ])
      const sosDone = Date.now()
      await writeImportedSnapshot(await importSosReports(reports), join(dir, 'imported'), join(dir, 'ssh', 'intent'))
      const out = {ssh: await loadAnalysis(join(dir, 'ssh')), sos: await loadAnalysis(join(dir, 'imported'))}
      timings.push(
        `state ${states}: sos + SSH ${(sosDone - started) / 1000} s, import + load ${(Date.now() - sosDone) / 1000} s`,
      )
      console.log(`sos.test.ts: ${timings.at(-1)}`)
      return out
    }

    /** The routes agree on the findings (exactly `wants` among the errors, nothing louder than info else) and on every
     * VM's traces; a state caught mid-change (an agent at work) is taken again. */
    const agree = async (wants: Want[]): Promise<{ssh: Analysis; sos: Analysis}> => {
      for (let attempt = 1; ; attempt++) {
        const got = await both()
        const ports = lab.vms().map((v) => v.portId)
        const differ = routesDiffer(got.ssh, got.sos, ports)
        const loud = diagnose(got.ssh).filter((f) => f.severity !== 'info')
        const exact =
          loud.length === wants.length &&
          wants.every((w) =>
            loud.some(
              (f) =>
                f.code === w.code &&
                f.host === w.host &&
                (typeof w.element === 'string' ? f.element === w.element : w.element.test(f.element)),
            ),
          )
        if ((differ.length || !exact) && attempt < 3) continue
        expect(
          loud.map((f) => `${f.code} ${f.host} ${f.element}`).sort(),
          wants.map((w) => `${w.code} ${w.host} ${String(w.element)}`).join('\n'),
        ).toHaveLength(wants.length)
        expect(exact, loud.map((f) => `${f.code} ${f.host} ${f.element}`).join('\n')).toBe(true)
        expect(differ).toEqual([])
        return got
      }
    }

    /** `diff` from one capture to the next: exactly the changes `expected` lists (each matched once, no other) and the
     * findings `appeared` (code host element) appeared, none disappeared. */
    const expectDiff = (
      before: Analysis,
      after: Analysis,
      fault: string,
      expected: ((c: Change) => boolean)[],
      appeared: Want[],
      also: (c: Change) => boolean = () => false,
    ): DiffReport => {
      const d = diffAnalyses(before, after, 'test')
      const all = changes(d)
      const unexplained = all.filter((c) => !expected.some((e) => e(c)) && !also(c))
      expect(unexplained.map(line), `${fault}: changes it did not make`).toEqual([])
      for (const [i, e] of expected.entries())
        expect(
          all.filter(e).map(line),
          `${fault}: expected change ${i + 1} of ${expected.length}\n${all.map(line).join('\n')}`,
        ).toHaveLength(1)
      const shown = d.findings.appeared.map((f) => `${f.code} ${f.host} ${f.element}`)
      expect(shown, `${fault}: findings that appeared`).toHaveLength(appeared.length)
      for (const w of appeared)
        expect(
          d.findings.appeared.filter(
            (f) =>
              f.code === w.code &&
              f.host === w.host &&
              (typeof w.element === 'string' ? f.element === w.element : w.element.test(f.element)),
          ),
          `${fault}: ${w.code} ${w.host} ${String(w.element)} appeared; appeared: ${shown.join(', ')}`,
        ).toHaveLength(1)
      expect(d.findings.disappeared, `${fault}: findings that disappeared`).toEqual([])
      return d
    }

    it('healthy and with five faults at once: the same findings and traces from sosreports as over SSH; diff names each fault', async () => {
      const vms = lab.vms()
      expect(vms.length).toBeGreaterThanOrEqual(8)
      // The healthy lab, both routes.
      const healthy = await agree([])
      const made: MadeFault[] = []
      const wants: Want[] = []
      let prev = healthy.ssh
      /** After a fault: capture over SSH until the diagnosis is exactly every fault so far. */
      const step = async (more: Want[]): Promise<Analysis> => {
        wants.push(...more)
        const next = await tools.expectDiagnosis([...wants])
        const before = prev
        prev = next
        return before
      }
      await withRestore(
        shared,
        tools,
        async () => {
          // 1. nlab-net1: the DHCP agent stopped, then a port added and plugged on the other compute: its host entry
          // never reaches dnsmasq.
          const v1 = vmOf(vms, 'vm-net1-1')
          const other = v1.node === 'nlab-cmp1' ? 'nlab-cmp2' : 'nlab-cmp1'
          made.push({what: 'neutron-dhcp-agent', restore: () => ensureAgent(lab, 'nlab-ctl', 'dhcp')})
          await stopDhcpAgentIdle(lab, tools)
          const added = await lab.vm(other, 'nlab-net1', newVmName('s'), {wait: false})
          const net1 = await netId(lab, 'nlab-net1')
          const w4 = {code: 'DHCP_HOST_MISSING', host: 'nlab-ctl', element: `/var/lib/neutron/dhcp/${net1}/host`}
          let before = await step([w4])
          // What a plug brings: the port on br-int, its binding, the flows the OVS agent adds for it (they name its
          // ofport, MAC or address) — and no dnsmasq host entry: that is the fault.
          const ofport = prev.actual.hosts
            .find((h) => h.name === other)!
            .ofports.get('br-int')
            ?.get(qvo(added))
          expect(ofport, `${qvo(added)} on ${other}`).toBeDefined()
          const ofThePort = (c: Change): boolean =>
            c.host === other &&
            c.category === 'flow' &&
            c.change === 'added' &&
            (new RegExp(`in_port=(${ofport}|"?${qvo(added)}"?)(,|$)`).test(c.element) ||
              c.element.includes(added.mac) ||
              c.element.includes(added.ip))
          expectDiff(
            before,
            prev,
            'DHCP agent stopped, port added',
            [
              (c) =>
                c.host === 'nlab-ctl' &&
                c.category === 'agent' &&
                c.element === 'neutron-dhcp-agent' &&
                c.change === 'removed',
              (c) => c.host === other && c.category === 'port' && c.element === qvo(added) && c.change === 'added',
              (c) => c.category === 'binding' && c.element === `port ${added.portId}` && c.change === 'added',
              // The lab's VM is a namespace.
              (c) =>
                c.host === other && c.category === 'namespace' && c.element === added.netns && c.change === 'added',
            ],
            [w4],
            ofThePort,
          )
          expect(changes(diffAnalyses(before, prev, 'test')).filter(ofThePort).length).toBeGreaterThan(0)

          // 2. nlab-net1: vm-net1-1's egress translation deleted from br-eth2 on its host.
          const flow = await deleteTranslationFlow(tools, v1)
          made.push(flow)
          const w1 = {code: 'FLOW_MISSING', host: v1.node, element: flow.what}
          before = await step([w1])
          expectDiff(
            before,
            prev,
            'flow deleted',
            [
              (c) =>
                c.host === v1.node &&
                c.category === 'flow' &&
                c.change === 'removed' &&
                new RegExp(`^br-eth2 table 0 priority=\\d+ in_port=\\S+,dl_vlan=${flow.local}$`).test(c.element),
            ],
            [w1],
          )

          // 3. nlab-net2: the qvo of its VM on that same host retagged to 99. (Not on the host where the port was
          // added: an OVS agent processing a new port puts back every tag on its host, as the lab showed.)
          const v2 = vms.find((v) => v.network === 'nlab-net2' && v.node === v1.node && v.netns.startsWith('vm-net2-'))
          if (!v2) throw new Error(`no nlab-net2 VM on ${v1.node}`)
          const tag = await retagQvo(tools, v2, 99)
          made.push(tag)
          const w2 = {code: 'VLAN_TAG_MISMATCH', host: v2.node, element: qvo(v2)}
          before = await step([w2])
          expectDiff(
            before,
            prev,
            'qvo retagged',
            [
              (c) =>
                c.host === v2.node &&
                c.category === 'tag' &&
                c.element === `br-int/${qvo(v2)}` &&
                c.before === `tag ${tag.tag}` &&
                c.after === 'tag 99',
            ],
            [w2],
          )

          // 4. nlab-net3: vm-net3-1's qvb set down.
          const v3 = vmOf(vms, 'vm-net3-1')
          const link = await linkDown(tools, v3)
          made.push(link)
          const w3 = {code: 'LINK_BROKEN', host: v3.node, element: link.what}
          before = await step([w3])
          expectDiff(
            before,
            prev,
            'veth end down',
            [
              (c) =>
                c.host === v3.node &&
                c.category === 'link' &&
                c.element === link.what &&
                c.before === 'up' &&
                c.after === 'down',
            ],
            [w3],
          )

          // 5. nlab-tun1: its dnsmasq killed (the DHCP agent, stopped, does not respawn it).
          const tun1 = await netId(lab, 'nlab-tun1')
          const dns = await killDnsmasq(lab, tools, 'nlab-ctl', tun1)
          made.push(dns)
          const w5 = {code: 'DHCP_SERVER_DOWN', host: 'nlab-ctl', element: `dnsmasq qdhcp-${tun1}`}
          before = await step([w5])
          expectDiff(
            before,
            prev,
            'dnsmasq killed',
            [
              (c) =>
                c.host === 'nlab-ctl' &&
                c.category === 'dhcp-server' &&
                c.element === `dnsmasq of ${tun1}` &&
                c.change === 'removed',
            ],
            [w5],
          )

          // All five at once, both routes; and diff from the sosreports names the same changes as from SSH.
          const faulty = await agree(wants)
          const viaSsh = diffAnalyses(healthy.ssh, faulty.ssh, 'test')
          const viaSos = diffAnalyses(healthy.sos, faulty.sos, 'test')
          // sos dumps flows without --names: a flow's ports are numbers there (in_port=9), names over SSH.
          const same = (c: Change): string =>
            c.category === 'flow' ? `${c.host} ${c.change} flow ${c.element.split(' ').slice(0, 4).join(' ')}` : line(c)
          expect(changes(viaSos).map(same).sort()).toEqual(changes(viaSsh).map(same).sort())
          expect(viaSos.findings).toEqual(viaSsh.findings)
        },
        async () => {
          for (const f of made.reverse()) await f.restore()
        },
      )
      console.log(`sos.test.ts: ${timings.join('; ')}`)
    }, 1_500_000)
  },
)
