// Reading a sosreport without unpacking it: a `.tar.xz` (sos's default), `.tar.gz`, `.tar.bz2`, `.tar`, or a directory
// sos (or an operator) already unpacked. One pass over the archive; only the members a caller wants are kept in
// memory, each up to a bound; nothing is written to disk. Members that escape the report's root (absolute paths,
// `..`), links that point outside it, devices, FIFOs and sockets are refused and recorded, never followed.
//
// tar is read by tar-stream (streaming, no extraction). gzip is Node's zlib. Node has no xz or bzip2 decoder and no
// well-kept pure JavaScript one reads xz streams fast enough for a report of hundreds of MB, so `xz -dc` and
// `bzip2 -dc` (xz-utils and bzip2, present wherever sos runs) decompress in a child process, fed the file by path.

import {spawn} from 'node:child_process'
import {createReadStream} from 'node:fs'
import {lstat, open, readdir, readlink} from 'node:fs/promises'
import {posix, join} from 'node:path'
import type {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

/** What a member of a sosreport is. */
export type MemberKind = 'file' | 'directory' | 'symlink' | 'hardlink'

export interface SosMember {
  /** Path relative to the report's root (`sos_commands/openvswitch/ovs-vsctl_-t_5_show`), no leading `/`. */
  path: string
  kind: MemberKind
  size: number
  /** A link's target as a path relative to the root, once checked to stay inside it. */
  target?: string
}

export interface SosProblem {
  /** The member (relative to the root) or the archive itself (''). */
  member: string
  message: string
}

export interface SosArchive {
  /** The file or directory given. */
  source: string
  /** The name of the report's top directory (`sosreport-ctl-2026-11-30-abcdef`), '' for a bare tree. */
  top: string
  /** Every member, by path (after the top directory). */
  members: Map<string, SosMember>
  /** The contents of the wanted regular files (links resolved by `text`). */
  contents: Map<string, Buffer>
  problems: SosProblem[]
}

export interface ReadOptions {
  /** Which members (paths relative to the root) to keep. */
  want: (path: string) => boolean
  /** The largest member kept; a larger wanted member is a problem, not read. Default 512 MiB. */
  maxMemberBytes?: number
  /** The most bytes kept in all. Default 2 GiB. */
  maxTotalBytes?: number
}

const DEFAULT_MEMBER = 512 * 1024 * 1024
const DEFAULT_TOTAL = 2 * 1024 * 1024 * 1024

/** Normalise a member name to a path inside the root, or say why it escapes. */
export function memberPath(name: string): {path: string} | {error: string} {
  if (name.includes('\0')) return {error: 'name holds a NUL byte'}
  if (name.startsWith('/')) return {error: 'absolute path'}
  const parts: string[] = []
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') return {error: 'path escapes the report (..)'}
    parts.push(part)
  }
  return {path: parts.join('/')}
}

/** A link's target, relative to the root, when it stays inside it. */
export function linkTarget(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined
  const joined = posix.normalize(posix.join(posix.dirname(linkPath), target))
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/')) return undefined
  return joined === '.' ? '' : joined
}

/** Which compression a file starts with. */
function compression(head: Buffer): 'xz' | 'gzip' | 'bzip2' | 'none' {
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2'
  return 'none'
}

async function firstBytes(path: string): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buf = Buffer.alloc(512)
    const {bytesRead} = await handle.read(buf, 0, 512, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** The tar stream of an archive file, decompressed; `done` rejects when the decompressor fails. */
function tarStream(path: string, kind: ReturnType<typeof compression>): {stream: Readable; done: Promise<void>} {
  if (kind === 'none' || kind === 'gzip') {
    const file = createReadStream(path)
    const stream = kind === 'gzip' ? file.pipe(createGunzip()) : file
    file.on('error', (e) => stream.destroy(e))
    return {stream, done: Promise.resolve()}
  }
  const argv = kind === 'xz' ? ['xz', '-dc', '--', path] : ['bzip2', '-dc', '--', path]
  const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe']})
  const err: Buffer[] = []
  child.stderr.on('data', (b: Buffer) => {
    if (err.length < 16) err.push(b)
  })
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`${argv[0]}: ${e.message}`)))
    child.on('close', (code, signal) => {
      // Stopped by us (the tar ended first) is not a failure.
      if (code === 0 || signal === 'SIGTERM') resolve()
      else reject(new Error(`${argv[0]} -dc failed (${code ?? signal}): ${Buffer.concat(err).toString().trim()}`))
    })
  })
  return {stream: child.stdout, done: done.finally(() => child.kill('SIGTERM'))}
}

/** The report's root directory: sos puts everything under one top directory; take it off. */
function splitTop(path: string): {top: string; rest: string} {
  const i = path.indexOf('/')
  return i < 0 ? {top: path, rest: ''} : {top: path.slice(0, i), rest: path.slice(i + 1)}
}

class Collector {
  readonly members = new Map<string, SosMember>()
  readonly contents = new Map<string, Buffer>()
  readonly problems: SosProblem[] = []
  total = 0
  constructor(readonly opts: ReadOptions) {}

