// The sosreport route against the SSH route on a real Neutron (issue 12): for the healthy lab and five faults made the
// way neutron-faults.test.ts makes them, Debian's `sos report` runs inside every node (all at once, only the plugins
// neutrace binds) while the SSH collector captures the same state; diagnose and trace from the sosreports must reach
// the same findings and the same traces (every VM, to DHCP and back) as from the SSH snapshot, and the fault must be
// there. Each fault is undone, and the lab seen clean again, before the next.
//
// On the shared Neutron lab (useSharedLab), only with NEUTRACE_SOS_LAB=1: each state costs a sos run in every node
// (~35 s, in parallel) besides the SSH capture, so the 11 states here would add ~7 minutes to CI, over its budget.
// Measured on slot 205 (its own lab, 1 compute): healthy and the flow, tag, DHCP-host and dnsmasq faults agree;
// NEUTRACE_SOS_LAB_REUSE=1 runs it on an already built lab of slot 205 (development).

import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, diagnose, loadAnalysis} from '../../../src/engine.js'
import {importSosReports, writeImportedSnapshot} from '../../../src/sos/import.js'
import {neutronLab, neutronLabUnavailable, type NeutronLabVm} from './control.js'
import {labSosReports, routesDiffer} from './sos.js'
import {useSharedLab} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_SOS_LAB === '1'
/** NEUTRACE_SOS_LAB_REUSE=1: the lab already up on the slot (control.sh up + demo), left up (for development). */
const reuse = process.env.NEUTRACE_SOS_LAB_REUSE === '1'
const SLOT = 205

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!wanted || unavailable !== undefined)(
  'sosreports and SSH agree on the Neutron lab, healthy and with faults (NEUTRACE_SOS_LAB=1)',
  () => {
    const demo = reuse
      ? (() => {
          const lab = neutronLab({slot: SLOT, computes: 1})
          const scratch = mkdtempSync(join(tmpdir(), 'nlab-sos-'))
          return {lab, vms: () => lab.vms(), scratch: () => scratch}
        })()
      : useSharedLab('nlab-sos-')
    const lab = demo.lab
    let vms: NeutronLabVm[] = []
    let n = 0
    beforeAll(() => {
      vms = demo.vms()
    })

    /** Both routes on the same state: sos in every node and the SSH collector, at once. */
    const both = async (): Promise<{ssh: Analysis; sos: Analysis; seconds: number}> => {
      const dir = join(demo.scratch(), `state-${++n}`)
      const started = Date.now()
      try {
        const [reports] = await Promise.all([labSosReports(lab, join(dir, 'sos')), lab.capture(join(dir, 'ssh'))])
        await writeImportedSnapshot(await importSosReports(reports), join(dir, 'imported'), join(dir, 'ssh', 'intent'))
        const seconds = (Date.now() - started) / 1000
        return {ssh: await loadAnalysis(join(dir, 'ssh')), sos: await loadAnalysis(join(dir, 'imported')), seconds}
      } finally {
        rmSync(join(dir, 'sos'), {recursive: true, force: true})
      }
    }

    /** The routes agree, and the SSH route finds `codes` (nothing at all when none): a state caught mid-change (an
     * agent at work) is taken again. */
    const agree = async (codes: string[]): Promise<Analysis> => {
      const found = (errors: string[]) => (codes.length ? codes.every((c) => errors.includes(c)) : !errors.length)
      for (let attempt = 1; ; attempt++) {
        const {ssh, sos} = await both()
        const errors = diagnose(ssh)
          .filter((f) => f.severity !== 'info')
          .map((f) => f.code)
          .sort()
        const differ = routesDiffer(
          ssh,
          sos,
          vms.map((v) => v.portId),
        )
        if ((differ.length || !found(errors)) && attempt < 4) {
          await sleep(3000)
          continue
        }
        expect(found(errors), errors.join(' ')).toBe(true)
        expect(differ).toEqual([])
        return sos
      }
    }

    const run = async (node: string, argv: string[]): Promise<string> => {
      const r = await lab.exec(node, argv)
      if (r.code !== 0) throw new Error(`${node}: ${argv.join(' ')}: ${r.stderr}`)
      return r.stdout
    }
    const qvo = (vm: NeutronLabVm): string => `qvo${vm.portId.slice(0, 11)}`
    const vmOf = (netns: string): NeutronLabVm => vms.find((v) => v.netns === netns)!

    it('healthy: no finding either way, every trace the same', async () => {
      expect(vms.length).toBeGreaterThanOrEqual(6)
      await agree([])
    }, 1_200_000)

    it("a flow deleted behind the agent's back → FLOW_MISSING from both", async () => {
      const vm = vmOf('vm-net1-1')
      const local = Number((await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim())
      const match = `in_port=phy-br-eth2,dl_vlan=${local}`
      const dumped = await run(vm.node, ['ovs-ofctl', '--names', 'dump-flows', 'br-eth2', `table=0,${match}`])
      const m = /cookie=(0x[0-9a-f]+),.*priority=(\d+),in_port="?phy-br-eth2"?,dl_vlan=\d+ actions=(\S+)/.exec(dumped)
      expect(m, dumped).not.toBeNull()
      await run(vm.node, ['ovs-ofctl', '--names', 'del-flows', 'br-eth2', match])
      try {
        await agree(['FLOW_MISSING'])
      } finally {
        await run(vm.node, [
          'ovs-ofctl',
          '--names',
          'add-flow',
          'br-eth2',
          `cookie=${m![1]},table=0,priority=${m![2]},${match},actions=${m![3]}`,
        ])
      }
      await agree([])
    }, 1_200_000)

    it('a qvo retagged behind the agent → VLAN_TAG_MISMATCH from both', async () => {
      const vm = vmOf('vm-net2-1')
      const tag = (await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim()
      await run(vm.node, ['ovs-vsctl', 'set', 'Port', qvo(vm), 'tag=99'])
      try {
        await agree(['VLAN_TAG_MISMATCH'])
      } finally {
        await run(vm.node, ['ovs-vsctl', 'set', 'Port', qvo(vm), `tag=${tag}`])
      }
      await agree([])
    }, 1_200_000)

    it('the DHCP agent stopped and a port added → DHCP_HOST_MISSING from both', async () => {
      await lab.agent('stop', 'nlab-ctl', 'dhcp')
      const vm = await lab.vm('nlab-cmp1', 'nlab-net1', 'vm-s', {wait: false})
      vms = lab.vms()
      try {
        await agree(['DHCP_HOST_MISSING'])
      } finally {
        await lab.agent('start', 'nlab-ctl', 'dhcp')
      }
      await agree([])
      expect(vm.ip).toMatch(/^198\.19\./)
    }, 1_200_000)

    it('dnsmasq killed → DHCP_SERVER_DOWN from both', async () => {
      const ps = await run('nlab-ctl', ['ps', '-eo', 'pid=,args='])
      const line = ps.split('\n').find((l) => /dnsmasq .*--dhcp-hostsfile=/.test(l))!
      await run('nlab-ctl', ['kill', line.trim().split(/\s+/)[0]!])
      try {
        await agree(['DHCP_SERVER_DOWN'])
      } finally {
        // The DHCP agent restarts dnsmasq when it resyncs; a restart of the agent does it at once.
        await lab.agent('stop', 'nlab-ctl', 'dhcp')
        await lab.agent('start', 'nlab-ctl', 'dhcp')
      }
      await agree([])
    }, 1_200_000)

    it('a veth end set down → LINK_BROKEN from both', async () => {
      const vm = vmOf('vm-net3-1')
      const qvb = `qvb${vm.portId.slice(0, 11)}`
      await run(vm.node, ['ip', 'link', 'set', qvb, 'down'])
      try {
        await agree(['LINK_BROKEN'])
      } finally {
        await run(vm.node, ['ip', 'link', 'set', qvb, 'up'])
      }
      await agree([])
    }, 1_200_000)
  },
)
