// The sosreport route against the SSH route on the shared Neutron lab (issue 12), and `diff` on real before/after
// captures of five faults.
//
// Five faults are made at once on the clean lab, each on its own element and network so that
// none hides another (a br-eth2 translation flow deleted, a qvo retagged, a veth end set down, a br-tun flood flow
// deleted, a dnsmasq host entry dropped), all on one compute and the control node: the other compute stays wholly
// healthy. Then Debian's `sos report` runs inside every node (all at once, only the plugins neutrace binds) while the
// SSH collector captures the same state, and
//   - diagnose and trace from the sosreports reach the same findings (exactly the five) and the same traces (every
//     VM, to DHCP and back: the healthy compute's, the faulty ones') as from the SSH snapshot;
//   - `diff` of the SSH snapshot to the sosreports of that same state is empty: ports, tags, flows (full match and
//     actions, ports by name through each bridge's port table), namespaces, dnsmasq hosts, bindings, links, daemons;
// Then everything is undone and the lab must capture clean again (withRestore): that capture is the healthy baseline,
// and
//   - `diff` of it to the faulty SSH capture names exactly what each fault changed (each fault's changes matched one
//     by one, nothing unexplained: a fault not undone exactly would show too) and exactly the finding each made
//     appear — and to the sosreports (a snapshot against sosreports) the same, line for line.
// Before the faults, the healthy lab goes both routes too: no finding either way, the same traces, an empty `diff`.
//
// Cheap on purpose (CI time): two sos rounds (a sos run costs ~10 s of CPU per node, most of it the networking plugin's
// ethtool commands per device: 100–150 s of wall time at a load of 20 on the 2-core machine), no agent stopped or
// restarted (a starting DHCP agent restarts every dnsmasq: minutes on a busy machine), faults that act at once.
// On the shared lab (suite.ts); NEUTRACE_SOS_LAB=0 or NEUTRACE_NEUTRON_LAB=0 skip it.

