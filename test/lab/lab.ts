// The neutrace test lab: a real replica of the seed's OpenStack deployment (control/network node + compute nodes,
// ML2/OVS with VLANs, hybrid plug, DHCP in a qdhcp namespace) built from real Open vSwitch (userspace datapath),
// Linux bridges, veth pairs, network namespaces, dnsmasq and sshd. See README.md.

import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Role} from '../../src/specs.js'
import {injectFault, HANG_SCRIPT_NAME, type FaultArgs, type FaultResult} from './faults.js'
import {
  isAlive,
  nsenterArgv,
  processesInPidNs,
  procRef,
  run,
  runOk,
  startNode,
  type ExecOptions,
  type ExecResult,
} from './node.js'
import {
  AGENT_INI,
  DHCP_AGENT_INI,
  HANG_SCRIPT,
  ML2_INI,
  NODE_PATHS,
  UDHCPC_APPLY_SCRIPT,
  UDHCPC_PRINT_SCRIPT,
  agentIni,
  baseFlows,
  dhcpAddnHosts,
  dhcpAgentIni,
  dhcpDir,
  dhcpHostFile,
  dhcpOpts,
  dnsmasqCommand,
  egressFlow,
  ingressFlow,
  inventoryYaml,
  knownHostsLine,
  libvirtXml,
  libvirtXmlPath,
  ml2Ini,
  networkPorts,
  networksBody,
  nodeInitScript,
  portsBody,
  serversBody,
  sshdConfig,
  subnetsBody,
  type AgentFlow,
  type NodeDirKey,
  type Ofports,
} from './render.js'
import {
  claimSlot,
  defaultRootDir,
  ensureMountpoints,
  labDirFor,
  linkExists,
  listLabs,
  readState,
  teardown,
  writeState,
  type LabState,
  type NodeState,
} from './state.js'
import {
  buildPlan,
  mergeOptions,
  mgmtVethName,
  type LabOptions,
  type LabPlan,
  type PlanNode,
  type PlanVm,
} from './topology.js'

export type {LabOptions, NetworkOptions} from './topology.js'
export type {FaultArgs, FaultName, FaultResult} from './faults.js'
export {FAULT_NAMES, FAULT_ABOUT, HOSTILE_NETNS} from './faults.js'
export type {ExecResult, ExecOptions} from './node.js'

export interface LabNode {
  name: string
  /** PID 1 of the node, as a root-namespace PID (`nsenter -t PID -m -n -u -p`). */
  pid: number
  address: string
  roles: Role[]
}

export interface LabVm {
  uuid: string
  name: string
  instanceName: string
  host: string
  portId: string
  mac: string
  ip: string
  network: string
  networkId: string
  /** The namespace standing in for the guest, inside its compute node. */
  netns: string
  tap: string
  /** The guest's NIC inside netns. */
  guestDev: string
}

export interface Lab {
  slot: number
  dir: string
  statePath: string
  inventoryPath: string
  keyPath: string
  knownHostsPath: string
  intentDir: string
  /** udhcpc script that prints `lease ip=… mask=…` on a lease (for `busybox udhcpc -s`). */
  udhcpcPrintScript: string
  plan: LabPlan
  nodes: LabNode[]
  vms: LabVm[]
  exec(node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult>
  execInVm(vm: string, argv: string[], opts?: ExecOptions): Promise<ExecResult>
  /** Root-side path of a file inside a node's private directories (e.g. /var/lib/neutron/dhcp/<net>/host). */
  nodePath(node: string, pathInNode: string): string
  /** argv for the real ssh client to a node, with the lab's key and known_hosts (strict host key checking). */
  sshArgv(node: string, remoteArgv: string[]): string[]
  fault(name: string, args?: FaultArgs): Promise<FaultResult>
  stop(): Promise<void>
}

const SWITCH_NODE = 'physnet'
const SWITCH_BRIDGE = 'switch0'

function nodeDir(dir: string, node: string): string {
  return join(dir, 'nodes', node)
}

/** The node-private directory bind-mounted over NODE_PATHS[key]: nodes/<node>/fs/<same path>, easy to browse. */
function hostDir(dir: string, node: string, key: NodeDirKey): string {
  return join(nodeDir(dir, node), 'fs', NODE_PATHS[key])
}

/** Root-side path of a path inside a node, through the bind mount that covers it. */
function nodePathOf(dir: string, node: string, pathInNode: string): string {
  const keys = (Object.keys(NODE_PATHS) as NodeDirKey[]).sort((a, b) => NODE_PATHS[b].length - NODE_PATHS[a].length)
  for (const key of keys) {
    const base = NODE_PATHS[key]
    if (pathInNode === base || pathInNode.startsWith(`${base}/`))
      return join(hostDir(dir, node, key), pathInNode.slice(base.length))
  }
  throw new Error(`lab: ${pathInNode} is not in a node-private directory (${Object.values(NODE_PATHS).join(', ')})`)
}

function writeNodeFile(dir: string, node: string, pathInNode: string, text: string, mode?: number): void {
  const file = nodePathOf(dir, node, pathInNode)
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, text, mode === undefined ? undefined : {mode})
}

