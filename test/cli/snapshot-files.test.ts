// readRegularFileSync reads a file whole into a buffer of the size fstat gave, and past it only into a scratch
// buffer: the whole text, whatever the size says (procfs files say 0), with nothing left over.

import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {readRegularFileSync} from '../../src/snapshot/files.js'

describe('readRegularFileSync', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutrace-files-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('reads files of every size whole, the buffer exactly the file', () => {
    for (const size of [0, 1, 4095, 8192, 65_536, 65_537, 300_001]) {
      const path = join(dir, `f${size}`)
      const bytes = Buffer.from(Array.from({length: size}, (_, i) => 97 + (i % 26)))
      writeFileSync(path, bytes)
      const read = readRegularFileSync(path, 1 << 20)
      if ('error' in read) throw new Error(read.error)
      expect(read.buffer.equals(bytes), `size ${size}`).toBe(true)
      expect(read.text).toBe(bytes.toString('utf8'))
    }
  })

  it('reads past the size fstat gives (procfs says 0 bytes)', () => {
    const read = readRegularFileSync('/proc/self/maps', 1 << 20)
    if ('error' in read) throw new Error(read.error)
    expect(read.text.length).toBeGreaterThan(1000)
    // The maps of the same process a moment later start with the same mapping.
    expect(read.text.split('\n')[0]).toBe(readFileSync('/proc/self/maps', 'utf8').split('\n')[0])
  })
})
