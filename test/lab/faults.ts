// Faults injected into a live lab the way they happen in a real deployment: a flow lost or wrong, a port's tag
// wrong, a daemon dead, a file rewritten, a device detached, a command that never answers, a hostile name. Each
// returns what it did and the element a diagnosis should name.

import {existsSync, readFileSync, realpathSync, writeFileSync} from 'node:fs'
import {dhcpDir, dhcpHostLine, egressFlow, flowText, ingressFlow, type AgentFlow, type Ofports} from './render.js'
import type {LabPlan, PlanNetwork, PlanVm} from './topology.js'

export const FAULT_NAMES = [
  'delete-egress-flow',
  'delete-ingress-flow',
  'wrong-port-tag',
  'wrong-segmentation-flow',
  'dead-vlan',
  'dnsmasq-killed',
  'dhcp-host-removed',
  'qvb-detached',
  'qvo-removed',
  'uplink-removed',
  'int-phy-link-down',
  'sshd-stopped',
  'hang',
  'hostile-netns',
] as const

export type FaultName = (typeof FAULT_NAMES)[number]

export const FAULT_ABOUT: Record<FaultName, string> = {
  'delete-egress-flow': 'physical bridge loses the local→segment VLAN flow (priority 4, mod_vlan_vid)',
  'delete-ingress-flow': 'br-int loses the segment→local VLAN flow (priority 3, mod_vlan_vid)',
  'wrong-port-tag': "a VM's br-int port gets another local VLAN tag (e.g. 3→5)",
  'wrong-segmentation-flow': 'the egress flow rewrites to the wrong segmentation id (e.g. 1000→1001)',
  'dead-vlan': "a VM's port is marked dead: tag 4095 and a priority-2 in_port drop flow",
  'dnsmasq-killed': "the network's dnsmasq is killed (pid file stays)",
  'dhcp-host-removed': "a VM's MAC is removed from the dnsmasq host file, dnsmasq gets SIGHUP",
  'qvb-detached': 'qvb is removed from its qbr Linux bridge',
  'qvo-removed': 'qvo (tap with native plug) is removed from br-int',
  'uplink-removed': 'the physical NIC is removed from the physical bridge',
  'int-phy-link-down': 'the int-<bridge> veth end is set down',
  'sshd-stopped': "the node's sshd is stopped",
  hang: 'a command inside one node never answers (a script bind-mounted over it)',
  'hostile-netns': "a namespace named `qdhcp-x;touch $(printf '\\057tmp\\057pwned')` appears in a node",
}

export interface FaultArgs {
  host?: string
  /** VM name, uuid or port id. */
  vm?: string
  network?: string
  /** hang: the command to make hang (default ethtool). */
  command?: string
  /** wrong-port-tag: the tag to set; wrong-segmentation-flow: the VLAN to rewrite to. */
  tag?: number
}

export interface FaultResult {
  fault: FaultName
  host: string
  vm?: string
  network?: string
  /** What was done, one line per action, as run inside the node. */
  did: string[]
  /** The element a diagnosis should name. For flows: the bridge; the flow itself is in `expected`. */
  element: string
  kind: 'flow' | 'port' | 'device' | 'process' | 'file' | 'netns' | 'command'
  /** What the element should be, and what it is now. */
  expected: string
  actual: string
  /** VMs whose DHCP/connectivity the fault breaks (by name). */
  affectedVms: string[]
}

/** What a fault needs from a running lab. */
export interface FaultTarget {
  plan: LabPlan
  dir: string
  /** Run argv in a node; throws on a non-zero exit. */
  runIn(node: string, argv: string[]): Promise<string>
  /** Root-side path of a file inside a node's private directories. */
  nodePath(node: string, pathInNode: string): string
}

/** The hostile name: no `/` (netns names cannot hold one), yet a shell would run `touch /tmp/pwned`. */
export const HOSTILE_NETNS = "qdhcp-x;touch $(printf '\\057tmp\\057pwned')"

export const HANG_SCRIPT_NAME = 'hang.sh'

function findVm(plan: LabPlan, args: FaultArgs): PlanVm {
  if (args.vm !== undefined) {
    const vm = plan.vms.find(
      (v) => v.name === args.vm || v.uuid === args.vm || v.port.id === args.vm || v.instanceName === args.vm,
    )
    if (!vm) throw new Error(`lab fault: no VM ${args.vm} (VMs: ${plan.vms.map((v) => v.name).join(', ') || 'none'})`)
    return vm
  }
  const vm = plan.vms.find(
    (v) =>
      (args.host === undefined || v.host === args.host) && (args.network === undefined || v.network === args.network),
  )
  if (!vm)
    throw new Error(
      `lab fault: no VM${args.host ? ` on ${args.host}` : ''}${args.network ? ` in ${args.network}` : ''}`,
    )
  return vm
}

