import {writeFile} from 'node:fs/promises'
import {Command, Flags} from '@oclif/core'
import {EXIT, InputError, intentFlag, roleFlag, snapshotArg, sources} from '../src/cli/common.js'
import {liveFlags, loadOrCollect} from '../src/cli/live.js'

export default class Report extends Command {
  static override summary =
    "Write one self-contained HTML page: the findings, a picture of every host, every VM's path to DHCP."
  static override description = `The page has no script and fetches nothing (it opens from a mail attachment): the findings with their evidence and
remedy, a picture of all hosts joined by the physical network and one per host, and each VM's path to its DHCP
server drawn host by host, top to bottom, with the VLAN on every hop and the faulty element in red.

Exit status: 0 when the page was written, 2 for usage or input errors.`
  static override examples = [
    '<%= config.bin %> report -o report.html',
    '<%= config.bin %> report ./snap --intent ./intent -o report.html',
  ]
  static override strict = false
  static override args = {snapshot: snapshotArg}
  static override flags = {
    ...liveFlags,
    output: Flags.string({char: 'o', description: 'the HTML file to write', default: 'report.html', helpValue: 'FILE'}),
    out: Flags.string({description: 'with --inventory/--host: keep the snapshot in this directory', helpValue: 'DIR'}),
    intent: intentFlag,
    role: roleFlag,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Report)
    let html
    try {
      const analysis = await loadOrCollect(sources(argv), flags, (m) => this.warn(m))
      // Imported once there is something to draw: with --inventory/--host, after the hosts were collected.
      const {renderHtmlReport, reportInput} = await import('../src/render/html.js')
      html = await renderHtmlReport(reportInput(analysis, this.config.version))
    } catch (error) {
      if (error instanceof InputError) this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    try {
      await writeFile(flags.output, html)
    } catch (error) {
      this.error(`cannot write ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        exit: EXIT.usage,
      })
    }
    this.log(`Report written to ${flags.output}`)
  }
}
