import {Flags} from '@oclif/core'
import {renderJson, terminalSafe} from '../src/render/escape.js'
import {EXIT, InputError, intentFlag, NeutraceCommand, roleFlag, snapshotArg, sources} from '../src/cli/common.js'
import {liveFlags, loadOrCollect} from '../src/cli/live.js'
import {workProgress} from '../src/cli/work-progress.js'

export default class Diagnose extends NeutraceCommand {
  static override summary = 'Compare what the hosts have with what Neutron expects, and name the element at fault.'
  static override description = `Reads a snapshot (from \`neutrace collect\`, or the shipped seed snapshot when none is given), rebuilds the actual
topology and the reference model, and reports findings with stable codes.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 for usage or input errors, 3 for an internal error
(a bug in neutrace).`
  static override examples = [
    '<%= config.bin %> diagnose',
    '<%= config.bin %> diagnose ./snap --intent ./intent --format json',
    '<%= config.bin %> diagnose ./snap --fail-on warning',
    '<%= config.bin %> diagnose --inventory inventory.yaml --intent ./intent   # collect over SSH, then diagnose',
  ]
  static override strict = false
  static override args = {snapshot: snapshotArg}
  static override flags = {
    ...liveFlags,
    out: Flags.string({description: 'with --inventory/--host: keep the snapshot in this directory', helpValue: 'DIR'}),
    intent: intentFlag,
    role: roleFlag,
    format: Flags.string({description: 'output format', options: ['table', 'json'], default: 'table'}),
    'fail-on': Flags.string({
      description: 'lowest severity that makes the exit status 1',
      options: ['error', 'warning', 'never'],
      default: 'error',
    }),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Diagnose)
    let code: number = EXIT.ok
    try {
      const analysis = await loadOrCollect(sources(argv), flags, (m) => this.warn(m))
      // Imported once there is something to analyse: with --inventory/--host, after the hosts were collected.
      const [{SEVERITY_RANK}, {diagnose}, {buildReport, renderReportTable}] = await Promise.all([
        import('../src/analyze/codes.js'),
        import('../src/engine.js'),
        import('../src/render/findings.js'),
      ])
      const progress = workProgress(process.stderr, {enabled: flags.format !== 'json'})
      const findings = diagnose(analysis, progress)
      progress.done()
      const report = buildReport(analysis, findings, this.config.version)
      this.log(flags.format === 'json' ? renderJson(report) : terminalSafe(renderReportTable(report)))
      if (flags['fail-on'] !== 'never') {
        const threshold = SEVERITY_RANK[flags['fail-on'] as 'error' | 'warning']
        if (findings.some((f) => SEVERITY_RANK[f.severity] >= threshold)) code = EXIT.problem
      }
    } catch (error) {
      if (error instanceof InputError) this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    if (code !== EXIT.ok) this.exit(code)
  }
}
