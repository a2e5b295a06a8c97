import {Flags, type Interfaces} from '@oclif/core'
import type * as Engine from '../src/engine.js'
import {renderJson, terminalSafe} from '../src/render/escape.js'
import {EXIT, InputError, intentFlag, NeutraceCommand, roleFlag, snapshotArg, sources} from '../src/cli/common.js'
import {liveFlags, loadOrCollect} from '../src/cli/live.js'
import {dotToSvg} from '../src/render/svg.js'
import type {TraceTarget} from '../src/trace/tracer.js'

export default class Trace extends NeutraceCommand {
  static override summary =
    "Follow a VM's DHCP request hop by hop through the real flow tables, to the uplink or to its DHCP server."
  static override description = `Simulates the frame through Linux bridges, veth pairs and each OVS bridge's OpenFlow tables (priorities, tables,
resubmit/goto_table, VLAN rewrites, NORMAL), shows the VLAN it carries at every hop, and gives a verdict:
delivered, dropped (with the flow that dropped it), blackholed, or unknown.

Exit status: 0 when every trace is delivered, 1 when one is not, 2 for usage or input errors, 3 for an internal
error (a bug in neutrace).`
  static override examples = [
    '<%= config.bin %> trace --vm fa:16:3e:fe:c7:87',
    '<%= config.bin %> trace ./snap --vm "Oracle Linux" --to dhcp',
    '<%= config.bin %> trace --inventory inventory.yaml --vm vm-1 --to dhcp   # collect over SSH, then trace',
    '<%= config.bin %> trace ./snap --vm 3707ac87-4f5d-4349-b7ed-3a673f55e5e1 --format svg > trace.svg',
    '<%= config.bin %> trace ./snap --from vm-1 --to vm-2 --proto tcp --dport 22 --reply   # any packet, security groups',
    '<%= config.bin %> trace ./snap --from vm-tun1-1 --to vm-tun1-2 --size 1450 --reply   # a full-size ping over VXLAN',
    '<%= config.bin %> trace ./snap --from vm-net1-2 --to 198.19.150.200   # through its router, SNAT shown',
    '<%= config.bin %> trace ./snap --vm vm-net1-2 --to 169.254.169.254   # to the metadata proxy',
    '<%= config.bin %> trace ./snap --to-fip 198.19.150.20 --from-outside   # DNAT to the VM',
  ]
  static override strict = false
  static override args = {snapshot: snapshotArg}
  static override flags = {
    ...liveFlags,
    out: Flags.string({description: 'with --inventory/--host: keep the snapshot in this directory', helpValue: 'DIR'}),
    vm: Flags.string({
      description: 'the VM: instance uuid or name, MAC, Neutron port id or name, or IP',
      aliases: ['from'],
      exactlyOne: ['vm', 'to-fip'],
    }),
    to: Flags.string({
      description:
        'where to follow the frame: uplink, dhcp, a VM (any handle) or IP on its network (a packet through the ' +
        "security groups), or an IPv4 address beyond the VM's router",
      default: 'uplink',
    }),
    'to-fip': Flags.string({
      description: "a floating IP: trace a packet from the external network to it (through its router's DNAT)",
      helpValue: 'FIP',
    }),
    'from-outside': Flags.boolean({
      description: 'with --to-fip: the packet comes from the external network (the only origin modelled)',
      dependsOn: ['to-fip'],
    }),
    proto: Flags.string({
      description: 'with --to VM|IP or --to-fip: the protocol (default icmp)',
      options: ['icmp', 'tcp', 'udp'],
    }),
    dport: Flags.integer({
      description: 'with --to VM|IP or --to-fip and tcp/udp: the destination port (tcp default 22, udp 53)',
      min: 1,
      max: 65535,
    }),
    sport: Flags.integer({description: 'with --to VM|IP: source port (default 40000)', min: 0, max: 65535}),
    reply: Flags.boolean({description: 'with --to VM|IP: trace the answer back too (connection tracking)'}),
    size: Flags.integer({
      description:
        "with --to VM|IP: the IP packet's size in bytes (ping -s N sends N + 28), checked against the MTU of the " +
        "tunnels' underlay",
      min: 28,
      max: 65535,
    }),
    intent: intentFlag,
    role: roleFlag,
    format: Flags.string({
      description: 'output format (svg: drawn by the bundled Graphviz)',
      options: ['text', 'json', 'dot', 'svg'],
      default: 'text',
    }),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Trace)
    let results
    let findings
    // The engine is imported once there is a snapshot to trace through: with --inventory/--host, after collecting.
    let engine: typeof Engine | undefined
    try {
      const analysis = await loadOrCollect(sources(argv), flags, (m) => this.warn(m))
      engine = await import('../src/engine.js')
      const between = !flags['to-fip'] && flags.to !== 'uplink' && flags.to !== 'dhcp'
      if (between && !engine.goesThroughRouter(analysis, flags.vm!, flags.to))
        return await this.packet(analysis, flags, engine)
      const l3 = {
        ...(flags.proto ? {proto: flags.proto as 'icmp' | 'tcp' | 'udp'} : {}),
        ...(flags.dport ? {dport: flags.dport} : {}),
      }
      if (flags['to-fip']) results = engine.traceFromOutside(analysis, flags['to-fip'], l3)
      else if (flags.to === 'uplink' || flags.to === 'dhcp')
        results = engine.traceVm(analysis, flags.vm!, flags.to as TraceTarget)
      else results = engine.traceVmToIp(analysis, flags.vm!, flags.to, l3)
      findings = flags.format === 'dot' || flags.format === 'svg' ? engine.diagnose(analysis) : []
    } catch (error) {
      if (error instanceof InputError || (engine && error instanceof engine.TraceError))
        this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    const {renderTraceDot, renderTraceText, traceJson} = await import('../src/render/trace.js')
    if (flags.format === 'json') this.log(renderJson(traceJson(results, this.config.version)))
    else if (flags.format === 'dot') this.log(terminalSafe(renderTraceDot(results, findings)))
    else if (flags.format === 'svg') this.log(await dotToSvg(renderTraceDot(results, findings)))
    else this.log(terminalSafe(results.map(renderTraceText).join('\n\n')))
    if (results.some((r) => r.verdict !== 'delivered')) this.exit(EXIT.problem)
  }

