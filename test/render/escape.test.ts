// Escaping at the boundary, once per medium: terminal text, DOT, HTML, JSON, and shell commands in remedies. Names come
// from hosts and tenants; each test feeds the escaper the names an attacker would pick.

import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {dotLabel, dotString, escapeHtml, escapeTerminal, renderJson, terminalSafe} from '../../src/render/escape.js'
import {sh, shellWord} from '../../src/render/shell.js'
import {renderTable} from '../../src/render/table.js'

const HOSTILE = [
  'net1\nVerdict: DELIVERED — forged',
  'No findings: the hosts match\r\nwhat Neutron expects.',
  'vm\x1b[2J\x1b]0;owned\x07',
  'c1\x9b31m\x85next\x8d',
  'bidi\u202etxt.exe\u2066',
  'sep\u2028line\u2029para',
  'tab\there\x7f',
]
/** Raw control characters a terminal would obey (newline included: inside a field it forges a line). */
const RAW_CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u

describe('terminalSafe', () => {
  it('shows control characters from remote names as \\xNN and keeps newlines, tabs and text', () => {
    expect(terminalSafe('qdhcp-\x1b[2Jx\r\x9b31m\tok\nnext é')).toBe('qdhcp-\\x1b[2Jx\\x0d\\x9b31m\tok\nnext é')
  })
})

describe('escapeTerminal: one field of terminal text', () => {
  it('escapes every control character, newline and tab included, and keeps the rest', () => {
    expect(escapeTerminal('net1\nVerdict: DELIVERED')).toBe('net1\\x0aVerdict: DELIVERED')
    expect(escapeTerminal('a\tb\x1b[31m\x9bc\x7f')).toBe('a\\x09b\\x1b[31m\\x9bc\\x7f')
    expect(escapeTerminal('bidi\u202etxt')).toBe('bidi\\u202etxt')
    expect(escapeTerminal('Oracle Linux é ü 日本')).toBe('Oracle Linux é ü 日本')
    for (const h of HOSTILE) expect(escapeTerminal(h)).not.toMatch(RAW_CONTROL)
  })

  it('is idempotent under the whole-output guard', () => {
    for (const h of HOSTILE) expect(terminalSafe(escapeTerminal(h))).toBe(escapeTerminal(h))
  })

  it('a table cell with a newline stays one row', () => {
    const table = renderTable(
      ['Host', 'Message'],
      [
        ['compute-1', HOSTILE[0]],
        ['x', HOSTILE[1]],
      ],
    )
    expect(table.split('\n')).toHaveLength(6)
    expect(table).not.toMatch(/^Verdict/m)
    expect(table).not.toMatch(/^No findings/m)
    expect(table.replace(/\n/g, '')).not.toMatch(RAW_CONTROL)
  })
})

describe('DOT', () => {
  it('quotes and escapes: no raw control character, no line break or quote a name controls', () => {
    for (const h of HOSTILE) {
      const s = dotString(h + '"];\nevil -> x [label="')
      expect(s).not.toMatch(RAW_CONTROL)
      expect(s.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*"/)
    }
    expect(dotString('a\\nb')).toBe('"a\\\\nb"')
    expect(dotString('x\ny')).toBe('"x\\\\x0ay"')
    expect(dotLabel('host', 'br"int', 'VLAN 3')).toBe('"host\\nbr\\"int\\nVLAN 3"')
  })

  it('Graphviz reads the escaped names back as one node each (needs graphviz: test/lab/deps.sh installs it)', () => {
    const graph = [
      'graph g {',
      ...HOSTILE.map((h, i) => `  n${i} [label=${dotString(h + '"];\nevil [label="x')}];`),
      '}',
    ].join('\n')
    const plain = execFileSync('dot', ['-Tplain'], {input: graph}).toString()
    expect(plain.split('\n').filter((l) => l.startsWith('node '))).toHaveLength(HOSTILE.length)
    expect(plain).not.toMatch(/^node evil/m)
  })
})

describe('HTML', () => {
  it('escapes markup and control characters for text and quoted attributes', () => {
    expect(escapeHtml(`<script>alert('x')</script>&"`)).toBe(
      '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;',
    )
    expect(escapeHtml('a\nb\x1b\x9b')).toBe('a\\x0ab\\x1b\\x9b')
    for (const h of HOSTILE) expect(escapeHtml(h)).not.toMatch(/[<>"'\p{Cc}\u202e]/u)
  })
})

describe('JSON', () => {
  it('carries no raw C1 or bidi control, and reads back to the same names', () => {
    const doc = {names: HOSTILE, nested: {name: 'x\x85y\x9b'}}
    const text = renderJson(doc)
    expect(text.replace(/\n/g, '')).not.toMatch(RAW_CONTROL)
    expect(JSON.parse(text)).toEqual(doc)
    expect(text).toBe(renderJson(JSON.parse(text)))
  })
})

describe('shell commands in remedies', () => {
  const words = [
    '$(touch /tmp/neutrace-pwned)',
    '`touch /tmp/neutrace-pwned`',
    'a;touch /tmp/neutrace-pwned',
    "it's",
    'a b',
    '"q"',
    'x|y&z',
    '*',
    '~root',
    'a\\b',
  ]

  it('quotes each name as one word that a real shell reads back unchanged, running nothing it holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'neutrace-sh-'))
    try {
      writeFileSync(join(dir, 'a-file'), '')
      for (const w of words) {
        const cmd = sh`printf '%s\\n' ${w} tag=${3}`
        const out = execFileSync('bash', ['-c', cmd], {
          cwd: dir,
          env: {PATH: process.env.PATH, HOME: '/nonexistent'},
        }).toString()
        expect(out, cmd).toBe(`${w}\ntag=3\n`)
        expect(shellWord(w)).not.toBe(w)
      }
      expect(existsSync('/tmp/neutrace-pwned')).toBe(false)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('prints no command when a name fails validation, and says why', () => {
    for (const [name, why] of [
      ['eth2\nreboot', 'control characters'],
      ['br\x1b[2J', 'control characters'],
      ['c1\x9b', 'control characters'],
      ['--help', "starts with '-'"],
      ['', 'empty'],
      ['x'.repeat(300), '300 characters'],
    ] as const) {
      const out = sh`ip link set ${name} up`
      expect(out).toMatch(/^\[no command printed: /)
      expect(out).toContain(why)
      expect(out).not.toContain('ip link set')
      expect(out).not.toMatch(RAW_CONTROL)
    }
  })

  it('leaves plain names and numbers bare', () => {
    expect(sh`brctl addif ${'qbr53903a95-82'} ${'qvb53903a95-82'}`).toBe('brctl addif qbr53903a95-82 qvb53903a95-82')
    expect(
      sh`ovs-ofctl add-flow ${'br-eth2'} ${'priority=4,in_port=phy-br-eth2,dl_vlan=3 actions=mod_vlan_vid:1000,NORMAL'}`,
    ).toBe("ovs-ofctl add-flow br-eth2 'priority=4,in_port=phy-br-eth2,dl_vlan=3 actions=mod_vlan_vid:1000,NORMAL'")
  })
})