class LabHandle implements Lab {
  readonly slot: number
  readonly dir: string
  readonly statePath: string
  readonly inventoryPath: string
  readonly keyPath: string
  readonly knownHostsPath: string
  readonly intentDir: string
  readonly udhcpcPrintScript: string
  readonly plan: LabPlan
  private stopped = false

  constructor(
    private readonly state: LabState,
    private readonly log: (m: string) => void,
  ) {
    if (!state.plan) throw new Error(`lab: state ${state.dir} has no plan`)
    this.plan = state.plan
    this.slot = state.slot
    this.dir = state.dir
    this.statePath = join(state.dir, 'state.json')
    this.inventoryPath = join(state.dir, 'inventory.yaml')
    this.keyPath = join(state.dir, 'id_ed25519')
    this.knownHostsPath = join(state.dir, 'known_hosts')
    this.intentDir = join(state.dir, 'intent')
    this.udhcpcPrintScript = join(state.dir, 'udhcpc-print.sh')
  }

  get nodes(): LabNode[] {
    return this.plan.nodes.map((n) => ({
      name: n.name,
      pid: this.nodeState(n.name).init.pid,
      address: n.address,
      roles: n.roles,
    }))
  }

  get vms(): LabVm[] {
    return this.plan.vms.map((v) => ({
      uuid: v.uuid,
      name: v.name,
      instanceName: v.instanceName,
      host: v.host,
      portId: v.port.id,
      mac: v.port.mac,
      ip: v.port.ip,
      network: v.network,
      networkId: v.networkId,
      netns: v.netns,
      tap: v.tap,
      guestDev: v.guestDev,
    }))
  }

  nodeState(name: string): NodeState {
    const n = this.state.nodes.find((x) => x.name === name)
    if (!n) throw new Error(`lab: no node ${name} (nodes: ${this.state.nodes.map((x) => x.name).join(', ')})`)
    return n
  }

  exec(node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    if (this.stopped) return Promise.reject(new Error('lab: stopped'))
    if (argv.length === 0) return Promise.reject(new Error('lab: exec needs a command'))
    return run(nsenterArgv(this.nodeState(node).init.pid, argv), opts)
  }

  async runIn(node: string, argv: string[], opts?: ExecOptions): Promise<string> {
    return runOk(nsenterArgv(this.nodeState(node).init.pid, argv), node, opts)
  }

  private findVm(key: string): PlanVm {
    const vm = this.plan.vms.find(
      (v) => v.name === key || v.uuid === key || v.instanceName === key || v.port.id === key,
    )
    if (!vm) throw new Error(`lab: no VM ${key} (VMs: ${this.plan.vms.map((v) => v.name).join(', ')})`)
    return vm
  }

