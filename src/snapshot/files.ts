// Reading files from a snapshot or an intent folder that may have been made by anyone: only regular files, never
// through a symlink, never a FIFO or a device (which would block or never end), never more than a bound.

import {closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync} from 'node:fs'
import {basename, dirname, sep} from 'node:path'

/**
 * Reads a file only if it is a regular file (lstat: not a symlink, FIFO, device or directory) and no larger than
 * `maxBytes`, and, with `within`, whose real path lies inside that directory. Opened with O_NONBLOCK and checked again
 * after opening, so a FIFO swapped in never blocks the reader.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  opts: {within?: string} = {},
): Promise<{buffer: Buffer; text: string} | {error: string}> {
  return readRegularFileSync(path, maxBytes, opts)
}

/**
 * readRegularFile in system calls made at once: a snapshot of 500 hosts is ~27,500 small files, and through
 * fs/promises each of their six calls (lstat, realpath, open, fstat, read, close) went through the thread pool and a
 * promise — more CPU than the reading. `realDirs` keeps the real path of each directory across calls: a regular file's
 * real path is its directory's plus its name, so one realpath per directory instead of one per file.
 */
export function readRegularFileSync(
  path: string,
  maxBytes: number,
  opts: {within?: string; realDirs?: Map<string, string | undefined>} = {},
): {buffer: Buffer; text: string} | {error: string} {
  let st
  try {
    st = lstatSync(path)
  } catch (error) {
    return {error: (error as NodeJS.ErrnoException).code ?? String(error)}
  }
  if (!st.isFile()) return {error: `not a regular file (${kindOf(st)})`}
  if (st.size > maxBytes) return {error: `${st.size} bytes, more than the ${maxBytes} this neutrace reads`}
  // A directory on the way may be a symlink: the real path must stay inside `within` (itself a real path).
  if (opts.within !== undefined) {
    const real = realFile(path, opts.realDirs)
    if (real === undefined || !real.startsWith(opts.within + sep)) return {error: 'resolves outside the snapshot'}
  }
  let fd: number | undefined
  try {
    // O_NONBLOCK | O_NOFOLLOW: neither a FIFO nor a symlink swapped in after the lstat can block or redirect the read.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    const again = fstatSync(fd)
    if (!again.isFile() || again.ino !== st.ino || again.dev !== st.dev) return {error: 'changed while being read'}
    const buffer = readToEnd(fd, again.size)
    return {buffer, text: buffer.toString('utf8')}
  } catch (error) {
    return {error: (error as NodeJS.ErrnoException).code ?? String(error)}
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** The real path of a file that lstat found regular (so not a link itself), its directory's real path cached. */
function realFile(path: string, realDirs?: Map<string, string | undefined>): string | undefined {
  const real = (p: string): string | undefined => {
    try {
      return realpathSync.native(p)
    } catch {
      return undefined
    }
  }
  if (!realDirs) return real(path)
  const dir = dirname(path)
  let realDir = realDirs.get(dir)
  if (realDir === undefined && !realDirs.has(dir)) realDirs.set(dir, (realDir = real(dir)))
  return realDir === undefined ? undefined : realDir === sep ? sep + basename(path) : realDir + sep + basename(path)
}

/** Where a read past the size fstat gave lands: it returns nothing unless the file grew since. */
const SCRATCH = Buffer.allocUnsafe(64 * 1024)

/** The whole file, however its size changed since fstat (as readFile reads it: until a read returns nothing). The
 * buffer has fstat's size: the read that finds the end goes into SCRATCH, so a file that kept its size (all of them,
 * nearly) is neither copied nor held in a buffer twice its size. */
function readToEnd(fd: number, size: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.max(size, 1))
  let length = 0
  for (;;) {
    if (length === buffer.length) {
      const n = readSync(fd, SCRATCH, 0, SCRATCH.length, null)
      if (n === 0) break
      const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + n))
      buffer.copy(grown, 0, 0, length)
      SCRATCH.copy(grown, length, 0, n)
      buffer = grown
      length += n
      continue
    }
    const n = readSync(fd, buffer, length, buffer.length - length, null)
    if (n === 0) break
    length += n
  }
  return buffer.subarray(0, length)
}

function kindOf(st: {
  isDirectory(): boolean
  isSymbolicLink(): boolean
  isFIFO(): boolean
  isSocket(): boolean
}): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isSymbolicLink()) return 'a symbolic link'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  return 'a device'
}
