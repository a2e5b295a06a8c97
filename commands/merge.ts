import {Args, Command, Flags} from '@oclif/core'
import {EXIT} from '../src/cli/common.js'
import {mergeSnapshots} from '../src/snapshot/merge.js'
import {SnapshotError} from '../src/snapshot/read.js'
import {escapeTerminal} from '../src/render/escape.js'

export default class Merge extends Command {
  static override summary = 'Merge snapshots taken per cell or region into one snapshot of the whole cloud.'
  static override description = `The merged snapshot holds every host of every input, each capture file copied byte for byte with its manifest
record (sha256 included), and the union of their intent: a document that differs between inputs is joined when it
is a list of records (an API body such as {"ports": [...]} or a JSON array), each id once. A host or a file held by
two inputs, or an intent document that cannot be joined, is refused.

Exit status: 0 when the snapshot was written, 2 for usage or input errors.`
  static override examples = [
    '<%= config.bin %> merge ./region-a ./region-b -o ./cloud',
    '<%= config.bin %> merge ./cell1 ./cell2 ./cell3 -o ./all-cells',
  ]
  static override strict = false
  static override args = {snapshot: Args.string({description: 'snapshot directories (two or more)', required: true})}
  static override flags = {
    output: Flags.string({char: 'o', description: 'the snapshot directory to write', required: true, helpValue: 'DIR'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Merge)
    try {
      const result = await mergeSnapshots(argv as string[], flags.output, this.config.version)
      for (const input of result.inputs) this.log(escapeTerminal(`${input.dir}: ${input.hosts.length} host(s)`))
      this.log(
        escapeTerminal(
          `Snapshot written to ${flags.output}: ${result.manifest.hosts.length} hosts, ${result.files} files`,
        ),
      )
    } catch (error) {
      if (error instanceof SnapshotError) this.error(escapeTerminal(error.message), {exit: EXIT.usage})
      throw error
    }
  }
}