  get maxMember(): number {
    return this.opts.maxMemberBytes ?? DEFAULT_MEMBER
  }
  /** May a wanted member of this size be kept? Records why not. */
  admit(path: string, size: number): boolean {
    if (size > this.maxMember) {
      this.problems.push({member: path, message: `${size} bytes, more than the ${this.maxMember} neutrace reads`})
      return false
    }
    if (this.total + size > (this.opts.maxTotalBytes ?? DEFAULT_TOTAL)) {
      this.problems.push({member: path, message: 'not read: the members read so far reach the bound on the total'})
      return false
    }
    return true
  }
  link(path: string, kind: 'symlink' | 'hardlink', target: string, base: string): void {
    // A hard link's name is relative to the archive's root, a symbolic link's to its own directory.
    const rel =
      kind === 'hardlink' ? memberPath(target) : {path: linkTarget(path, target) ?? '', bad: !linkTarget(path, target)}
    if ('error' in rel || ('bad' in rel && rel.bad)) {
      this.problems.push({
        member: path,
        message: `link to ${JSON.stringify(target)} points outside the report: refused`,
      })
      return
    }
    let to = rel.path
    if (kind === 'hardlink' && base) {
      const split = splitTop(to)
      if (split.top !== base) {
        this.problems.push({
          member: path,
          message: `hard link to ${JSON.stringify(target)} outside the report: refused`,
        })
        return
      }
      to = split.rest
    }
    this.members.set(path, {path, kind, size: 0, target: to})
  }
}

async function readTar(path: string, opts: ReadOptions, c: Collector): Promise<string> {
  // tar-stream is imported with the first archive: a command reading a snapshot directory checks whether it is a
  // sosreport (this module) but never opens a tar.
  const {default: tar} = await import('tar-stream')
  const kind = compression(await firstBytes(path))
  const {stream, done} = tarStream(path, kind)
  const extract = tar.extract()
  let top: string | undefined
  const finished = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, body, next) => {
      const drain = () => {
        body.on('end', next)
        body.resume()
      }
      const name = memberPath(header.name)
      if ('error' in name) {
        c.problems.push({member: header.name, message: `${name.error}: refused`})
        return drain()
      }
      const split = splitTop(name.path)
      top ??= split.top
      if (split.top !== top) {
        c.problems.push({member: name.path, message: `outside the report's directory ${top}: refused`})
        return drain()
      }
      const member = split.rest
      if (member === '') return drain()
      switch (header.type) {
        case 'directory':
          c.members.set(member, {path: member, kind: 'directory', size: 0})
          return drain()
        case 'symlink':
        case 'link':
          c.link(member, header.type === 'link' ? 'hardlink' : 'symlink', header.linkname ?? '', top)
          return drain()
        case 'file':
        case 'contiguous-file': {
          const size = header.size ?? 0
          c.members.set(member, {path: member, kind: 'file', size})
          if (!opts.want(member) || !c.admit(member, size)) return drain()
          const chunks: Buffer[] = []
          body.on('data', (b: unknown) => {
            chunks.push(b as Buffer)
          })
          body.on('end', () => {
            const buf = Buffer.concat(chunks)
            c.total += buf.length
            c.contents.set(member, buf)
            next()
          })
          return
        }
        default:
          c.problems.push({member, message: `a ${header.type} (not a regular file, directory or link): refused`})
          return drain()
      }
    })
    extract.on('finish', resolve)
    extract.on('error', reject)
    stream.on('error', reject)
  })
  stream.pipe(extract)
  try {
    await Promise.all([finished, done])
  } catch (error) {
    c.problems.push({member: '', message: `archive unreadable: ${(error as Error).message}`})
  }
  return top ?? ''
}

async function readTree(root: string, opts: ReadOptions, c: Collector): Promise<void> {
  // Breadth first, lstat only: a symlink is recorded as a link (checked like an archive's), never entered.
  const queue: string[] = ['']
  let seen = 0
  while (queue.length) {
    const dir = queue.shift()!
    let names: string[]
    try {
      names = await readdir(join(root, dir))
    } catch (error) {
      c.problems.push({member: dir, message: `cannot list: ${(error as NodeJS.ErrnoException).code ?? error}`})
      continue
    }
    for (const name of names.sort()) {
      if (++seen > 2_000_000) {
        c.problems.push({member: dir, message: 'more than 2,000,000 members: the rest not read'})
        return
      }
      const member = dir ? `${dir}/${name}` : name
      const full = join(root, member)
      const st = await lstat(full).catch(() => undefined)
      if (!st) continue
      if (st.isDirectory()) {
        c.members.set(member, {path: member, kind: 'directory', size: 0})
        queue.push(member)
      } else if (st.isSymbolicLink()) {
        c.link(member, 'symlink', await readlink(full), '')
      } else if (st.isFile()) {
        c.members.set(member, {path: member, kind: 'file', size: st.size})
        if (!opts.want(member) || !c.admit(member, st.size)) continue
        const handle = await open(full, 'r').catch(() => undefined)
        if (!handle) {
          c.problems.push({member, message: 'cannot open'})
          continue
        }
        try {
          const buf = await handle.readFile()
          c.total += buf.length
          c.contents.set(member, buf)
        } finally {
          await handle.close()
        }
      } else c.problems.push({member, message: 'not a regular file, directory or link: refused'})
    }
  }
}

/** Read a sosreport (archive or directory), keeping the wanted members. Never throws for a damaged report: what could
 * not be read is in `problems`. Throws only when `source` does not exist. */
export async function readSosArchive(source: string, opts: ReadOptions): Promise<SosArchive> {
  const st = await lstat(source)
  const c = new Collector(opts)
  let top = ''
  if (st.isDirectory()) await readTree(source, opts, c)
  else if (st.isFile()) top = await readTar(source, opts, c)
  else c.problems.push({member: '', message: 'neither a regular file nor a directory: refused'})
  return {source, top, members: c.members, contents: c.contents, problems: c.problems}
}

/** Follow links (inside the report, at most 8 deep) to the regular member a path names. */
export function resolveMember(archive: SosArchive, path: string): SosMember | undefined {
  let m = archive.members.get(path)
  for (let hops = 0; m && m.kind !== 'file' && hops < 8; hops++) {
    if (m.kind === 'directory' || m.target === undefined) return m
    m = archive.members.get(m.target)
  }
  return m?.kind === 'file' ? m : undefined
}
