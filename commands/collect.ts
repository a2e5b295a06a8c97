import {Flags} from '@oclif/core'
import {terminalSafe} from '../src/render/escape.js'
import {EXIT, InputError, NeutraceCommand, intentFlag} from '../src/cli/common.js'
import {collectLive, collectSummary, liveFlags} from '../src/cli/live.js'

export default class Collect extends NeutraceCommand {
  static override summary =
    'Take a snapshot of the hosts over SSH: read-only commands, host keys verified, written atomically.'
  static override description = `Connects to each host once (ssh2; ~/.ssh/config and ssh-agent honoured), runs the fixed set of read-only specs
in one sh shell per host, one generated script per stage (every argument quoted, a timeout per command), validates every name a host
returns before using it in a follow-up command, and writes the
snapshot into --out (which must not exist) only when done. A host that is down, refuses the key or times out is
recorded in the manifest with the reason; the others are collected in full.

Exit status: 0 complete, 1 written but incomplete (see the manifest), 2 usage or input errors, 3 an internal error (a bug).`
  static override examples = [
    '<%= config.bin %> collect --inventory inventory.yaml --out ./snap',
    '<%= config.bin %> collect --host control=root@198.18.0.11 --host compute-1=198.18.0.12:2222 --out ./snap',
    '<%= config.bin %> collect --inventory hosts.ini --out ./snap --intent ./intent',
  ]
  static override flags = {
    ...liveFlags,
    out: Flags.string({description: 'snapshot directory to create', required: true, helpValue: 'DIR'}),
    intent: intentFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Collect)
    let result
    try {
      result = await collectLive(flags, flags.out, flags.intent)
    } catch (error) {
      if (error instanceof InputError) this.error(error.message, {exit: EXIT.usage})
      throw error
    }
    this.log(terminalSafe(collectSummary(result)))
    if (!result.complete) this.exit(EXIT.problem)
  }
}
