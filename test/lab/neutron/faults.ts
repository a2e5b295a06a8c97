// Fault makers and the small helpers the fault tests of the shared Neutron lab share (neutron-faults.test.ts,
// sos.test.ts): each fault made the way it happens in real life, with what undoes it.

import type {NeutronLab, NeutronLabVm} from './control.js'
import {daemonRunning, type LabTools} from './suite.js'

/** The OVS end of a VM's hybrid plug: `qvo` + the port id's first 11 characters. */
export const qvo = (vm: NeutronLabVm): string => `qvo${vm.portId.slice(0, 11)}`
/** The Linux-bridge end of the same veth pair. */
export const qvb = (vm: NeutronLabVm): string => `qvb${vm.portId.slice(0, 11)}`

/** The lab's VM whose namespace is `netns` (vm-net1-1 …). */
export function vmOf(vms: readonly NeutronLabVm[], netns: string): NeutronLabVm {
  const vm = vms.find((v) => v.netns === netns)
  if (!vm) throw new Error(`no VM ${netns}`)
  return vm
}

/** A name for a VM a test adds, unique per process (a kept lab, NEUTRACE_NLAB_KEEP=1, keeps earlier ones). */
export const newVmName = (what: string): string => `vm-${what}${process.pid % 100000}`

/** Start the OVS or DHCP agent of `node` unless it runs. */
export async function ensureAgent(lab: NeutronLab, node: string, kind: 'ovs' | 'dhcp'): Promise<void> {
  if (!daemonRunning(lab, node, kind === 'ovs' ? 'neutron-openvswitch-agent' : 'neutron-dhcp-agent'))
    await lab.agent('start', node, kind)
}

/** The networks a dnsmasq of node serves (from its --dhcp-hostsfile=/var/lib/neutron/dhcp/<net>/host argument). */
async function dnsmasqNetworks(lab: NeutronLab, node: string): Promise<Set<string>> {
  const r = await lab.exec(node, ['/usr/bin/pgrep', '-a', 'dnsmasq'])
  return new Set(
    [...r.stdout.matchAll(/--dhcp-hostsfile=\/var\/lib\/neutron\/dhcp\/([0-9a-f-]+)\/host/g)].map((m) => m[1]!),
  )
}

/** Every network node's DHCP agent serves (a /var/lib/neutron/dhcp/<net>/host file) has its dnsmasq running. */
async function allDnsmasqUp(lab: NeutronLab, node: string): Promise<boolean> {
  const find = ['/usr/bin/find', '/var/lib/neutron/dhcp', '-mindepth', '2', '-maxdepth', '2', '-name', 'host']
  const served = (await lab.exec(node, find)).stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.split('/')[5]!)
  const running = await dnsmasqNetworks(lab, node)
  return served.every((n) => running.has(n))
}

/**
 * Stop node's DHCP agent while it is idle. An agent that starts (or resyncs after an RPC error on a busy machine)
 * restarts every dnsmasq it serves, one after the other; stopped in the middle, it leaves a network without its
 * dnsmasq — a real second fault the test did not mean to make. So: wait until every network the agent serves has its
 * dnsmasq, stop, and if one went missing meanwhile start the agent again and retry.
 */
export async function stopDhcpAgentIdle(lab: NeutronLab, tools: LabTools, node = 'nlab-ctl'): Promise<void> {
  const allUp = (): Promise<boolean> => allDnsmasqUp(lab, node)
  for (let attempt = 1; ; attempt++) {
    await tools.until(`every dnsmasq of ${node} running`, allUp, 120_000)
    await lab.agent('stop', node, 'dhcp')
    if (await allUp()) return
    if (attempt >= 3) throw new Error(`the DHCP agent of ${node} kept stopping in the middle of a dnsmasq restart`)
    await lab.agent('start', node, 'dhcp')
  }
}

/** A Neutron network's id, by name. */
export async function netId(lab: NeutronLab, name: string): Promise<string> {
  return lab.api(['net-id', name])
}

