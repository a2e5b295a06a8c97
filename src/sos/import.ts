// sosreports → a snapshot. Each sosreport is one host. What is read is what the specs bind (`sos` in src/specs.ts),
// planned the way the collector plans a live host: the host-scoped specs first, then the scoped ones for the keys
// their outputs name (collect/plan.ts followUps: the same parsers, the same validation of every name). A member the
// binding names but the report lacks is a capture that failed with the member's path as its reason (DATA_MISSING); a
// member read with lines neutrace cannot read is a problem naming host, member and line (PARSE_ERROR).

import {lstat, mkdir, readdir, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {redactIni, toolVersion} from '../collect/collector.js'
import {followUps} from '../collect/plan.js'
import {parseIpNetns} from '../parsers/ip-netns.js'
import {parsePs} from '../parsers/ps.js'
import {parseOvsdbJson} from '../parsers/ovs-vsctl-json.js'
import {
  captureSha256,
  type CaptureRecord,
  keyToFileName,
  type HostRecord,
  type Manifest,
  type ManifestProblem,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
} from '../snapshot/manifest.js'
import {CONFIG_FILES, type CatalogSpec, DHCP_DIRS, HA_DIRS, INSTANCE_DIRS, type Role, SPECS} from '../specs.js'
import {readRegularFile} from '../snapshot/files.js'
import {MAX_CAPTURE_BYTES} from '../snapshot/read.js'
import {readSosArchive, resolveMember, type SosArchive} from './archive.js'
import {
  bridgeLinkDetailsDropped,
  type Converted,
  ipRouteTextToJson,
  ovsdbTextToJson,
  psAuxToPidArgs,
} from './convert.js'

export class SosImportError extends Error {}

/** sos's name for a command's output file (sos/report/plugins/__init__.py `_mangle_command`), for a key inside it. */
export function mangleKey(key: string): string {
  return key.replace(/[^\w\-./]+/g, '_').replace(/\//g, '.')
}

/** A binding path as a pattern over member paths (`{key}` and `*` stay within one path segment). */
function pathPattern(path: string): RegExp {
  const parts = path.split(/(\{key\}|\*)/)
  const body = parts.map((p) => (p === '{key}' || p === '*' ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  return new RegExp(`^${body.join('')}$`)
}

/** The listing specs whose sos binding is a directory tree: the `find` each runs live, re-done over the members. */
const LISTINGS: Partial<Record<string, {dirs: string[]; maxDepth: number; name?: RegExp}>> = {
  neutron_dhcp_files: {dirs: DHCP_DIRS, maxDepth: 3},
  neutron_config_files: {dirs: ['/etc/neutron/'], maxDepth: 4, name: /\.ini$/},
  nova_instance_files: {dirs: INSTANCE_DIRS, maxDepth: 2, name: /\.xml$/},
  neutron_ha_files: {dirs: HA_DIRS, maxDepth: 2},
}

/** Conversions from what sos keeps to what the live argv prints (see convert.ts), and the suffix of their files. */
const OVSDB_JSON = {run: ovsdbTextToJson, as: 'json'}
const CONVERT: Partial<Record<string, {run: (text: string) => Converted; as: string}>> = {
  ovs_vsctl_list_open_vswitch: OVSDB_JSON,
  ovs_vsctl_list_bridge: OVSDB_JSON,
  ovs_vsctl_list_port: OVSDB_JSON,
  ovs_vsctl_list_interface: OVSDB_JSON,
  ps: {run: psAuxToPidArgs, as: 'pid-args'},
  bridge_link: {run: bridgeLinkDetailsDropped, as: 'ports'},
  ip_route: {run: ipRouteTextToJson, as: 'json'},
  netns_ip_route: {run: ipRouteTextToJson, as: 'json'},
}

/** Specs a sosreport cannot give in a form neutrace reads, and why (recorded nowhere: they are simply not captured). */
export const NOT_FROM_SOS: Partial<Record<string, string>> = {
  netns_of_pid: 'sos does not run `ip netns identify`',
  netns_ip_rule: 'sos keeps the rules of a namespace (when it does) as text; neutrace reads the JSON form only',
  netns_ip_neigh: 'sos keeps the neighbours of a namespace (when it does) as text; neutrace reads the JSON form only',
}

/** Is a member one the bindings can name? (What the archive reader keeps in memory.) */
export function wantedMember(path: string): boolean {
  if (path === 'version.txt') return true
  for (const re of BINDING_PATTERNS) if (re.test(path)) return true
  const abs = `/${path}`
  for (const dir of [...DHCP_DIRS, ...INSTANCE_DIRS]) if (abs.startsWith(dir)) return true
  // keepalived's state files only: its keepalived.conf holds the VRRP password.
  if (HA_DIRS.some((dir) => abs.startsWith(dir)) && abs.endsWith('/state')) return true
  return CONFIG_FILES.includes(abs)
}

const BINDING_PATTERNS: RegExp[] = SPECS.flatMap((s) =>
  s.sos && s.scope !== 'file' && !LISTINGS[s.id] ? s.sos.paths.map(pathPattern) : [],
)

export interface ImportOptions {
  /** Roles by host name; otherwise inferred from the report. */
  roles?: ReadonlyMap<string, Role[]>
  /** An intent folder copied into the snapshot's intent/. */
  intentDir?: string
  /** Bounds for the archive reader. */
  maxMemberBytes?: number
}

interface OutFile {
  path: string
  data: Buffer
}

export interface ImportResult {
  manifest: Manifest
  files: OutFile[]
}

/** The report's own label for problems: `sosreport-ctl-…/sos_commands/…`. */
function where(archive: SosArchive, member: string): string {
  const top = archive.top || basename(archive.source)
  return member ? `${top}/${member}` : top
}

function memberText(archive: SosArchive, path: string): {member: string; text: string} | undefined {
  const m = resolveMember(archive, path)
  const buf = m && archive.contents.get(m.path)
  return buf ? {member: m.path, text: buf.toString('utf8')} : undefined
}

/** The sos version that made the report (version.txt: `sosreport: 4.0`). */
function sosVersion(archive: SosArchive): string | undefined {
  const txt = memberText(archive, 'version.txt')?.text
  return txt ? /sos(?:report)?:\s*(\S+)/i.exec(txt)?.[1] : undefined
}

/** Roles from what the report shows: neutron-server → control; a DHCP or L3 agent, or a qdhcp namespace → network;
 * nova-compute, libvirt domains or an OVS interface os-vif plugged for a VM (external_ids vm-uuid) → compute. */
export function inferRoles(outputs: ReadonlyMap<string, string>, archive: SosArchive): Role[] {
  const procs = parsePs(outputs.get('ps') ?? '').value.map((p) => p.argv.join(' '))
  const runs = (re: RegExp) => procs.some((a) => re.test(a))
  const roles: Role[] = []
  if (runs(/neutron-server/)) roles.push('control')
  const namespaces = parseIpNetns(outputs.get('ip_netns') ?? '').value.map((n) => n.name)
  if (runs(/neutron-(dhcp|l3)-agent/) || namespaces.some((n) => n.startsWith('qdhcp-'))) roles.push('network')
  let vmPorts = false
  const ifaces = outputs.get('ovs_vsctl_list_interface')
  if (ifaces) {
    const table = parseOvsdbJson(ifaces).value
    vmPorts = table.rows.some((r) => {
      const ids = r.external_ids
      return typeof ids === 'object' && !Array.isArray(ids) && 'map' in ids && ids.map.some(([k]) => k === 'vm-uuid')
    })
  }
  const domains = [...archive.members.keys()].some((p) => /^etc\/libvirt\/qemu\/[^/]+\.xml$/.test(p))
  if (runs(/nova-compute/) || domains || vmPorts) roles.push('compute')
  return roles
}

/** Import one sosreport as one host. */
function importOne(archive: SosArchive, opts: ImportOptions, used: Set<string>) {
  const problems: ManifestProblem[] = []
  const files: OutFile[] = []
  const captures: CaptureRecord[] = []
  const hostnameText = memberText(archive, 'sos_commands/host/hostname') ?? memberText(archive, 'hostname')
  let name = hostnameText?.text.trim().split('\n')[0]?.trim() ?? ''
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(name)) {
    const fallback = (archive.top || basename(archive.source)).replace(/^sosreport-/, '').replace(/[^\w.-]+/g, '_')
    problems.push({
      host: fallback,
      spec: 'hostname',
      kind: 'rejected',
      message: `${where(archive, hostnameText?.member ?? 'sos_commands/host/hostname')}: ${
        hostnameText ? 'not a host name' : 'missing'
      }; the host is named ${fallback} after the report`,
    })
    name = fallback
  }
  if (used.has(name)) throw new SosImportError(`two sosreports of host ${name}: ${archive.source} and an earlier one`)
  used.add(name)
  for (const p of archive.problems) {
    problems.push({host: name, spec: 'collect', kind: 'rejected', message: `${where(archive, p.member)}: ${p.message}`})
  }

  const outputs = new Map<string, string>()
  const written = new Set<string>()
  // Each capture's file is named after the member it came from (`hosts/<host>/sos_commands/…`), so a problem names
  // the member and its line; a converted member gets a suffix saying into what (its lines stay where they were).
  const record = (spec: CatalogSpec, key: string | undefined, hit?: {member: string; text: string; as?: string}) => {
    const dir = `hosts/${keyToFileName(name)}`
    if (!hit) {
      const paths = (spec.sos?.paths ?? []).map((p) => p.replace('{key}', key === undefined ? '' : mangleKey(key)))
      const first = spec.scope === 'file' && key ? key.replace(/^\/+/, '') : paths[0]!
      const others = spec.scope === 'file' ? [] : paths.slice(1)
      captures.push({
        spec: spec.id,
        ...(key !== undefined ? {key} : {}),
        argv: ['sos-member', where(archive, first)],
        file: `${dir}/${first}`,
        exitCode: null,
        durationMs: 0,
        startedAt: '',
        sha256: '',
        error: `not in the sosreport${others.length ? ` (nor ${others.join(', ')})` : ''}: sos plugin ${
          spec.sos?.plugin
        } not run, or its command failed`,
      })
      return
    }
    const argv = ['sos-member', where(archive, hit.member)]
    const file = `${dir}/${hit.member}${hit.as ? `.${hit.as}` : ''}`
    const data = Buffer.from(
      spec.id === 'file' && key !== undefined && CONFIG_FILES.includes(key) ? redactIni(hit.text) : hit.text,
      'utf8',
    )
    if (!written.has(file)) files.push({path: file, data})
    written.add(file)
    captures.push({
      spec: spec.id,
      ...(key !== undefined ? {key} : {}),
      argv,
      file,
      exitCode: 0,
      durationMs: 0,
      startedAt: '',
      sha256: captureSha256(data),
    })
  }
  const convert = (spec: CatalogSpec, hit: {member: string; text: string}) => {
    const conv = CONVERT[spec.id]
    if (!conv) return hit
    const out = conv.run(hit.text)
    for (const p of out.problems) {
      problems.push({
        host: name,
        spec: spec.id,
        kind: 'rejected',
        line: p.line,
        text: p.text,
        message: `${where(archive, hit.member)} line ${p.line}: ${p.message}`,
      })
    }
    return {member: hit.member, text: out.text, as: conv.as}
  }

  // Stage 1: the host-scoped specs.
  const hostSpecs = SPECS.filter((s) => s.scope === 'host' && s.sos && !NOT_FROM_SOS[s.id])
  const found = new Map<string, {member: string; text: string; as?: string}>()
  for (const spec of hostSpecs) {
    const listing = LISTINGS[spec.id]
    if (listing) {
      const text = findListing(archive, listing)
      if (text !== undefined) {
        found.set(spec.id, {member: spec.sos!.paths[0]!, text, as: 'find'})
        outputs.set(spec.id, text)
      }
      continue
    }
    for (const path of spec.sos!.paths) {
      const hit = memberText(archive, path)
      if (!hit) continue
      const converted = convert(spec, hit)
      found.set(spec.id, converted)
      outputs.set(spec.id, converted.text)
      break
    }
  }
  const roles = opts.roles?.get(name) ?? inferRoles(outputs, archive)
  for (const spec of hostSpecs) {
    const hit = found.get(spec.id)
    if (spec.roles && roles.length && !spec.roles.some((r) => roles.includes(r))) continue
    if (!hit && (spec.optional || spec.sos?.optional || LISTINGS[spec.id])) continue
    record(spec, undefined, hit)
  }

  // Stage 2: the scoped specs, for the keys stage 1 names (validated as for a live host).
  const scoped = SPECS.filter((s) => s.scope !== 'host' && s.sos && !NOT_FROM_SOS[s.id])
  const plan = followUps(scoped, roles, outputs)
  for (const p of plan.problems) {
    const from = found.get(p.spec)?.member
    problems.push({
      host: name,
      spec: p.spec,
      kind: p.kind,
      ...(p.line !== undefined ? {line: p.line} : {}),
      ...(p.text !== undefined ? {text: p.text} : {}),
      message: `${from ? `${where(archive, from)}${p.line ? ` line ${p.line}` : ''}: ` : ''}${p.message}`,
    })
  }
  // sos writes one file per command; two keys that mangle to the same name cannot be told apart.
  const mangled = new Map<string, Set<string>>()
  for (const {spec, key} of plan.captures) {
    if (spec.scope === 'file' || key === undefined) continue
    const set = mangled.get(`${spec.id}\0${mangleKey(key)}`) ?? new Set<string>()
    set.add(key)
    mangled.set(`${spec.id}\0${mangleKey(key)}`, set)
  }
  for (const {spec, key} of plan.captures) {
    const catalog = spec as CatalogSpec
    if (key === undefined) continue
    let hit: {member: string; text: string} | undefined
    if (spec.scope === 'file') hit = memberText(archive, key.replace(/^\/+/, ''))
    else {
      const same = mangled.get(`${spec.id}\0${mangleKey(key)}`)!
      if (same.size > 1) {
        problems.push({
          host: name,
          spec: spec.id,
          kind: 'rejected',
          text: key,
          message: `${[...same].map((k) => JSON.stringify(k)).join(' and ')} share one file name in the sosreport: neither is read`,
        })
        continue
      }
      for (const path of spec.sos!.paths) {
        hit = memberText(archive, path.replaceAll('{key}', mangleKey(key)))
        if (hit) break
      }
    }
    if (!hit && (spec.optional || spec.sos?.optional)) continue
    record(catalog, key, hit && convert(catalog, hit))
  }

  const version = sosVersion(archive)
  const failed = captures.filter((c) => c.error).length
  const host: HostRecord = {
    name,
    roles,
    status: failed === 0 ? 'complete' : failed === captures.length ? 'unreachable' : 'partial',
    captures,
  }
  if (failed === captures.length) host.error = `nothing neutrace reads was found in ${archive.source}`
  return {host, files, problems, about: `${name} from ${basename(archive.source)}${version ? ` (sos ${version})` : ''}`}
}

/** `find DIR… -maxdepth N [-name PAT] -type f` over the members: regular files only, as find prints them. */
function findListing(archive: SosArchive, listing: {dirs: string[]; maxDepth: number; name?: RegExp}) {
  const out: string[] = []
  let any = false
  for (const dir of listing.dirs) {
    const rel = dir.replace(/^\/+/, '').replace(/\/+$/, '')
    if (archive.members.get(rel)?.kind === 'directory') any = true
    for (const m of archive.members.values()) {
      if (m.kind !== 'file' || !m.path.startsWith(`${rel}/`)) continue
      const depth = m.path.slice(rel.length + 1).split('/').length
      if (depth > listing.maxDepth || (listing.name && !listing.name.test(m.path))) continue
      any = true
      out.push(`/${m.path}`)
    }
  }
  return any
    ? out
        .sort()
        .map((l) => `${l}\n`)
        .join('')
    : undefined
}

/** Is this path a sosreport (an archive sos makes, or a directory holding sos_commands/)? */
export async function isSosReport(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined)
  if (!st) return false
  if (st.isFile()) return /\.tar(\.(xz|gz|bz2))?$|\.t[gx]z$/.test(path)
  if (!st.isDirectory()) return false
  return (await lstat(join(path, 'sos_commands')).catch(() => undefined))?.isDirectory() ?? false
}

/** The sosreports a path names: itself, or (a folder without manifest.json) the sosreports directly inside it. */
export async function sosReportsIn(path: string): Promise<string[]> {
  if (await isSosReport(path)) return [path]
  const st = await lstat(path).catch(() => undefined)
  if (!st?.isDirectory() || (await lstat(join(path, 'manifest.json')).catch(() => undefined))) return []
  const out: string[] = []
  for (const name of (await readdir(path)).sort()) if (await isSosReport(join(path, name))) out.push(join(path, name))
  return out
}

/** Read sosreports into a snapshot (in memory). */
export async function importSosReports(sources: string[], opts: ImportOptions = {}): Promise<ImportResult> {
  if (!sources.length) throw new SosImportError('no sosreport given')
  const hosts: HostRecord[] = []
  const files: OutFile[] = []
  const problems: ManifestProblem[] = []
  const about: string[] = []
  const used = new Set<string>()
  for (const source of sources) {
    let archive: SosArchive
    try {
      archive = await readSosArchive(source, {want: wantedMember, maxMemberBytes: opts.maxMemberBytes})
    } catch (error) {
      throw new SosImportError(`${source}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
    }
    const one = importOne(archive, opts, used)
    hosts.push(one.host)
    files.push(...one.files)
    problems.push(...one.problems)
    about.push(one.about)
  }
  for (const name of opts.roles?.keys() ?? []) {
    if (!used.has(name)) throw new SosImportError(`--role ${name}: no sosreport of that host`)
  }
  const manifest: Manifest = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    toolVersion: toolVersion(),
    createdAt: new Date().toISOString(),
    source: 'sos',
    description: `imported from sosreports: ${about.join('; ')}`,
    hosts,
    ...(problems.length ? {problems} : {}),
  }
  return {manifest, files}
}

/** Write an imported snapshot to `out` (which must not exist), atomically: written aside, renamed when done. */
export async function writeImportedSnapshot(result: ImportResult, out: string, intentDir?: string): Promise<void> {
  const target = resolve(out)
  if (await lstat(target).catch(() => undefined)) throw new SosImportError(`${out} already exists`)
  const tmp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`)
  await rm(tmp, {recursive: true, force: true})
  try {
    for (const f of result.files) {
      await mkdir(dirname(join(tmp, f.path)), {recursive: true})
      await writeFile(join(tmp, f.path), f.data)
    }
    const manifest = {...result.manifest}
    if (intentDir !== undefined) {
      const names = (
        await readdir(intentDir).catch(() => {
          throw new SosImportError(`--intent ${intentDir}: cannot read the folder`)
        })
      )
        .filter((n) => /\.(json|txt)$/i.test(n))
        .sort()
      await mkdir(join(tmp, 'intent'), {recursive: true})
      for (const n of names) {
        // Regular files only (never a FIFO or a link), as the snapshot reader will read them.
        const read = await readRegularFile(join(intentDir, n), MAX_CAPTURE_BYTES)
        if ('error' in read) throw new SosImportError(`--intent ${join(intentDir, n)}: ${read.error}`)
        await writeFile(join(tmp, 'intent', n), read.buffer)
      }
      manifest.intent = names.map((n) => `intent/${n}`)
    }
    await mkdir(tmp, {recursive: true})
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    await rename(tmp, target)
  } catch (error) {
    await rm(tmp, {recursive: true, force: true})
    throw error
  }
}