function findHost(plan: LabPlan, name: string): string {
  if (!plan.nodes.some((n) => n.name === name))
    throw new Error(`lab fault: no host ${name} (hosts: ${plan.nodes.map((n) => n.name).join(', ')})`)
  return name
}

function findNetwork(plan: LabPlan, name: string | undefined, host?: string): PlanNetwork {
  const node = host === undefined ? undefined : plan.nodes.find((n) => n.name === host)
  const onHost = plan.networks.filter((n) => node === undefined || node.localVlans[n.id] !== undefined)
  const net = name === undefined ? onHost[0] : plan.networks.find((n) => n.name === name || n.id === name)
  if (!net) throw new Error(`lab fault: no network ${name ?? ''}${host ? ` on ${host}` : ''}`)
  return net
}

async function ofports(t: FaultTarget, host: string): Promise<Ofports> {
  const get = async (iface: string): Promise<number> =>
    Number((await t.runIn(host, ['ovs-vsctl', 'get', 'Interface', iface, 'ofport'])).trim())
  return {int: await get(t.plan.intPort), phy: await get(t.plan.phyPort)}
}

function localVlan(plan: LabPlan, host: string, net: PlanNetwork): number {
  const lvid = plan.nodes.find((n) => n.name === host)?.localVlans[net.id]
  if (lvid === undefined) throw new Error(`lab fault: network ${net.name} has no local VLAN on ${host}`)
  return lvid
}

/** VMs that lose DHCP when `net` breaks on `host` (the control node serves every VM of the network). */
function affectedBy(plan: LabPlan, host: string, net: PlanNetwork): string[] {
  return plan.vms.filter((v) => v.networkId === net.id && (host === 'control' || v.host === host)).map((v) => v.name)
}

/** The VM's port on br-int: qvo with hybrid plug, the tap itself with native plug. */
function brIntPort(plan: LabPlan, vm: PlanVm): string {
  return plan.options.plug === 'hybrid' ? vm.qvo : vm.tap
}

async function nsPidFromFile(t: FaultTarget, host: string, pathInNode: string): Promise<number> {
  const file = t.nodePath(host, pathInNode)
  const pid = Number(readFileSync(file, 'utf8').trim())
  if (!Number.isInteger(pid) || pid < 2) throw new Error(`lab fault: ${pathInNode} on ${host} holds no PID`)
  return pid
}

type Builder = (t: FaultTarget, a: FaultArgs) => Promise<FaultResult>

async function flowFault(t: FaultTarget, a: FaultArgs, fault: FaultName): Promise<FaultResult> {
  const vm = a.vm !== undefined ? findVm(t.plan, a) : undefined
  const host = findHost(t.plan, a.host ?? vm?.host ?? t.plan.nodes[1]!.name)
  const net = findNetwork(t.plan, a.network ?? vm?.network, host)
  const lvid = localVlan(t.plan, host, net)
  const of = await ofports(t, host)
  const flow: AgentFlow =
    fault === 'delete-ingress-flow' ? ingressFlow(net, lvid, of) : egressFlow(t.plan, net, lvid, of)
  const base = {
    fault,
    host,
    vm: vm?.name,
    network: net.name,
    element: flow.bridge,
    kind: 'flow' as const,
    affectedVms: affectedBy(t.plan, host, net),
  }
  if (fault === 'wrong-segmentation-flow') {
    const used = new Set(t.plan.networks.map((n) => n.segmentationId))
    let wrong = a.tag ?? (net.segmentationId ?? 0) + 1
    while (a.tag === undefined && (used.has(wrong) || wrong < 1)) wrong++
    const bad = egressFlow(t.plan, net, lvid, of, wrong)
    const argv = ['ovs-ofctl', '--strict', 'mod-flows', bad.bridge, `${bad.match},actions=${bad.actions}`]
    await t.runIn(host, argv)
    return {...base, did: [argv.join(' ')], expected: flowText(flow), actual: flowText(bad)}
  }
  const argv = ['ovs-ofctl', '--strict', 'del-flows', flow.bridge, flow.match]
  await t.runIn(host, argv)
  return {...base, did: [argv.join(' ')], expected: flowText(flow), actual: 'missing'}
}

