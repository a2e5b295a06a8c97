// sosreports as a source, on real ones: fixtures/sos holds two sosreports Debian's `sos report` (4.0) made inside the
// Neutron lab's nodes (control + one compute, the demo topology; trimmed to the members neutrace binds, see
// capture.ts) and the SSH collector's snapshot of the same lab state. The sosreport route must reach the same findings
// and traces; every archive form reads the same; damaged, missing and hostile members are problems naming the member.

import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import tar from 'tar-stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {load} from '../../src/cli/common.js'
import {diagnose, PACKAGE_ROOT, traceVm} from '../../src/engine.js'
import {readSosArchive} from '../../src/sos/archive.js'
import {ovsdbTextToJson, psAuxToPidArgs} from '../../src/sos/convert.js'
import {importSosReports, mangleKey, wantedMember, writeImportedSnapshot} from '../../src/sos/import.js'
import {findingKey, routesDiffer} from '../lab/neutron/sos.js'

const FIXTURE = join(PACKAGE_ROOT, 'fixtures', 'sos')
const REPORTS = readdirSync(FIXTURE)
  .filter((f) => f.endsWith('.tar.xz'))
  .sort()
  .map((f) => join(FIXTURE, f))
const CTL = REPORTS.find((r) => r.includes('nlab-ctl'))!
const CMP = REPORTS.find((r) => r.includes('nlab-cmp1'))!
const INTENT = join(FIXTURE, 'intent')

/** The VMs' ports (Nova's device_owner) in the fixture's intent. */
function vmPorts(): string[] {
  const body = JSON.parse(readFileSync(join(INTENT, 'ports.json'), 'utf8')) as {
    ports: {id: string; device_owner: string}[]
  }
  return body.ports.filter((p) => p.device_owner.startsWith('compute:')).map((p) => p.id)
}

let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'neutrace-sos-test-'))
})
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

/** A sosreport as a .tar (xz undone), to re-pack or edit. */
function tarOf(report: string): Buffer {
  return execFileSync('xz', ['-dc', '--', report], {maxBuffer: 64 * 1024 * 1024})
}

/** Rewrite members of a tar (name after the top directory → new text, or null to drop it). */
async function editTar(data: Buffer, edits: Record<string, string | null>): Promise<Buffer> {
  const extract = tar.extract()
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer)
  })
  const done = new Promise<void>((resolve) => pack.on('end', resolve))
  extract.on('entry', (header, body, next) => {
    const rest = header.name.split('/').slice(1).join('/')
    const bufs: Buffer[] = []
    body.on('data', (b: unknown) => {
      bufs.push(b as Buffer)
    })
    body.on('end', () => {
      const edit = edits[rest]
      if (edit === null) return next()
      const content = edit !== undefined ? Buffer.from(edit) : Buffer.concat(bufs)
      pack.entry({...header, size: content.length}, content, next)
    })
  })
  extract.on('finish', () => pack.finalize())
  extract.end(data)
  await done
  return Buffer.concat(chunks)
}

async function memberText(report: string, member: string): Promise<string> {
  const archive = await readSosArchive(report, {want: (p) => p === member})
  return archive.contents.get(member)!.toString('utf8')
}

