// The README's table of finding codes is the catalog of src/analyze/codes.ts, word for word.

import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {FINDING_CODES} from '../../src/analyze/codes.js'

describe('README finding codes', () => {
  it('lists every code with its catalog sentence', async () => {
    const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    for (const [code, about] of Object.entries(FINDING_CODES))
      expect(readme, code).toContain(`| \`${code}\` | ${about} |`)
  })
})
