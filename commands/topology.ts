import {Flags} from '@oclif/core'
import {renderJson, terminalSafe} from '../src/render/escape.js'
import {
  EXIT,
  InputError,
  intentFlag,
  load,
  NeutraceCommand,
  parseRoles,
  roleFlag,
  snapshotArg,
  sources,
} from '../src/cli/common.js'
import {diagnose} from '../src/engine.js'
import {hostNamed} from '../src/model/actual.js'
import {dotToSvg} from '../src/render/svg.js'
import {renderTopologyDot, renderTopologyText, topologyJson, topologyOf} from '../src/render/topology.js'

export default class Topology extends NeutraceCommand {
  static override summary =
    'Show the actual topology of each host: OVS bridges and ports, Linux bridges, namespaces, dnsmasq, VMs.'
  static override examples = [
    '<%= config.bin %> topology',
    '<%= config.bin %> topology ./snap --host compute-1',
    '<%= config.bin %> topology ./snap --format svg > topology.svg',
  ]
  static override strict = false
  static override args = {snapshot: snapshotArg}
  static override flags = {
    host: Flags.string({description: 'only this host (its label in the snapshot, or its hostname)'}),
    intent: intentFlag,
    role: roleFlag,
    format: Flags.string({description: 'output format', options: ['text', 'json', 'dot', 'svg'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Topology)
    let analysis
    try {
      analysis = await load(sources(argv), flags.intent, {
        quiet: flags.format === 'json',
        roles: parseRoles(flags.role),
      })
    } catch (error) {
      if (error instanceof InputError) this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    // --host takes the snapshot's label or the name the host gives itself (its hostname, FQDN or short).
    const named = flags.host === undefined ? undefined : hostNamed(analysis.actual, flags.host)
    const host = named?.name ?? flags.host
    const hosts = analysis.actual.hosts.filter((h) => !flags.host || h === named)
    if (flags.host && !hosts.length) {
      this.error(
        `no host ${flags.host} in the snapshot; hosts: ${analysis.actual.hosts.map((h) => h.name).join(', ')}`,
        {exit: EXIT.usage},
      )
    }
    if (flags.format === 'json') this.log(renderJson(topologyJson(analysis.actual, host, this.config.version)))
    else if (flags.format === 'dot')
      this.log(terminalSafe(renderTopologyDot(analysis.actual, host, diagnose(analysis))))
    else if (flags.format === 'svg')
      this.log(await dotToSvg(renderTopologyDot(analysis.actual, host, diagnose(analysis))))
    else this.log(terminalSafe(hosts.map((h) => renderTopologyText(topologyOf(h))).join('\n\n')))
  }
}
