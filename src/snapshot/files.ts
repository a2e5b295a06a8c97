// Reading files from a snapshot or an intent folder that may have been made by anyone: only regular files, never
// through a symlink, never a FIFO or a device (which would block or never end), never more than a bound.

import {constants} from 'node:fs'
import {lstat, open, realpath} from 'node:fs/promises'
import {sep} from 'node:path'

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
  let st
  try {
    st = await lstat(path)
  } catch (error) {
    return {error: (error as NodeJS.ErrnoException).code ?? String(error)}
  }
  if (!st.isFile()) return {error: `not a regular file (${kindOf(st)})`}
  if (st.size > maxBytes) return {error: `${st.size} bytes, more than the ${maxBytes} this neutrace reads`}
  // A directory on the way may be a symlink: the real path must stay inside `within` (itself a real path).
  if (opts.within !== undefined) {
    const real = await realpath(path).catch(() => undefined)
    if (real === undefined || !real.startsWith(opts.within + sep)) return {error: 'resolves outside the snapshot'}
  }
  let handle
  try {
    // O_NONBLOCK | O_NOFOLLOW: neither a FIFO nor a symlink swapped in after the lstat can block or redirect the read.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    const again = await handle.stat()
    if (!again.isFile() || again.ino !== st.ino || again.dev !== st.dev) return {error: 'changed while being read'}
    const buffer = await handle.readFile()
    return {buffer, text: buffer.toString('utf8')}
  } catch (error) {
    return {error: (error as NodeJS.ErrnoException).code ?? String(error)}
  } finally {
    await handle?.close()
  }
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