export interface MadeFault {
  /** What the fault touched, for the test's expectations. */
  what: string
  /** Undo it exactly (the same flow, the same tag …). */
  restore(): Promise<void>
}

/** The egress VLAN translation of `vm`'s network deleted from br-eth2 on its host behind the agent's back (the agent
 * does not put it back): FLOW_MISSING `br-eth2 table 0: in_port=phy-br-eth2,dl_vlan=<local>`. */
export async function deleteTranslationFlow(
  tools: LabTools,
  vm: NeutronLabVm,
): Promise<MadeFault & {local: number; match: string}> {
  const {run} = tools
  const local = Number((await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim())
  const match = `in_port=phy-br-eth2,dl_vlan=${local}`
  const dumped = await run(vm.node, ['ovs-ofctl', '--names', 'dump-flows', 'br-eth2', `table=0,${match}`])
  const m = /cookie=(0x[0-9a-f]+),.*priority=(\d+),in_port="?phy-br-eth2"?,dl_vlan=\d+ actions=(\S+)/.exec(dumped)
  if (!m) throw new Error(`${vm.node}: no br-eth2 flow ${match}: ${dumped}`)
  await run(vm.node, ['ovs-ofctl', '--names', 'del-flows', 'br-eth2', match])
  return {
    what: `br-eth2 table 0: ${match}`,
    local,
    match,
    // The same flow, same cookie.
    restore: () =>
      run(vm.node, [
        'ovs-ofctl',
        '--names',
        'add-flow',
        'br-eth2',
        `cookie=${m[1]},table=0,priority=${m[2]},${match},actions=${m[3]}`,
      ]).then(() => undefined),
  }
}

/** `vm`'s qvo retagged behind the agent (which does not notice): VLAN_TAG_MISMATCH on the qvo. */
export async function retagQvo(tools: LabTools, vm: NeutronLabVm, tag: number): Promise<MadeFault & {tag: number}> {
  const before = (await tools.run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim()
  await tools.run(vm.node, ['ovs-vsctl', 'set', 'Port', qvo(vm), `tag=${tag}`])
  return {
    what: qvo(vm),
    tag: Number(before),
    restore: () => tools.run(vm.node, ['ovs-vsctl', 'set', 'Port', qvo(vm), `tag=${before}`]).then(() => undefined),
  }
}

/** `vm`'s qvb set administratively down: LINK_BROKEN on the qvb. */
export async function linkDown(tools: LabTools, vm: NeutronLabVm): Promise<MadeFault> {
  await tools.run(vm.node, ['ip', 'link', 'set', qvb(vm), 'down'])
  return {
    what: qvb(vm),
    restore: () => tools.run(vm.node, ['ip', 'link', 'set', qvb(vm), 'up']).then(() => undefined),
  }
}

/** The dnsmasq of network `networkId` on `node` killed (SIGTERM, by its PID from ps): DHCP_SERVER_DOWN. The DHCP agent
 * respawns it when it resyncs; restarting the agent does it at once (restore). */
export async function killDnsmasq(
  lab: NeutronLab,
  tools: LabTools,
  node: string,
  networkId: string,
): Promise<MadeFault> {
  const ps = await tools.run(node, ['ps', '-eo', 'pid=,args='])
  const line = ps.split('\n').find((l) => /\bdnsmasq /.test(l) && l.includes(`/dhcp/${networkId}/`))
  if (!line) throw new Error(`${node}: no dnsmasq for ${networkId}:\n${ps}`)
  await tools.run(node, ['kill', line.trim().split(/\s+/)[0]!])
  return {
    what: `dnsmasq qdhcp-${networkId}`,
    restore: async () => {
      if (daemonRunning(lab, node, 'neutron-dhcp-agent')) await lab.agent('stop', node, 'dhcp')
      await lab.agent('start', node, 'dhcp')
      // The starting agent restarts every dnsmasq in turn, slowly on a busy machine: wait for all of them.
      await tools.until(`every dnsmasq of ${node} running again`, () => allDnsmasqUp(lab, node), 300_000)
    },
  }
}