import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {diffAnalyses, type DiffReport} from '../../../src/diff/index.js'
import {type Analysis, diagnose, loadAnalysis} from '../../../src/engine.js'
import {importSosReports, writeImportedSnapshot} from '../../../src/sos/import.js'
import {neutronLabUnavailable} from './control.js'
import {
  deleteFloodFlow,
  deleteTranslationFlow,
  dropDhcpHost,
  linkDown,
  type MadeFault,
  netId,
  qvo,
  retagQvo,
  vmOf,
} from './faults.js'
import {labSosReports, routesDiffer} from './sos.js'
import {labTools, useSharedLab, type Want, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0' && process.env.NEUTRACE_SOS_LAB !== '0'

type Change = DiffReport['hosts'][number]['changes'][number]
const changes = (d: DiffReport): Change[] => d.hosts.flatMap((h) => h.changes)
const line = (c: Change): string =>
  `${c.host} ${c.change} ${c.category} ${c.element}${c.before !== undefined || c.after !== undefined ? ` (${c.before ?? ''} → ${c.after ?? ''})` : ''}`

describe.skipIf(!wanted || unavailable !== undefined)(
  'sosreports and SSH agree on the shared Neutron lab with five faults; diff names each fault',
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

    it('healthy: no finding, the same traces and the same state from sosreports as over SSH', async () => {
      const healthy = await agree([])
      expect(changes(diffAnalyses(healthy.ssh, healthy.sos, 'test')).map(line)).toEqual([])
    }, 600_000)

    it('five faults at once: the same findings, traces and state from sosreports as over SSH; diff names each fault', async () => {
      const vms = lab.vms()
      expect(vms.length).toBeGreaterThanOrEqual(8)
      const made: (MadeFault & {
        /** The changes this fault makes in `diff` (each must match exactly one). */
        changes: ((c: Change) => boolean)[]
        finding: Want
      })[] = []
      let faulty: {ssh: Analysis; sos: Analysis} | undefined
      // The healthy baseline is the lab captured clean after the faults are undone (withRestore's own capture).
      const healthy = await withRestore(
        shared,
        tools,
        async () => {
          // Five faults on five elements of four networks, none hiding another.
          // 1. nlab-net1: vm-net1-1's egress translation deleted from br-eth2 on its host.
          const v1 = vmOf(vms, 'vm-net1-1')
          const flow = await deleteTranslationFlow(tools, v1)
          made.push({
            ...flow,
            finding: {code: 'FLOW_MISSING', host: v1.node, element: flow.what},
            changes: [
              (c) =>
                c.host === v1.node &&
                c.category === 'flow' &&
                c.change === 'removed' &&
                new RegExp(`^br-eth2 table 0 priority=\\d+ in_port="?phy-br-eth2"?,dl_vlan=${flow.local}$`).test(
                  c.element,
                ) &&
                c.before === 'actions=mod_vlan_vid:1000,NORMAL',
            ],
          })
          // 2. nlab-net2: the qvo of its VM on that same host retagged to 99.
          const v2 = vms.find((v) => v.network === 'nlab-net2' && v.node === v1.node)
          if (!v2) throw new Error(`no nlab-net2 VM on ${v1.node}`)
          const tag = await retagQvo(tools, v2, 99)
          made.push({
            ...tag,
            finding: {code: 'VLAN_TAG_MISMATCH', host: v2.node, element: qvo(v2)},
            changes: [
              (c) =>
                c.host === v2.node &&
                c.category === 'tag' &&
                c.element === `br-int/${qvo(v2)}` &&
                c.before === `tag ${tag.tag}` &&
                c.after === 'tag 99',
            ],
          })
          // 3. nlab-net3: the qvb of its VM on that host set down.
          const v3 = vms.find((v) => v.network === 'nlab-net3' && v.node === v1.node)
          if (!v3) throw new Error(`no nlab-net3 VM on ${v1.node}`)
          const link = await linkDown(tools, v3)
          made.push({
            ...link,
            finding: {code: 'LINK_BROKEN', host: v3.node, element: link.what},
            changes: [
              (c) =>
                c.host === v3.node &&
                c.category === 'link' &&
                c.element === link.what &&
                c.before === 'up' &&
                c.after === 'down',
            ],
          })
          // 4. nlab-tun1: the VXLAN flood flow deleted from br-tun on that host.
          const v4 = vms.find((v) => v.network === 'nlab-tun1' && v.node === v1.node)
          if (!v4) throw new Error(`no nlab-tun1 VM on ${v1.node}`)
          const flood = await deleteFloodFlow(tools, v4)
          made.push({
            ...flood,
            finding: {code: 'FLOW_MISSING', host: v4.node, element: flood.what},
            changes: [
              (c) =>
                c.host === v4.node &&
                c.category === 'flow' &&
                c.change === 'removed' &&
                c.element === `br-tun table 22 priority=1 dl_vlan=${flood.local}`,
            ],
          })
          // 5. nlab-net1: vm-net1-1's entry dropped from the dnsmasq host file (the DHCP agent missed the port).
          const net1 = await netId(lab, 'nlab-net1')
          const host = await dropDhcpHost(tools, 'nlab-ctl', net1, v1)
          made.push({
            ...host,
            finding: {code: 'DHCP_HOST_MISSING', host: 'nlab-ctl', element: host.what},
            changes: [
              (c) =>
                c.host === 'nlab-ctl' &&
                c.category === 'dhcp-host' &&
                c.change === 'removed' &&
                c.element.includes(v1.mac) &&
                c.network === net1,
            ],
          })

          // All five at once, both routes (exactly the five findings: the lab started clean), and the two routes
          // of that one state differ in nothing.
          faulty = await agree(made.map((f) => f.finding))
          expect(changes(diffAnalyses(faulty.ssh, faulty.sos, 'test')).map(line)).toEqual([])
        },
        async () => {
          for (const f of [...made].reverse()) await f.restore()
        },
      )
      // diff of the SSH captures, healthy to faulty: each fault's changes, each matched exactly once, nothing else;
      // each fault's finding appeared, none disappeared.
      const d = diffAnalyses(healthy, faulty!.ssh, 'test')
      const all = changes(d)
      const shown = all.map(line).join('\n')
      expect(
        all.filter((c) => !made.some((f) => f.changes.some((e) => e(c)))).map(line),
        `changes no fault made:\n${shown}`,
      ).toEqual([])
      for (const f of made) {
        for (const [i, e] of f.changes.entries())
          expect(all.filter(e).map(line), `${f.what}: change ${i + 1}\n${shown}`).toHaveLength(1)
        const w = f.finding
        expect(
          d.findings.appeared.filter(
            (x) =>
              x.code === w.code &&
              x.host === w.host &&
              (typeof w.element === 'string' ? x.element === w.element : w.element.test(x.element)),
          ),
          `${f.what}: ${w.code} appeared; appeared: ${d.findings.appeared.map((x) => `${x.code} ${x.host} ${x.element}`).join(', ')}`,
        ).toHaveLength(1)
      }
      expect(d.findings.appeared).toHaveLength(made.length)
      expect(d.findings.disappeared).toEqual([])
      // A healthy SSH snapshot against the sosreports of the faulty state: the same changes line for line, and
      // findings.
      const viaSos = diffAnalyses(healthy, faulty!.sos, 'test')
      expect(changes(viaSos).map(line).sort()).toEqual(all.map(line).sort())
      expect(viaSos.findings).toEqual(d.findings)
      console.log(`sos.test.ts: ${timings.join('; ')}`)
    }, 900_000)
  },
)
