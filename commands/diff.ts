import {Args, Command, Flags} from '@oclif/core'
import {EXIT, InputError, load} from '../src/cli/common.js'
import {diffAnalyses, renderDiffText} from '../src/diff/index.js'
import {escapeTerminal, renderJson} from '../src/render/escape.js'

export default class Diff extends Command {
  static override summary =
    'What changed between two snapshots of the same cloud, and which findings appeared or disappeared.'
  static override description = `Compares OVS bridges, ports and tags, flows (by table, priority, match and actions; counters, durations and
cookies are ignored), namespaces, dnsmasq host entries and port bindings, grouped by host and by network.

Exit status: 0 when nothing changed, 1 when something did, 2 for usage or input errors.`
  static override examples = [
    '<%= config.bin %> diff ./yesterday ./today',
    '<%= config.bin %> diff ./before ./after --format json',
  ]
  static override args = {
    old: Args.string({description: 'the earlier snapshot directory', required: true}),
    new: Args.string({description: 'the later snapshot directory', required: true}),
  }
  static override flags = {
    format: Flags.string({description: 'output format', options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Diff)
    let report
    try {
      const quiet = flags.format === 'json'
      report = diffAnalyses(
        await load(args.old, undefined, {quiet}),
        await load(args.new, undefined, {quiet}),
        this.config.version,
      )
    } catch (error) {
      if (error instanceof InputError) this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    this.log(flags.format === 'json' ? renderJson(report) : renderDiffText(report, escapeTerminal))
    if (report.summary.changes || report.summary.appeared || report.summary.disappeared) this.exit(EXIT.problem)
  }
}