const BUILDERS: Record<FaultName, Builder> = {
  'delete-egress-flow': (t, a) => flowFault(t, a, 'delete-egress-flow'),
  'delete-ingress-flow': (t, a) => flowFault(t, a, 'delete-ingress-flow'),
  'wrong-segmentation-flow': (t, a) => flowFault(t, a, 'wrong-segmentation-flow'),

  async 'wrong-port-tag'(t, a) {
    const vm = findVm(t.plan, a)
    const net = findNetwork(t.plan, vm.network)
    const lvid = localVlan(t.plan, vm.host, net)
    const used = new Set(Object.values(t.plan.nodes.find((n) => n.name === vm.host)!.localVlans))
    let tag = a.tag ?? lvid + 2
    while (a.tag === undefined && used.has(tag)) tag++
    const port = brIntPort(t.plan, vm)
    const argv = ['ovs-vsctl', 'set', 'Port', port, `tag=${tag}`]
    await t.runIn(vm.host, argv)
    return {
      fault: 'wrong-port-tag',
      host: vm.host,
      vm: vm.name,
      network: net.name,
      did: [argv.join(' ')],
      element: port,
      kind: 'port',
      expected: `tag ${lvid}`,
      actual: `tag ${tag}`,
      affectedVms: [vm.name],
    }
  },

  async 'dead-vlan'(t, a) {
    const vm = findVm(t.plan, a)
    const net = findNetwork(t.plan, vm.network)
    const lvid = localVlan(t.plan, vm.host, net)
    const port = brIntPort(t.plan, vm)
    const ofport = (await t.runIn(vm.host, ['ovs-vsctl', 'get', 'Interface', port, 'ofport'])).trim()
    const tag = ['ovs-vsctl', 'set', 'Port', port, 'tag=4095']
    const drop = ['ovs-ofctl', 'add-flow', 'br-int', `priority=2,in_port=${ofport},actions=drop`]
    await t.runIn(vm.host, tag)
    await t.runIn(vm.host, drop)
    return {
      fault: 'dead-vlan',
      host: vm.host,
      vm: vm.name,
      network: net.name,
      did: [tag.join(' '), drop.join(' ')],
      element: port,
      kind: 'port',
      expected: `tag ${lvid}`,
      actual: `tag 4095 (dead VLAN), priority=2,in_port=${ofport} actions=drop`,
      affectedVms: [vm.name],
    }
  },

  async 'dnsmasq-killed'(t, a) {
    const vm = a.vm !== undefined ? findVm(t.plan, a) : undefined
    const net = findNetwork(t.plan, a.network ?? vm?.network)
    const pidFile = `${dhcpDir(net.id)}/pid`
    const pid = await nsPidFromFile(t, 'control', pidFile)
    const argv = ['kill', '-KILL', String(pid)]
    await t.runIn('control', argv)
    return {
      fault: 'dnsmasq-killed',
      host: 'control',
      vm: vm?.name,
      network: net.name,
      did: [argv.join(' ')],
      element: 'dnsmasq',
      kind: 'process',
      expected: `dnsmasq serving ${net.netns} (pid ${pid} in ${pidFile})`,
      actual: 'not running; pid file left behind',
      affectedVms: affectedBy(t.plan, 'control', net),
    }
  },

  async 'dhcp-host-removed'(t, a) {
    const vm = findVm(t.plan, a)
    const net = findNetwork(t.plan, vm.network)
    const hostFile = `${dhcpDir(net.id)}/host`
    const file = t.nodePath('control', hostFile)
    const line = dhcpHostLine(vm.port)
    const kept = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith(`${vm.port.mac},`))
    writeFileSync(file, kept.map((l) => `${l}\n`).join(''))
    const pid = await nsPidFromFile(t, 'control', `${dhcpDir(net.id)}/pid`)
    const hup = ['kill', '-HUP', String(pid)]
    // The agent signals dnsmasq after rewriting the file; if dnsmasq is already dead (another fault), say so.
    const hupped = await t.runIn('control', hup).then(
      () => hup.join(' '),
      () => `${hup.join(' ')} (failed: dnsmasq not running)`,
    )
    return {
      fault: 'dhcp-host-removed',
      host: 'control',
      vm: vm.name,
      network: net.name,
      did: [`removed "${line}" from ${hostFile}`, hupped],
      element: hostFile,
      kind: 'file',
      expected: line,
      actual: 'missing',
      affectedVms: [vm.name],
    }
  },

  async 'qvb-detached'(t, a) {
    if (t.plan.options.plug !== 'hybrid')
      throw new Error('lab fault qvb-detached: the lab uses native plug (no qbr/qvb)')
    const vm = findVm(t.plan, a)
    const argv = ['brctl', 'delif', vm.qbr, vm.qvb]
    await t.runIn(vm.host, argv)
    return {
      fault: 'qvb-detached',
      host: vm.host,
      vm: vm.name,
      network: vm.network,
      did: [argv.join(' ')],
      element: vm.qvb,
      kind: 'device',
      expected: `member of ${vm.qbr}`,
      actual: 'no bridge',
      affectedVms: [vm.name],
    }
  },

  async 'qvo-removed'(t, a) {
    const vm = findVm(t.plan, a)
    const port = brIntPort(t.plan, vm)
    const argv = ['ovs-vsctl', 'del-port', 'br-int', port]
    await t.runIn(vm.host, argv)
    return {
      fault: 'qvo-removed',
      host: vm.host,
      vm: vm.name,
      network: vm.network,
      did: [argv.join(' ')],
      element: port,
      kind: 'port',
      expected: 'port on br-int',
      actual: 'missing from br-int',
      affectedVms: [vm.name],
    }
  },

  async 'uplink-removed'(t, a) {
    const vm = a.vm !== undefined ? findVm(t.plan, a) : undefined
    const host = findHost(t.plan, a.host ?? vm?.host ?? t.plan.nodes[1]!.name)
    const {physicalBridge: br, physicalNic: nic} = t.plan.options
    const argv = ['ovs-vsctl', 'del-port', br, nic]
    await t.runIn(host, argv)
    const affected =
      host === 'control' ? t.plan.vms.map((v) => v.name) : t.plan.vms.filter((v) => v.host === host).map((v) => v.name)
    return {
      fault: 'uplink-removed',
      host,
      vm: vm?.name,
      did: [argv.join(' ')],
      element: nic,
      kind: 'port',
      expected: `port of ${br}`,
      actual: `missing from ${br}`,
      affectedVms: affected,
    }
  },

  async 'int-phy-link-down'(t, a) {
    if (t.plan.options.intPhyLink !== 'veth')
      throw new Error(
        'lab fault int-phy-link-down: the lab links br-int and the physical bridge with patch ports (no Linux device)',
      )
    const vm = a.vm !== undefined ? findVm(t.plan, a) : undefined
    const host = findHost(t.plan, a.host ?? vm?.host ?? t.plan.nodes[1]!.name)
    const argv = ['ip', 'link', 'set', t.plan.intPort, 'down']
    await t.runIn(host, argv)
    const affected =
      host === 'control' ? t.plan.vms.map((v) => v.name) : t.plan.vms.filter((v) => v.host === host).map((v) => v.name)
    return {
      fault: 'int-phy-link-down',
      host,
      vm: vm?.name,
      did: [argv.join(' ')],
      element: t.plan.intPort,
      kind: 'device',
      expected: 'up',
      actual: 'down',
      affectedVms: affected,
    }
  },

  async 'sshd-stopped'(t, a) {
    const host = findHost(t.plan, a.host ?? t.plan.nodes[1]!.name)
    const pid = await nsPidFromFile(t, host, '/run/sshd/sshd.pid')
    const argv = ['kill', '-TERM', String(pid)]
    await t.runIn(host, argv)
    const address = t.plan.nodes.find((n) => n.name === host)!.address
    return {
      fault: 'sshd-stopped',
      host,
      did: [argv.join(' ')],
      element: 'sshd',
      kind: 'process',
      expected: `sshd listening on ${address}:22`,
      actual: 'not running',
      affectedVms: [],
    }
  },

  async hang(t, a) {
    const host = findHost(t.plan, a.host ?? t.plan.nodes[1]!.name)
    const command = a.command ?? 'ethtool'
    if (
      !/^[A-Za-z0-9._+-]+$/.test(command) ||
      ['sleep', 'busybox', 'sh', 'dash', 'bash', 'mount', 'nsenter'].includes(command)
    ) {
      throw new Error(`lab fault hang: cannot hang ${JSON.stringify(command)}`)
    }
    const dirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
    const found = dirs.map((d) => `${d}/${command}`).find((p) => existsSync(p))
    if (!found) throw new Error(`lab fault hang: no command ${command} on this machine`)
    const target = realpathSync(found)
    const argv = ['mount', '--bind', `${t.dir}/${HANG_SCRIPT_NAME}`, target]
    await t.runIn(host, argv)
    return {
      fault: 'hang',
      host,
      did: [argv.join(' ')],
      element: command,
      kind: 'command',
      expected: `${command} answers`,
      actual: 'never returns',
      affectedVms: [],
    }
  },

  async 'hostile-netns'(t, a) {
    const host = findHost(t.plan, a.host ?? 'control')
    const argv = ['ip', 'netns', 'add', HOSTILE_NETNS]
    await t.runIn(host, argv)
    return {
      fault: 'hostile-netns',
      host,
      did: [argv.join(' ')],
      element: HOSTILE_NETNS,
      kind: 'netns',
      expected: 'namespace names are data, never shell text',
      actual: 'present',
      affectedVms: [],
    }
  },
}

export function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name)
}

export async function injectFault(t: FaultTarget, name: string, args: FaultArgs = {}): Promise<FaultResult> {
  if (!isFaultName(name))
    throw new Error(`lab: unknown fault ${JSON.stringify(name)}; known: ${FAULT_NAMES.join(', ')}`)
  return BUILDERS[name](t, args)
}
