import {Args, Command, Flags} from '@oclif/core'
import {EXIT, InputError, parseRoles, roleFlag} from '../../src/cli/common.js'
import {importSosReports, SosImportError, sosReportsIn, writeImportedSnapshot} from '../../src/sos/import.js'

export default class ImportSos extends Command {
  static override summary = 'Turn sosreports (one per host) into a snapshot that every other command reads.'
  static override description = `Each sosreport is a .tar.xz (sos's default), .tar.gz, .tar.bz2, .tar or an unpacked directory; a folder of them
is read whole. Only the members the specs bind are read, streaming, without unpacking the archive; members that
escape the report, links leading out of it and devices are refused. Hosts are named by the report
(sos_commands/host/hostname) and their roles inferred (neutron-server: control; a DHCP/L3 agent or qdhcp namespace:
network; nova-compute, libvirt domains or VM ports: compute) unless --role says otherwise. What a report lacks is
recorded and shows as DATA_MISSING; lines that cannot be read as PARSE_ERROR, naming the member and line.

diagnose, trace, topology, report and diff also take sosreports (or a folder of them) in place of a snapshot.

Exit status: 0 when the snapshot was written, 2 for usage or input errors.`
  static override examples = [
    '<%= config.bin %> import sos sosreport-ctl.tar.xz sosreport-cmp1.tar.xz --intent ./intent -o ./snap',
    '<%= config.bin %> import sos ./sosreports/ --role cmp1=compute -o ./snap',
  ]
  static override strict = false
  static override args = {sosreport: Args.string({description: 'sosreport archive or directory', required: true})}
  static override flags = {
    output: Flags.string({char: 'o', description: 'the snapshot directory to write', required: true, helpValue: 'DIR'}),
    intent: Flags.string({description: 'folder of Neutron/Nova intent to copy into the snapshot', helpValue: 'DIR'}),
    role: roleFlag,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ImportSos)
    try {
      const roles = parseRoles(flags.role)
      const reports: string[] = []
      for (const a of argv as string[]) {
        const found = await sosReportsIn(a)
        if (!found.length) this.error(`${a}: not a sosreport (nor a folder of them)`, {exit: EXIT.usage})
        reports.push(...found)
      }
      const result = await importSosReports(reports, {roles})
      await writeImportedSnapshot(result, flags.output, flags.intent)
      const missing = result.manifest.hosts.reduce((n, h) => n + h.captures.filter((c) => c.error).length, 0)
      for (const h of result.manifest.hosts) this.log(`${h.name} [${h.roles.join(',')}]: ${h.captures.length} captures`)
      this.log(
        `Snapshot written to ${flags.output}${missing ? ` (${missing} capture(s) not in the sosreports: see DATA_MISSING)` : ''}`,
      )
    } catch (error) {
      if (error instanceof SosImportError || error instanceof InputError) this.error(error.message, {exit: EXIT.usage})
      throw error
    }
  }
}