  /** `--to VM|IP`: one packet (and its reply) through the firewalls; text or JSON (trace.schema.json's `packet`). */
  async packet(
    analysis: Engine.Analysis,
    flags: Interfaces.InferredFlags<typeof Trace.flags>,
    engine: typeof Engine,
  ): Promise<void> {
    let result
    try {
      result = engine.tracePacketBetween(analysis, flags.vm!, flags.to, {
        proto: (flags.proto ?? 'icmp') as 'icmp' | 'tcp' | 'udp',
        ...(flags.dport !== undefined ? {dport: flags.dport} : {}),
        ...(flags.sport !== undefined ? {sport: flags.sport} : {}),
        reply: flags.reply,
        ...(flags.size !== undefined ? {size: flags.size} : {}),
      })
    } catch (error) {
      if (error instanceof InputError || error instanceof engine.TraceError)
        this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    const {packetJson, renderPacketText} = await import('../src/render/packet.js')
    if (flags.format === 'json') this.log(renderJson(packetJson(result, this.config.version)))
    else if (flags.format !== 'text')
      this.error('--to VM|IP draws no picture yet: use --format text or json', {exit: EXIT.usage})
    else this.log(terminalSafe(renderPacketText(result)))
    const ok = result.verdict === 'delivered' && (!result.reply || result.reply.verdict === 'delivered')
    if (!ok) this.exit(EXIT.problem)
  }
}
