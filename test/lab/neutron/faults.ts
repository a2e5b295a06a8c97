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

/** The VXLAN flood flow of `vm`'s network (br-tun table 22, its local VLAN) deleted on its host behind the agent's
 * back: FLOW_MISSING `br-tun table 22: dl_vlan=<local>`. */
export async function deleteFloodFlow(tools: LabTools, vm: NeutronLabVm): Promise<MadeFault & {local: number}> {
  const {run} = tools
  const local = Number((await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim())
  const dumped = await run(vm.node, ['ovs-ofctl', 'dump-flows', 'br-tun', `table=22,dl_vlan=${local}`])
  const m = /cookie=(0x[0-9a-f]+),.*priority=(\d+),dl_vlan=\d+ actions=(\S+)/.exec(dumped)
  if (!m) throw new Error(`${vm.node}: no br-tun table 22 flow for local VLAN ${local}: ${dumped}`)
  await run(vm.node, ['ovs-ofctl', 'del-flows', 'br-tun', `table=22,dl_vlan=${local}`])
  return {
    what: `br-tun table 22: dl_vlan=${local}`,
    local,
    restore: () =>
      run(vm.node, [
        'ovs-ofctl',
        'add-flow',
        'br-tun',
        `cookie=${m[1]},table=22,priority=${m[2]},dl_vlan=${local},actions=${m[3]}`,
      ]).then(() => undefined),
  }
}

/** `vm`'s entry dropped from its network's dnsmasq host file on `node` and dnsmasq told (SIGHUP, as the DHCP agent
 * does): what a DHCP agent that missed the port's notification leaves — DHCP_HOST_MISSING on the host file, with no
 * agent stopped (a starting DHCP agent restarts every dnsmasq: minutes on a busy machine). Restore: the file as it was,
 * and SIGHUP. */
export async function dropDhcpHost(
  tools: LabTools,
  node: string,
  networkId: string,
  vm: NeutronLabVm,
): Promise<MadeFault> {
  const file = `/var/lib/neutron/dhcp/${networkId}/host`
  const before = await tools.run(node, ['cat', file])
  const after = before
    .split('\n')
    .filter((l) => !l.toLowerCase().startsWith(`${vm.mac.toLowerCase()},`))
    .join('\n')
  if (after === before) throw new Error(`${node}: ${vm.mac} not in ${file}:\n${before}`)
  const write = async (text: string): Promise<void> => {
    // Rewritten in place (same inode), as dnsmasq's owner would.
    await tools.run(node, ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', text, file])
    const ps = await tools.run(node, ['ps', '-eo', 'pid=,args='])
    const line = ps.split('\n').find((l) => /\bdnsmasq /.test(l) && l.includes(`/dhcp/${networkId}/`))
    if (!line) throw new Error(`${node}: no dnsmasq for ${networkId}:\n${ps}`)
    await tools.run(node, ['kill', '-HUP', line.trim().split(/\s+/)[0]!])
  }
  await write(after)
  return {what: file, restore: () => write(before)}
}