describe('sosreports of the Neutron lab (fixtures/sos)', () => {
  it('import: one host per report, named and given roles as the SSH collector had them, provenance kept', async () => {
    const result = await importSosReports([CTL, CMP])
    const ssh = JSON.parse(readFileSync(join(FIXTURE, 'ssh-snapshot', 'manifest.json'), 'utf8')) as {
      hosts: {name: string; roles: string[]}[]
    }
    expect(result.manifest.hosts.map((h) => [h.name, [...h.roles].sort()])).toEqual(
      ssh.hosts.map((h) => [h.name, [...h.roles].sort()]),
    )
    expect(result.manifest.source).toBe('sos')
    expect(result.manifest.description).toMatch(/nlab-ctl from sosreport-nlab-ctl-.*\.tar\.xz \(sos 4\.0\)/)
    expect(result.manifest.problems ?? []).toEqual([])
    const ctl = result.manifest.hosts.find((h) => h.name === 'nlab-ctl')!
    // Every capture read, none missing; each names its member.
    expect(ctl.status).toBe('complete')
    const flows = ctl.captures.find((c) => c.spec === 'ovs_ofctl_dump_flows' && c.key === 'br-int')!
    expect(flows.file).toBe('hosts/nlab-ctl/sos_commands/openvswitch/ovs-ofctl_dump-flows_br-int')
    expect(flows.argv[1]).toMatch(/^sosreport-nlab-ctl-[^/]+\/sos_commands\/openvswitch\/ovs-ofctl_dump-flows_br-int$/)
    // Per namespace (sos 4.0's layout), DHCP files (the tree, listed as find would), the agent's configuration.
    const keys = (spec: string) => ctl.captures.filter((c) => c.spec === spec).map((c) => c.key)
    expect(keys('netns_ip_addr').filter((k) => k!.startsWith('qdhcp-'))).toHaveLength(3)
    expect(keys('file').filter((k) => k!.startsWith('/var/lib/neutron/dhcp/') && k!.endsWith('/host'))).toHaveLength(3)
    expect(keys('file')).toContain('/etc/neutron/plugins/ml2/openvswitch_agent.ini')
    // What sos 4.0 does not collect is not pretended: no Port table, no `ip netns identify`.
    expect(keys('ovs_vsctl_list_port')).toEqual([])
    expect(keys('netns_of_pid')).toEqual([])
  })

  it('the sosreport route reaches the same findings and the same traces as the SSH snapshot of the same state', async () => {
    const ssh = await load(join(FIXTURE, 'ssh-snapshot'))
    const sos = await load(FIXTURE, INTENT)
    expect(sos.snapshot.hosts.map((h) => h.name).sort()).toEqual(['nlab-cmp1', 'nlab-ctl'])
    const ports = vmPorts()
    expect(ports).toHaveLength(6)
    expect(routesDiffer(ssh, sos, ports)).toEqual([])
    expect(diagnose(sos).map(findingKey)).toEqual([])
    for (const port of ports) expect(traceVm(sos, port, 'dhcp')[0]!.verdict).toBe('delivered')
  })

  it('.tar.gz, .tar.bz2, .tar and an unpacked directory read exactly as the .tar.xz', async () => {
    const plain = tarOf(CMP)
    const forms: Record<string, string> = {}
    forms.tar = join(scratch, 'cmp.tar')
    writeFileSync(forms.tar, plain)
    forms.gz = join(scratch, 'cmp.tar.gz')
    writeFileSync(forms.gz, gzipSync(plain))
    forms.bz2 = join(scratch, 'cmp.tar.bz2')
    writeFileSync(forms.bz2, execFileSync('bzip2', ['-c'], {input: plain, maxBuffer: 64 * 1024 * 1024}))
    const unpacked = join(scratch, 'unpacked')
    mkdirSync(unpacked)
    execFileSync('tar', ['-xf', forms.tar, '-C', unpacked])
    forms.dir = join(unpacked, readdirSync(unpacked)[0]!)
    const want = (await importSosReports([CMP])).manifest.hosts[0]!.captures.map((c) => [c.spec, c.key, c.sha256])
    for (const [form, path] of Object.entries(forms)) {
      const got = (await importSosReports([path])).manifest.hosts[0]!.captures.map((c) => [c.spec, c.key, c.sha256])
      expect(got, form).toEqual(want)
    }
  })

  it('a missing member is DATA_MISSING naming host and member, and only the checks resting on it become unknown', async () => {
    const edited = join(scratch, 'missing.tar')
    // The plain dump and every OpenFlow version's (the binding falls back on each in turn).
    const dumps = ['', '-O_OpenFlow10_', '-O_OpenFlow13_', '-O_OpenFlow14_', '-O_OpenFlow15_'].map(
      (v) => `sos_commands/openvswitch/ovs-ofctl_${v}dump-flows_br-eth2`,
    )
    writeFileSync(edited, await editTar(tarOf(CMP), Object.fromEntries(dumps.map((d) => [d, null]))))
    const out = join(scratch, 'missing-snap')
    await writeImportedSnapshot(await importSosReports([CTL, edited]), out, INTENT)
    const findings = diagnose(await load(out))
    const missing = findings.filter((f) => f.code === 'DATA_MISSING')
    expect(missing.map((f) => f.host)).toEqual(['nlab-cmp1'])
    expect(missing[0]!.message).toContain('sos_commands/openvswitch/ovs-ofctl_dump-flows_br-eth2')
    expect(missing[0]!.message).toMatch(/not in the sosreport .*unknown \(on nlab-cmp1: local VLANs/)
    expect(findings.filter((f) => f.severity === 'error')).toEqual([])
  })

  it('a damaged member is PARSE_ERROR naming host, member and line; the rest is read', async () => {
    const member = 'sos_commands/openvswitch/ovs-ofctl_dump-flows_br-int'
    const lines = (await memberText(CMP, member)).split('\n')
    lines.splice(2, 0, ' cookie=0x0, this is not a flow')
    const edited = join(scratch, 'damaged.tar')
    writeFileSync(edited, await editTar(tarOf(CMP), {[member]: lines.join('\n')}))
    const analysis = await load(edited)
    const errors = diagnose(analysis).filter((f) => f.code === 'PARSE_ERROR')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.host).toBe('nlab-cmp1')
    expect(errors[0]!.message).toContain(`hosts/nlab-cmp1/${member}:3): not a flow`)
    // ps aux read from sos: a line without its eleven columns names the member and its line.
    const ps = psAuxToPidArgs(
      'USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\nroot 1 0 0 1 1 ? S 10:00 0:00 init\nbad\n',
    )
    expect(ps.text).toBe('\n      1 init\n\n')
    expect(ps.problems).toEqual([{line: 3, text: 'bad', message: 'not a `ps aux` line (eleven columns)'}])
  })

  it('refuses members escaping the report, links leading out of it and devices; never follows them', async () => {
    const pack = tar.pack()
    const top = 'sosreport-evil-2026'
    const add = (h: Partial<tar.Header> & {name: string}, body = '') => pack.entry(h as tar.Header, body)
    add({name: `${top}/`, type: 'directory'})
    add({name: `${top}/sos_commands/host/hostname`}, 'evil\n')
    add({name: `${top}/../outside`}, 'x\n')
    add({name: `/etc/evil`}, 'x\n')
    add({
      name: `${top}/sos_commands/openvswitch/ovs-vsctl_-t_5_show`,
      type: 'symlink',
      linkname: '../../../../etc/passwd',
    })
    add({name: `${top}/sos_commands/openvswitch/ovs-vsctl_-t_5_list-br`, type: 'symlink', linkname: '/etc/shadow'})
    add({name: `${top}/sos_commands/networking/ip_netns`, type: 'character-device', devmajor: 1, devminor: 3})
    add({name: `${top}/ps`, type: 'symlink', linkname: 'sos_commands/process/ps_auxwww'})
    add(
      {name: `${top}/sos_commands/process/ps_auxwww`},
      'USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\nroot 1 0 0 1 1 ? S 10:00 0:00 init\n',
    )
    pack.finalize()
    const chunks: Buffer[] = []
    for await (const c of pack) chunks.push(c as Buffer)
    const evil = join(scratch, 'evil.tar.gz')
    writeFileSync(evil, gzipSync(Buffer.concat(chunks)))
    const result = await importSosReports([evil])
    const messages = (result.manifest.problems ?? []).map((p) => p.message)
    expect(messages.some((m) => /\.\.\/outside.*escapes|outside.*refused/.test(m))).toBe(true)
    expect(messages.some((m) => /etc\/evil: absolute path: refused/.test(m))).toBe(true)
    expect(messages.filter((m) => /points outside the report: refused/.test(m))).toHaveLength(2)
    expect(messages.some((m) => /ip_netns: a character-device .*refused/.test(m))).toBe(true)
    const host = result.manifest.hosts[0]!
    expect(host.name).toBe('evil')
    // The refused show is missing (DATA_MISSING), never read through the link; ps (a link inside) is read.
    const show = host.captures.find((c) => c.spec === 'ovs_vsctl_show')!
    expect(show.error).toMatch(/not in the sosreport/)
    expect(result.files.some((f) => f.data.toString().includes('root:'))).toBe(false)
    expect(host.captures.find((c) => c.spec === 'ps')!.exitCode).toBe(0)
  })

  it('reads only the members the specs bind; maps mangled names back; converts ovs-vsctl list text exactly', async () => {
    expect(wantedMember('sos_commands/openvswitch/ovs-ofctl_dump-flows_br-int')).toBe(true)
    expect(wantedMember('etc/neutron/neutron.conf')).toBe(false)
    expect(wantedMember('var/log/neutron/server.log')).toBe(false)
    expect(mangleKey('qdhcp-1 two/x')).toBe('qdhcp-1_two.x')
    const text = await memberText(CMP, 'sos_commands/openvswitch/ovs-vsctl_-t_5_list_interface')
    const json = JSON.parse(ovsdbTextToJson(text).text) as {headings: string[]; data: unknown[][]}
    expect(ovsdbTextToJson(text).problems).toEqual([])
    const col = (name: string) => json.headings.indexOf(name)
    const eth2 = json.data.find((r) => r[col('name')] === 'eth2')!
    expect(eth2[col('_uuid')]).toEqual(['uuid', expect.stringMatching(/^[0-9a-f-]{36}$/)])
    expect(eth2[col('ofport')]).toEqual(expect.any(Number))
    const tap = json.data.find((r) => String(r[col('name')]).startsWith('qvo'))!
    const ids = tap[col('external_ids')] as [string, [string, string][]]
    expect(ids[0]).toBe('map')
    expect(ids[1].map(([k]) => k)).toEqual(expect.arrayContaining(['attached-mac', 'iface-id', 'vm-uuid']))
    expect(ovsdbTextToJson('name : "a\\"b"\nbad line\nx : [1, 2\n').problems.map((p) => p.line)).toEqual([2, 3])
    expect(JSON.parse(ovsdbTextToJson('a : {k="v 1", n=2}\nb : []\nc : true\n').text)).toEqual({
      headings: ['a', 'b', 'c'],
      data: [
        [
          [
            'map',
            [
              ['k', 'v 1'],
              ['n', 2],
            ],
          ],
          ['set', []],
          true,
        ],
      ],
    })
  })
})
