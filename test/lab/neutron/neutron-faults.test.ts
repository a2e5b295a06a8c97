// Faults made the way they happen in real life, on a real Neutron (issue 4, "done when"): agents stopped by PID,
// a port plugged while its agent is away, a flow deleted behind the agent's back, a binding moved through the API, a
// segmentation id changed in the database, an agent restarted with other bridge_mappings. After each: the real
// collector captures the lab, and diagnose must name the fault with the right code, host and element, and raise no
// other error and no warning; an affected VM's trace does not arrive and its real `udhcpc` gets no lease. Each fault is
// undone, also when its test fails, and the lab must diagnose clean again before the next (withRestore), so a failure
// never cascades.
//
// On the shared lab (suite.ts; the VLAN/flat networks). Needs root and test/lab/neutron/install.sh; skipped when
// NEUTRACE_NEUTRON_LAB=0.

import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, diagnose, traceVm} from '../../../src/engine.js'
import {neutronLabUnavailable, type NeutronLabVm} from './control.js'
import {
  deleteTranslationFlow,
  ensureAgent as ensureLabAgent,
  netId as labNetId,
  newVmName,
  qvo,
  stopDhcpAgentIdle,
  vmOf as vmIn,
} from './faults.js'
import {daemonRunning, labTools, useSharedLab, VLAN_NETWORKS, type Want, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'
describe.skipIf(!wanted || unavailable !== undefined)(
  'Neutron lab faults made the real way are found (shared lab)',
  () => {
    const shared = useSharedLab('nlab-faults-')
    const lab = shared.lab
    const tools = labTools(lab, shared.scratch)
    const {expectDiagnosis, until, lease, run} = tools
    let vms: NeutronLabVm[] = []
    beforeAll(() => {
      vms = shared.vms()
    })

    const expectCutOff = async (analysis: Analysis, vm: NeutronLabVm): Promise<void> => {
      const [r] = traceVm(analysis, vm.portId, 'dhcp')
      expect(r!.verdict, `${vm.netns}: ${r!.reason}`).not.toBe('delivered')
      expect(await lease(vm, 2), `${vm.netns} on ${vm.node} still gets a lease`).toBeUndefined()
    }

    const agentIni = (node: string): string =>
      join(lab.dir, 'nodes', node, 'root', 'etc-neutron', 'plugins', 'ml2', 'openvswitch_agent.ini')
    const setMappings = (node: string, mappings: string): void => {
      const path = agentIni(node)
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(/^bridge_mappings = .*$/m, `bridge_mappings = ${mappings}`),
      )
    }
    const restartOvsAgent = async (node: string): Promise<void> => {
      await lab.agent('stop', node, 'ovs')
      await lab.agent('start', node, 'ovs')
    }
    const vmOf = (netns: string): NeutronLabVm => vmIn(vms, netns)
    /** Is the OVS agent recorded for `node` still running? */
    const ovsAgentRunning = (node: string): boolean => daemonRunning(lab, node, 'neutron-openvswitch-agent')
    const ensureAgent = (node: string, kind: 'ovs' | 'dhcp'): Promise<void> => ensureLabAgent(lab, node, kind)
    const netId = (name: string): Promise<string> => labNetId(lab, name)

    it('starts clean', async () => {
      expect(vms.filter((v) => VLAN_NETWORKS.includes(v.network)).length).toBeGreaterThanOrEqual(6)
      await expectDiagnosis([], 60_000)
    }, 120_000)

    it("a flow deleted behind the agent's back → FLOW_MISSING on that bridge; the agent does not put it back", async () => {
      const vm = vmOf('vm-net1-1')
      let flow: Awaited<ReturnType<typeof deleteTranslationFlow>> | undefined
      await withRestore(
        shared,
        tools,
        async () => {
          flow = await deleteTranslationFlow(tools, vm)
          const analysis = await expectDiagnosis([{code: 'FLOW_MISSING', host: vm.node, element: flow.what}])
          await expectCutOff(analysis, vm)
        },
        // The same flow, same cookie.
        async () => {
          await flow?.restore()
        },
      )
    }, 300_000)

    it('the OVS agent stopped and a port plugged meanwhile → VLAN_TAG_MISMATCH (no tag) on its qvo, no firewall', async () => {
      let vm: NeutronLabVm | undefined
      await withRestore(
        shared,
        tools,
        async () => {
          await lab.agent('stop', 'nlab-cmp1', 'ovs')
          vm = await lab.vm('nlab-cmp1', 'nlab-net2', newVmName('a'), {wait: false})
          vms = lab.vms()
          expect((await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim()).toBe('[]')
          // With its agent away the port's firewall was never set up either (issue 10): no chains for it, and the
          // host's ipset of its group (default) lacks its address — both true of the real host, undone with the agent.
          const ip = vm.ip.replaceAll('.', '\\.')
          const analysis = await expectDiagnosis([
            {code: 'VLAN_TAG_MISMATCH', host: 'nlab-cmp1', element: qvo(vm)},
            {code: 'SG_PORT_SECURITY_MISMATCH', host: 'nlab-cmp1', element: `port ${vm.portId}`},
            {code: 'SG_IPSET_MEMBER_MISSING', host: 'nlab-cmp1', element: new RegExp(`^ipset NIPv4\\S+: ${ip}$`)},
          ])
          await expectCutOff(analysis, vm)
        },
        () => ensureAgent('nlab-cmp1', 'ovs'),
      )
      expect(await lease(vm!)).toBe(vm!.ip)
    }, 360_000)

    it('the DHCP agent stopped, then a port added → DHCP_HOST_MISSING (the host file is stale)', async () => {
      let vm: NeutronLabVm | undefined
      await withRestore(
        shared,
        tools,
        async () => {
          await stopDhcpAgentIdle(lab, tools)
          vm = await lab.vm('nlab-cmp2', 'nlab-net1', newVmName('d'), {wait: false})
          vms = lab.vms()
          const analysis = await expectDiagnosis([
            {
              code: 'DHCP_HOST_MISSING',
              host: 'nlab-ctl',
              element: `/var/lib/neutron/dhcp/${await netId('nlab-net1')}/host`,
            },
          ])
          await expectCutOff(analysis, vm)
        },
        () => ensureAgent('nlab-ctl', 'dhcp'),
      )
      expect(await lease(vm!)).toBe(vm!.ip)
    }, 360_000)

    it("a port's binding moved to another host → VIF_MISMATCH, and the dead port's shadowed drop flow is no alarm", async () => {
      const vm = vmOf('vm-net1-1')
      await withRestore(
        shared,
        tools,
        async () => {
          await lab.api(['port-host', vm.portId, 'nlab-cmp2'])
          const analysis = await expectDiagnosis([{code: 'VIF_MISMATCH', host: 'nlab-cmp2', element: vm.portId}])
          // What the agent left on the old host: tag 4095 and a drop flow below the port's resubmit(,25).
          expect((await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim()).toBe('4095')
          const flows = await run(vm.node, [
            'ovs-ofctl',
            '--names',
            'dump-flows',
            'br-int',
            `table=0,in_port=${qvo(vm)}`,
          ])
          expect(flows).toMatch(/priority=2,in_port="?qvo\S+ actions=drop/)
          expect(flows).toMatch(/priority=9,in_port="?qvo\S+ actions=resubmit\(,25\)/)
          await expectCutOff(analysis, vm)
        },
        () => lab.api(['port-host', vm.portId, vm.node]).then(() => undefined),
      )
    }, 360_000)

    it('the segmentation id changed in the database → SEGMENT_MISMATCH on every host; after one agent restart, on the others', async () => {
      const net = await netId('nlab-net2')
      const segFlows = (host: string): Want[] => [
        {
          code: 'SEGMENT_MISMATCH',
          host,
          element: /^br-eth2 table 0: .*in_port="?phy-br-eth2"?,dl_vlan=\d+ actions=mod_vlan_vid:1001,NORMAL$/,
        },
        {
          code: 'SEGMENT_MISMATCH',
          host,
          element: /^br-int table 0: .*in_port="?int-br-eth2"?,dl_vlan=1001 actions=mod_vlan_vid:\d+,resubmit\(,59\)$/,
        },
      ]
      await withRestore(
        shared,
        tools,
        async () => {
          await lab.sql(`UPDATE networksegments SET segmentation_id=1500 WHERE network_id='${net}'`)
          // The API says 1500 at once; every host keeps 1001, so traffic still flows (hosts agree with each other).
          await expectDiagnosis([...segFlows('nlab-ctl'), ...segFlows('nlab-cmp1'), ...segFlows('nlab-cmp2')])
          // The agent on nlab-cmp2 restarts and takes 1500; nlab-ctl and nlab-cmp1 still use 1001: nlab-cmp2's VM is
          // cut off.
          await restartOvsAgent('nlab-cmp2')
          const analysis = await expectDiagnosis([...segFlows('nlab-ctl'), ...segFlows('nlab-cmp1')])
          expect(await run('nlab-cmp2', ['ovs-ofctl', 'dump-flows', 'br-eth2'])).toContain('mod_vlan_vid:1500')
          await expectCutOff(
            analysis,
            vms.find((v) => v.network === 'nlab-net2' && v.node === 'nlab-cmp2')!,
          )
        },
        async () => {
          await lab.sql(`UPDATE networksegments SET segmentation_id=1001 WHERE network_id='${net}'`)
          await restartOvsAgent('nlab-cmp2')
        },
      )
    }, 420_000)

    it('agents restarted with other bridge_mappings → UPLINK_MISSING naming the mapping: physnet renamed; bridge missing, then without NIC', async () => {
      const onCmp = (node: string) =>
        vms.filter((v) => v.node === node && VLAN_NETWORKS.includes(v.network) && v.netns.startsWith('vm-net'))
      await withRestore(
        shared,
        tools,
        async () => {
          // nlab-cmp2: the physnet renamed. The agent logs "Cannot provision … no bridge for physical_network default"
          // and removes its translation flows; the ports keep their tags and Neutron still says ACTIVE.
          setMappings('nlab-cmp2', 'physnet2:br-eth2')
          // nlab-cmp1: mapped to a bridge br-ex that does not exist: the agent exits at start, its old flows stay.
          setMappings('nlab-cmp1', 'default:br-ex')
          await Promise.all([restartOvsAgent('nlab-cmp2'), restartOvsAgent('nlab-cmp1')])
          await until(
            'nlab-cmp2 br-eth2 lost its VLAN translations',
            async () => !(await run('nlab-cmp2', ['ovs-ofctl', 'dump-flows', 'br-eth2'])).includes('mod_vlan_vid'),
          )
          await until('the agent on nlab-cmp1 exited', async () => !ovsAgentRunning('nlab-cmp1'))
          expect(
            readFileSync(join(lab.dir, 'nodes', 'nlab-cmp1', 'root', 'log-neutron', 'openvswitch-agent.log'), 'utf8'),
          ).toMatch(/br-ex.*does not exist/)
          let analysis = await expectDiagnosis([
            {code: 'UPLINK_MISSING', host: 'nlab-cmp2', element: 'bridge_mappings: default'},
            {code: 'UPLINK_MISSING', host: 'nlab-cmp1', element: 'br-ex'},
          ])
          const renamed = diagnose(analysis).find((f) => f.host === 'nlab-cmp2')!
          expect(renamed.actual).toBe('bridge_mappings = physnet2:br-eth2')
          expect(renamed.expected).toContain('default:br-eth2')
          // Each VM's own udhcpc, side by side (each waits out its DISCOVERs alone).
          await Promise.all(onCmp('nlab-cmp2').map((vm) => expectCutOff(analysis, vm)))
          // nlab-cmp1's VMs still get through the old br-eth2 and its flows: the trace says so, and udhcpc agrees.
          for (const vm of onCmp('nlab-cmp1')) {
            const [r] = traceVm(analysis, vm.portId, 'dhcp')
            expect(r!.verdict, `${vm.netns}: ${r!.reason}`).toBe('delivered')
            expect(await lease(vm)).toBe(r!.dhcp?.offers)
          }

          // Then br-ex is made, without a NIC, and the agent starts: it wires br-ex and moves br-int's translations
          // to it.
          await run('nlab-cmp1', [
            'ovs-vsctl',
            '--may-exist',
            'add-br',
            'br-ex',
            '--',
            'set',
            'bridge',
            'br-ex',
            'datapath_type=netdev',
          ])
          await lab.agent('start', 'nlab-cmp1', 'ovs')
          await until('nlab-cmp1 br-int translates from int-br-ex only', async () => {
            const flows = await run('nlab-cmp1', ['ovs-ofctl', '--names', 'dump-flows', 'br-int', 'table=0'])
            return (
              /in_port="?int-br-ex"?,dl_vlan=1000 actions=mod_vlan_vid/.test(flows) &&
              !/in_port="?int-br-eth2"?,dl_vlan/.test(flows)
            )
          })
          analysis = await expectDiagnosis([
            {code: 'UPLINK_MISSING', host: 'nlab-cmp2', element: 'bridge_mappings: default'},
            {code: 'UPLINK_MISSING', host: 'nlab-cmp1', element: 'br-ex'},
          ])
          expect(diagnose(analysis).find((f) => f.host === 'nlab-cmp1')!.message).toContain('has no physical NIC')
          await Promise.all(onCmp('nlab-cmp1').map((vm) => expectCutOff(analysis, vm)))
        },
        // Back to default:br-eth2; br-ex and its patch port go; the restarted agents rewire br-eth2 and drop the flows
        // of their previous cookie.
        async () => {
          setMappings('nlab-cmp2', 'default:br-eth2')
          setMappings('nlab-cmp1', 'default:br-eth2')
          await Promise.all(
            ['nlab-cmp1', 'nlab-cmp2'].map(async (node) => {
              if (ovsAgentRunning(node)) await lab.agent('stop', node, 'ovs')
            }),
          )
          await run('nlab-cmp1', ['ovs-vsctl', '--if-exists', 'del-br', 'br-ex'])
          await run('nlab-cmp1', ['ovs-vsctl', '--if-exists', 'del-port', 'br-int', 'int-br-ex'])
          await Promise.all(['nlab-cmp1', 'nlab-cmp2'].map((node) => lab.agent('start', node, 'ovs')))
        },
      )
    }, 600_000)
  },
)