  execInVm(vm: string, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    try {
      const v = this.findVm(vm)
      return this.exec(v.host, ['ip', 'netns', 'exec', v.netns, ...argv], opts)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  nodePath(node: string, pathInNode: string): string {
    this.nodeState(node)
    return nodePathOf(this.dir, node, pathInNode)
  }

  sshArgv(node: string, remoteArgv: string[]): string[] {
    const n = this.plan.nodes.find((x) => x.name === node)
    if (!n) throw new Error(`lab: no node ${node}`)
    return [
      'ssh',
      '-F',
      '/dev/null',
      '-i',
      this.keyPath,
      '-o',
      `UserKnownHostsFile=${this.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=5',
      '-o',
      'IdentitiesOnly=yes',
      '-p',
      '22',
      `root@${n.address}`,
      ...remoteArgv,
    ]
  }

  async fault(name: string, args: FaultArgs = {}): Promise<FaultResult> {
    if (this.stopped) throw new Error('lab: stopped')
    const result = await injectFault(
      {
        plan: this.plan,
        dir: this.dir,
        runIn: (node, argv) => this.runIn(node, argv),
        nodePath: (node, p) => this.nodePath(node, p),
      },
      name,
      args,
    )
    this.state.faults.push({
      fault: result.fault,
      host: result.host,
      element: result.element,
      at: new Date().toISOString(),
    })
    writeState(this.state)
    return result
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    const problems = await teardown(this.state, this.log)
    if (problems.length > 0) throw new Error(`lab: teardown left: ${problems.join('; ')}`)
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Building the lab

function mountpoints(): string[] {
  return ['/run/netns', ...Object.values(NODE_PATHS)]
}

function binds(dir: string, node: string): string[] {
  return (Object.keys(NODE_PATHS) as NodeDirKey[]).map((k) => `${hostDir(dir, node, k)}=${NODE_PATHS[k]}`)
}

async function sh(argv: string[], where = 'root namespace'): Promise<string> {
  return runOk(argv, where)
}

async function writeSharedFiles(state: LabState): Promise<void> {
  const dir = state.dir
  writeFileSync(join(dir, 'ntlab-init'), nodeInitScript(), {mode: 0o755})
  writeFileSync(join(dir, 'udhcpc-print.sh'), UDHCPC_PRINT_SCRIPT, {mode: 0o755})
  writeFileSync(join(dir, 'udhcpc-apply.sh'), UDHCPC_APPLY_SCRIPT, {mode: 0o755})
  writeFileSync(join(dir, HANG_SCRIPT_NAME), HANG_SCRIPT, {mode: 0o755})
  await sh([
    'ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `neutrace-lab${state.slot}`,
    '-f',
    join(dir, 'id_ed25519'),
  ])
}

async function writeNodeFiles(plan: LabPlan, dir: string, node: PlanNode): Promise<void> {
  for (const key of Object.keys(NODE_PATHS) as NodeDirKey[]) mkdirSync(hostDir(dir, node.name, key), {recursive: true})
  const sshEtc = hostDir(dir, node.name, 'sshEtc')
  await sh([
    'ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `root@${node.name}`,
    '-f',
    join(sshEtc, 'ssh_host_ed25519_key'),
  ])
  writeFileSync(join(sshEtc, 'sshd_config'), sshdConfig(node.address))
  writeFileSync(join(sshEtc, 'authorized_keys'), readFileSync(join(dir, 'id_ed25519.pub')), {mode: 0o600})
  chmodSync(hostDir(dir, node.name, 'sshRun'), 0o755)
  writeNodeFile(dir, node.name, AGENT_INI, agentIni(plan))
  if (node.roles.includes('control')) {
    writeNodeFile(dir, node.name, ML2_INI, ml2Ini(plan))
    writeNodeFile(dir, node.name, DHCP_AGENT_INI, dhcpAgentIni())
  }
}

async function startAllNodes(state: LabState, plan: LabPlan): Promise<void> {
  const init = join(state.dir, 'ntlab-init')
  const specs = [
    {name: SWITCH_NODE, kind: 'switch' as const, withOvs: false, binds: [] as string[]},
    ...plan.nodes.map((n) => ({name: n.name, kind: 'node' as const, withOvs: true, binds: binds(state.dir, n.name)})),
  ]
  const results = await Promise.allSettled(
    specs.map(async (s) => {
      const dir = nodeDir(state.dir, s.name)
      mkdirSync(dir, {recursive: true})
      const started = await startNode({
        initScript: init,
        nodeDir: dir,
        hostname: s.name,
        withOvs: s.withOvs,
        binds: s.binds,
        logFile: join(dir, 'init.log'),
        dieWithParent: !state.persistent,
      })
      state.nodes.push({name: s.name, kind: s.kind, dir, ...started, daemons: [], netns: []})
      writeState(state)
    }),
  )
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

async function buildManagement(state: LabState, plan: LabPlan): Promise<void> {
  const br = plan.mgmt.bridge
  if (await linkExists(br)) await sh(['ip', 'link', 'del', 'dev', br])
  state.rootLinks.push({name: br, kind: 'bridge'})
  writeState(state)
  await sh(['ip', 'link', 'add', br, 'type', 'bridge'])
  await sh(['ip', 'addr', 'add', `${plan.mgmt.rootAddress}/${plan.mgmt.prefixLen}`, 'dev', br])
  await sh(['ip', 'link', 'set', br, 'up'])
  for (const node of plan.nodes) {
    const veth = mgmtVethName(plan.slot, node.index)
    const pid = state.nodes.find((n) => n.name === node.name)!.init.pid
    if (await linkExists(veth)) await sh(['ip', 'link', 'del', 'dev', veth])
    state.rootLinks.unshift({name: veth, kind: 'veth'})
    writeState(state)
    await sh(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid)])
    await sh(['ip', 'link', 'set', veth, 'master', br, 'up'])
    const inNode = (argv: string[]): Promise<string> => runOk(nsenterArgv(pid, argv), node.name)
    await inNode(['ip', 'addr', 'add', `${node.address}/${plan.mgmt.prefixLen}`, 'dev', 'eth0'])
    await inNode(['ip', 'link', 'set', 'eth0', 'up'])
  }
}

async function buildPhysicalNetwork(state: LabState, plan: LabPlan): Promise<void> {
  const sw = state.nodes.find((n) => n.name === SWITCH_NODE)!.init.pid
  const inSwitch = (argv: string[]): Promise<string> => runOk(nsenterArgv(sw, argv), SWITCH_NODE)
  await inSwitch(['ip', 'link', 'add', SWITCH_BRIDGE, 'type', 'bridge'])
  await inSwitch(['ip', 'link', 'set', SWITCH_BRIDGE, 'up'])
  for (const node of plan.nodes) {
    const pid = state.nodes.find((n) => n.name === node.name)!.init.pid
    // Created straight into both namespaces: no name ever appears in the root namespace.
    await sh([
      'ip',
      'link',
      'add',
      plan.options.physicalNic,
      'netns',
      String(pid),
      'type',
      'veth',
      'peer',
      'name',
      node.name,
      'netns',
      String(sw),
    ])
    await inSwitch(['ip', 'link', 'set', node.name, 'master', SWITCH_BRIDGE, 'up'])
    await runOk(nsenterArgv(pid, ['ip', 'link', 'set', plan.options.physicalNic, 'up']), node.name)
  }
}

/** What the admin, the OVS agent (Havana/Icehouse) and Nova do on one node, in their order. */
class NodeBuilder {
  constructor(
    private readonly plan: LabPlan,
    private readonly node: PlanNode,
    private readonly pid: number,
  ) {}

  private run(argv: string[]): Promise<string> {
    return runOk(nsenterArgv(this.pid, argv), this.node.name)
  }

  private addFlow(f: AgentFlow): Promise<string> {
    return this.run(['ovs-ofctl', 'add-flow', f.bridge, `${f.match},actions=${f.actions}`])
  }

  private async ofport(iface: string): Promise<number> {
    const n = Number((await this.run(['ovs-vsctl', 'get', 'Interface', iface, 'ofport'])).trim())
    if (!Number.isInteger(n) || n < 1) throw new Error(`lab: ${this.node.name}: ${iface} has no OpenFlow port (${n})`)
    return n
  }

  async bridges(): Promise<Ofports> {
    const {physicalBridge: phys, physicalNic: nic, intPhyLink} = this.plan.options
    const {intPort, phyPort} = this.plan
    // The admin's part: bridges (userspace datapath) and the uplink.
    await this.run([
      'ovs-vsctl',
      'add-br',
      phys,
      '--',
      'set',
      'Bridge',
      phys,
      'datapath_type=netdev',
      '--',
      'add-port',
      phys,
      nic,
    ])
    await this.run(['ovs-vsctl', 'add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev'])
    if (this.node.roles.includes('network')) {
      await this.run(['ovs-vsctl', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev'])
    }
    // The agent's start: setup_integration_br, then setup_physical_bridges.
    await this.run(['ovs-ofctl', 'del-flows', 'br-int'])
    await this.run(['ovs-ofctl', 'del-flows', phys])
    if (intPhyLink === 'veth') {
      await this.run(['ip', 'link', 'add', intPort, 'type', 'veth', 'peer', 'name', phyPort])
      await this.run(['ovs-vsctl', 'add-port', 'br-int', intPort])
      await this.run(['ovs-vsctl', 'add-port', phys, phyPort])
      await this.run(['ip', 'link', 'set', intPort, 'up'])
      await this.run(['ip', 'link', 'set', phyPort, 'up'])
    } else {
      await this.run([
        'ovs-vsctl',
        'add-port',
        'br-int',
        intPort,
        '--',
        'set',
        'Interface',
        intPort,
        'type=patch',
        `options:peer=${phyPort}`,
        '--',
        'add-port',
        phys,
        phyPort,
        '--',
        'set',
        'Interface',
        phyPort,
        'type=patch',
        `options:peer=${intPort}`,
      ])
    }
    const of = {int: await this.ofport(intPort), phy: await this.ofport(phyPort)}
    for (const f of baseFlows(this.plan, of)) await this.addFlow(f)
    return of
  }

  /** provision_local_vlan for each network with a port on this host. */
  async provision(of: Ofports): Promise<void> {
    for (const net of this.plan.networks) {
      const lvid = this.node.localVlans[net.id]
      if (lvid === undefined) continue
      await this.addFlow(egressFlow(this.plan, net, lvid, of))
      await this.addFlow(ingressFlow(net, lvid, of))
    }
  }

  /** The DHCP agent: OVS internal port in br-int moved into qdhcp-<net>, files, then dnsmasq. */
  async dhcp(dir: string): Promise<void> {
    for (const net of this.plan.networks) {
      const p = net.dhcpPort
      const lvid = this.node.localVlans[net.id]!
      await this.run([
        'ovs-vsctl',
        '--',
        '--if-exists',
        'del-port',
        p.tap,
        '--',
        'add-port',
        'br-int',
        p.tap,
        '--',
        'set',
        'Interface',
        p.tap,
        'type=internal',
        `external-ids:iface-id=${p.id}`,
        'external-ids:iface-status=active',
        `external-ids:attached-mac="${p.mac}"`,
      ])
      await this.run(['ip', 'netns', 'add', net.netns])
      await this.run(['ip', 'link', 'set', p.tap, 'address', p.mac])
      await this.run(['ip', 'link', 'set', p.tap, 'netns', net.netns])
      await this.run(['ip', 'netns', 'exec', net.netns, 'ip', 'link', 'set', 'lo', 'up'])
      await this.run(['ip', 'netns', 'exec', net.netns, 'ip', 'link', 'set', p.tap, 'address', p.mac])
      await this.run(['ip', 'netns', 'exec', net.netns, 'ip', 'link', 'set', p.tap, 'up'])
      await this.run([
        'ip',
        'netns',
        'exec',
        net.netns,
        'ip',
        'addr',
        'add',
        `${p.ip}/${net.prefixLen}`,
        'brd',
        net.broadcast,
        'dev',
        p.tap,
      ])
      await this.run(['ovs-vsctl', 'set', 'Port', p.tap, `tag=${lvid}`])

      const ports = networkPorts(this.plan, net)
      const d = dhcpDir(net.id)
      writeNodeFile(dir, this.node.name, `${d}/host`, dhcpHostFile(ports))
      writeNodeFile(dir, this.node.name, `${d}/addn_hosts`, dhcpAddnHosts(ports))
      writeNodeFile(dir, this.node.name, `${d}/opts`, dhcpOpts(net))
      writeNodeFile(dir, this.node.name, `${d}/leases`, '')
      writeNodeFile(dir, this.node.name, `${d}/interface`, p.tap)
      await this.run(dnsmasqCommand(net))
    }
  }

  /** Nova (libvirt driver, Havana) plugging each VM of this host, then the agent tagging its port. */
  async vms(dir: string): Promise<void> {
    for (const vm of this.plan.vms.filter((v) => v.host === this.node.name)) {
      const lvid = this.node.localVlans[vm.networkId]!
      writeNodeFile(dir, this.node.name, libvirtXmlPath(vm), libvirtXml(this.plan, vm))
      writeNodeFile(dir, this.node.name, `/var/lib/nova/instances/${vm.uuid}/console.log`, '')
      // The guest: a namespace whose eth0 is the far end of the tap (a veth here, qemu's tap in real life).
      await this.run(['ip', 'netns', 'add', vm.netns])
      await this.run(['ip', 'link', 'add', vm.tap, 'type', 'veth', 'peer', 'name', vm.guestDev, 'netns', vm.netns])
      await this.run(['ip', 'netns', 'exec', vm.netns, 'ip', 'link', 'set', vm.guestDev, 'address', vm.port.mac])
      await this.run(['ip', 'netns', 'exec', vm.netns, 'ip', 'link', 'set', 'lo', 'up'])
      await this.run(['ip', 'netns', 'exec', vm.netns, 'ip', 'link', 'set', vm.guestDev, 'up'])
      await this.run(['ip', 'link', 'set', vm.tap, 'address', vm.tapMac])
      let brPort: string
      if (this.plan.options.plug === 'hybrid') {
        await this.run(['brctl', 'addbr', vm.qbr])
        await this.run(['brctl', 'setfd', vm.qbr, '0'])
        await this.run(['brctl', 'stp', vm.qbr, 'off'])
        await this.run(['ip', 'link', 'set', vm.qbr, 'up'])
        await this.run(['ip', 'link', 'add', vm.qvb, 'type', 'veth', 'peer', 'name', vm.qvo])
        for (const dev of [vm.qvb, vm.qvo]) {
          await this.run(['ip', 'link', 'set', dev, 'up'])
          await this.run(['ip', 'link', 'set', dev, 'promisc', 'on'])
        }
        await this.run(['brctl', 'addif', vm.qbr, vm.qvb])
        await this.run([
          'ovs-vsctl',
          '--',
          '--if-exists',
          'del-port',
          vm.qvo,
          '--',
          'add-port',
          'br-int',
          vm.qvo,
          '--',
          'set',
          'Interface',
          vm.qvo,
          `external-ids:iface-id=${vm.port.id}`,
          'external-ids:iface-status=active',
          `external-ids:attached-mac="${vm.port.mac}"`,
          `external-ids:vm-uuid=${vm.uuid}`,
        ])
        // libvirt: the tap joins the qbr named in the domain XML.
        await this.run(['brctl', 'addif', vm.qbr, vm.tap])
        brPort = vm.qvo
      } else {
        // libvirt's <virtualport type="openvswitch">: the tap goes straight into br-int.
        await this.run([
          'ovs-vsctl',
          '--timeout=120',
          '--',
          '--if-exists',
          'del-port',
          vm.tap,
          '--',
          'add-port',
          'br-int',
          vm.tap,
          '--',
          'set',
          'Interface',
          vm.tap,
          `external-ids:attached-mac="${vm.port.mac}"`,
          `external-ids:iface-id=${vm.port.id}`,
          `external-ids:vm-id=${vm.uuid}`,
          'external-ids:iface-status=active',
        ])
        brPort = vm.tap
      }
      await this.run(['ip', 'link', 'set', vm.tap, 'up'])
      await this.run(['ovs-vsctl', 'set', 'Port', brPort, `tag=${lvid}`])
    }
  }

  async sshd(address: string): Promise<void> {
    await this.run(['/usr/sbin/sshd', '-t'])
    await this.run(['/usr/sbin/sshd'])
    await waitTcp(address, 22, 10_000, this.node.name)
  }
}

function waitTcp(host: string, port: number, timeoutMs: number, node: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const attempt = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = connect({host, port, timeout: 1000})
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
      s.once('timeout', () => {
        s.destroy()
        resolve(false)
      })
    })
  return (async () => {
    while (Date.now() < deadline) {
      if (await attempt()) return
      await sleep(100)
    }
    throw new Error(`lab: sshd on ${node} (${host}:${port}) does not answer`)
  })()
}

function writeIntent(dir: string, plan: LabPlan): void {
  const intent = join(dir, 'intent')
  mkdirSync(intent, {recursive: true})
  const files: [string, unknown][] = [
    ['networks.json', networksBody(plan)],
    ['subnets.json', subnetsBody(plan)],
    ['ports.json', portsBody(plan)],
    ['servers.json', serversBody(plan)],
  ]
  for (const [name, body] of files) writeFileSync(join(intent, name), `${JSON.stringify(body, null, 2)}\n`)
}

function writeAccess(dir: string, plan: LabPlan): void {
  const known = plan.nodes
    .map((n) =>
      knownHostsLine(n.address, readFileSync(join(hostDir(dir, n.name, 'sshEtc'), 'ssh_host_ed25519_key.pub'), 'utf8')),
    )
    .join('')
  writeFileSync(join(dir, 'known_hosts'), known)
  writeFileSync(join(dir, 'inventory.yaml'), inventoryYaml(plan, join(dir, 'id_ed25519'), join(dir, 'known_hosts')))
}

const DAEMONS = new Set(['ovsdb-server', 'ovs-vswitchd', 'sshd', 'dnsmasq'])

async function recordProcessesAndNamespaces(state: LabState): Promise<void> {
  for (const n of state.nodes) {
    n.daemons = processesInPidNs(n.pidNs).filter((p) => DAEMONS.has(p.name))
    const list = await runOk(nsenterArgv(n.init.pid, ['ip', 'netns', 'list']), n.name)
    n.netns = list
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/ \(id: \d+\)$/, ''))
  }
  writeState(state)
}

async function dhcpOnStart(lab: LabHandle): Promise<void> {
  const apply = join(lab.dir, 'udhcpc-apply.sh')
  const results = await Promise.all(
    lab.plan.vms.map(async (vm) => {
      const r = await lab.execInVm(
        vm.name,
        ['busybox', 'udhcpc', '-i', vm.guestDev, '-t', '5', '-T', '1', '-n', '-q', '-s', apply],
        {timeoutMs: 30_000},
      )
      const got = /lease ip=(\S+)/.exec(r.stdout)?.[1]
      return got === vm.port.ip
        ? undefined
        : `${vm.name} on ${vm.host} (${vm.port.mac}) expected ${vm.port.ip}, got ${got ?? 'no lease'}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`
    }),
  )
  const bad = results.filter((r): r is string => r !== undefined)
  if (bad.length > 0) throw new Error(`lab: DHCP check failed:\n  ${bad.join('\n  ')}`)
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  if (!isRoot()) return 'the lab needs root (network namespaces, veth pairs, mounts)'
  for (const tool of [
    '/usr/sbin/ovs-vswitchd',
    '/usr/sbin/ovsdb-server',
    '/usr/sbin/dnsmasq',
    '/usr/sbin/sshd',
    '/usr/bin/busybox',
    '/usr/bin/unshare',
    '/usr/bin/nsenter',
    '/usr/sbin/brctl',
  ]) {
    if (!existsSync(tool)) return `${tool} is missing (run: bash test/lab/deps.sh)`
  }
  return undefined
}

export interface StartLabExtras {
  /** Progress and teardown notes; default: silent. */
  log?: (message: string) => void
}

/**
 * Start a lab. Tests share one per file (beforeAll/afterAll) and must call stop(); a lab that is not `persistent`
 * also dies with the process that started it. On any failure everything already created is torn down.
 */
export async function startLab(opts: Partial<LabOptions> = {}, extras: StartLabExtras = {}): Promise<Lab> {
  const why = labUnavailableReason()
  if (why) throw new Error(`lab: cannot start: ${why}`)
  const log = extras.log ?? (() => undefined)
  const options = mergeOptions(opts)
  const rootDir = options.rootDir ?? defaultRootDir()
  buildPlan(options, options.slot ?? 0) // validate before touching anything

  const state = await claimSlot(
    rootDir,
    options.slot,
    (slot, dir) => ({
      format: 'neutrace-lab-state',
      version: 1,
      slot,
      dir,
      rootDir,
      owner: procRef(process.pid),
      persistent: options.persistent,
      createdAt: new Date().toISOString(),
      rootLinks: [],
      nodes: [],
      plan: buildPlan(options, slot),
      faults: [],
      ready: false,
    }),
    log,
  )
  const plan = state.plan!
  const lab = new LabHandle(state, log)
  try {
    log(`lab: slot ${state.slot} in ${state.dir}`)
    ensureMountpoints(rootDir, mountpoints())
    await writeSharedFiles(state)
    for (const node of plan.nodes) await writeNodeFiles(plan, state.dir, node)
    log('lab: starting nodes')
    await startAllNodes(state, plan)
    await buildManagement(state, plan)
    await buildPhysicalNetwork(state, plan)
    log('lab: wiring Open vSwitch, DHCP and VMs')
    await Promise.all(
      plan.nodes.map(async (node) => {
        const b = new NodeBuilder(plan, node, lab.nodeState(node.name).init.pid)
        const of = await b.bridges()
        await b.provision(of)
        if (node.roles.includes('network')) await b.dhcp(state.dir)
        await b.vms(state.dir)
        await b.sshd(node.address)
      }),
    )
    writeIntent(state.dir, plan)
    writeAccess(state.dir, plan)
    await recordProcessesAndNamespaces(state)
    if (options.dhcpOnStart && plan.vms.length > 0) {
      log('lab: VMs taking their DHCP leases')
      await dhcpOnStart(lab)
    }
    state.ready = true
    writeState(state)
    log('lab: up')
    return lab
  } catch (e) {
    log(`lab: start failed, tearing down: ${(e as Error).message}`)
    await lab.stop().catch((te: Error) => log(te.message))
    throw e
  }
}

/** Attach to a running lab (e.g. from `lab:fault` in another process). Default: the lowest live lab under the root. */
export function openLab(dirOrSlot?: string | number, log: (m: string) => void = () => undefined): Lab {
  const rootDir = defaultRootDir()
  let dir: string | undefined
  if (typeof dirOrSlot === 'number') dir = labDirFor(rootDir, dirOrSlot)
  else if (typeof dirOrSlot === 'string') dir = dirOrSlot
  else {
    const live = listLabs(rootDir).filter((l) => l.state?.nodes.some((n) => isAlive(n.init)))
    dir = (live.find((l) => l.state?.ready) ?? live[0])?.dir
  }
  if (!dir) throw new Error(`lab: no running lab under ${rootDir} (start one with \`npm run lab:up\`)`)
  const state = readState(dir)
  if (!state || !state.plan) throw new Error(`lab: no lab state in ${dir}`)
  if (!state.nodes.some((n) => isAlive(n.init))) throw new Error(`lab: the lab in ${dir} is not running`)
  if (!state.ready)
    throw new Error(`lab: the lab in ${dir} did not finish starting; run \`npm run lab:down\` and start it again`)
  return new LabHandle(state, log)
}

/** Tear down the lab in one slot, if there is one. Returns the problems left, if any. */
export async function stopLab(slot: number, log: (m: string) => void = () => undefined): Promise<string[]> {
  const dir = labDirFor(defaultRootDir(), slot)
  const state = readState(dir)
  return state ? teardown({...state, dir}, log) : []
}

/** Tear down every lab under the root directory (lab:down). Returns the problems left, if any. */
export async function stopAllLabs(log: (m: string) => void = () => undefined): Promise<string[]> {
  const rootDir = defaultRootDir()
  const problems: string[] = []
  for (const l of listLabs(rootDir)) {
    if (!l.state) {
      log(`lab: ${l.dir} has no state; removing the directory`)
      await teardown(
        {
          format: 'neutrace-lab-state',
          version: 1,
          slot: l.slot,
          dir: l.dir,
          rootDir,
          owner: {pid: 0, startTime: ''},
          persistent: false,
          createdAt: '',
          rootLinks: [],
          nodes: [],
          faults: [],
          ready: false,
        },
        log,
      )
      continue
    }
    log(`lab: tearing down ${l.dir}`)
    problems.push(...(await teardown({...l.state, dir: l.dir}, log)))
  }
  return problems
}
