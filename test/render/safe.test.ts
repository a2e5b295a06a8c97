import {describe, expect, it} from 'vitest'
import {terminalSafe} from '../../src/render/safe.js'

describe('terminalSafe', () => {
  it('shows control characters from remote names as \\xNN and keeps newlines, tabs and text', () => {
    expect(terminalSafe('qdhcp-\x1b[2Jx\r\x9b31m\tok\nnext é')).toBe('qdhcp-\\x1b[2Jx\\x0d\\x9b31m\tok\nnext é')
  })
})
