// parseLibvirtXml's quick tree (plain XML read by hand) against xml2js, kept as the reference: the same domain and the
// same problems on every libvirt definition in fixtures/ and on thousands of damaged copies of them; and where the
// quick reader answers at all, the very tree xml2js builds.

import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {isDeepStrictEqual} from 'node:util'
import {describe, expect, it} from 'vitest'
import {Parser} from 'xml2js'
import {parseLibvirtXml, quickTree} from '../../src/parsers/libvirt-xml.js'

const ROOT = join(import.meta.dirname, '..', '..', 'fixtures')

/** Every libvirt definition in fixtures/: the samples and the snapshots' capture files that hold a <domain>. */
function definitions(): {name: string; text: string}[] {
  const out: {name: string; text: string}[] = []
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, e.name)
      if (e.isDirectory()) walk(path)
      else if (/\.(xml|out)$/.test(e.name)) {
        const text = readFileSync(path, 'utf8')
        if (text.includes('<domain') || text.includes('<interface')) out.push({name: path.slice(ROOT.length + 1), text})
      }
    }
  }
  walk(join(ROOT, 'samples', 'libvirt'))
  walk(join(ROOT, 'snapshots'))
  walk(join(ROOT, 'sos'))
  return out
}

/** xml2js's tree of a document that it reads without error (the first callback wins, as in the parser). */
function xml2jsTree(xml: string): unknown {
  let result: {value: unknown} | undefined
  try {
    new Parser({async: false}).parseString(xml, (error: Error | null, value: unknown) => {
      result ??= error ? {value: 'error'} : {value}
    })
  } catch {
    result ??= {value: 'error'}
  }
  return result?.value
}

/** A small deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = [
  '<',
  '>',
  '/',
  '/>',
  '"',
  "'",
  '=',
  '&',
  '&amp;',
  '&#x41;',
  ' ',
  '\n',
  '\r\n',
  '\t',
  '<!--',
  '-->',
  '--',
  '<![CDATA[x]]>',
  '<?xml version="1.0"?>',
  '<?pi x?>',
  '<!DOCTYPE domain>',
  '<_>',
  '</_>',
  '<constructor/>',
  '<__proto__/>',
  'é',
  '<interface type="bridge">',
  '</interface>',
  '<mac address="FA:16:3E:00:00:01"/>',
  '<target dev="tapx"/>',
  '<mtu size="99999999999"/>',
  '<mtu size="1450"/>',
  '<uuid>u</uuid>',
  '<name>n</name>',
  ' a="1"',
  ' a="1" a="2"',
  '<devices>',
  '</devices>',
  '</domain>',
  '<domain>',
  'x',
  ':',
  '\uFEFF',
  '<a:b c:d="e"/>',
  ' toString="x"',
]

function damage(text: string, rnd: () => number): string {
  const at = () => Math.floor(rnd() * (text.length + 1))
  const edits = 1 + Math.floor(rnd() * 3)
  for (let e = 0; e < edits; e++) {
    const i = at()
    const kind = Math.floor(rnd() * 5)
    if (kind === 0)
      text = text.slice(0, i) // truncated
    else if (kind === 1)
      text = text.slice(0, i) + text.slice(i + 1 + Math.floor(rnd() * 20)) // bytes lost
    else if (kind === 2) text = text.slice(0, i) + PIECES[Math.floor(rnd() * PIECES.length)] + text.slice(i)
    else if (kind === 3) {
      const j = at()
      text = text.slice(0, i) + text.slice(Math.min(i, j), Math.max(i, j)) + text.slice(i) // a stretch repeated
    } else text = text.replace(/"/, "'") // quotes mixed
  }
  return text
}

describe('the quick libvirt reader', () => {
  const docs = definitions()

  it('finds the libvirt definitions of fixtures/', () => {
    expect(docs.length).toBeGreaterThanOrEqual(10)
  })

  it('reads every definition of fixtures/ itself (no fallback), to the same domain and problems as xml2js', () => {
    for (const {name, text} of docs) {
      const quick = parseLibvirtXml(text)
      expect(quick, name).toEqual(parseLibvirtXml(text, {reference: true}))
      if (text.trim().startsWith('<domain') || text.trim().startsWith('<?xml'))
        expect(quickTree(text.trim()), name).toEqual(xml2jsTree(text.trim()))
    }
  })

  it('gives what xml2js gives on 2,000 damaged copies, and its tree is xml2js tree wherever it answers', () => {
    const rnd = random(13)
    let quick = 0
    for (let n = 0; n < 2000; n++) {
      const {name, text} = docs[n % docs.length]
      const bad = damage(text, rnd)
      const got = parseLibvirtXml(bad)
      const want = parseLibvirtXml(bad, {reference: true})
      if (!isDeepStrictEqual(got, want)) expect(got, `${name} #${n}: ${JSON.stringify(bad)}`).toEqual(want)
      const tree = quickTree(bad.trim())
      if (tree !== undefined) {
        quick++
        const reference = xml2jsTree(bad.trim())
        if (!isDeepStrictEqual(tree, reference))
          expect(tree, `${name} #${n}: ${JSON.stringify(bad)}`).toEqual(reference)
      }
    }
    // Some damage leaves plain XML (a stretch repeated inside a text, an attribute added): the quick path ran on it.
    expect(quick).toBeGreaterThan(100)
  })

  it('hands the odd but valid cases to xml2js', () => {
    for (const xml of [
      '<domain><name>a &amp; b</name></domain>',
      '<domain><name><![CDATA[x]]></name></domain>',
      '<!DOCTYPE domain><domain/>',
      '<domain><_>x</_></domain>',
      '<domain><constructor/></domain>',
      '<domain a="1" a="2"/>',
      '<domain a = "1"/>',
      '<domain><name>a\r\nb</name></domain>',
      '<domain><!-- a -- b --></domain>',
    ])
      expect(quickTree(xml), xml).toBeUndefined()
    expect(quickTree('<?xml version="1.0"?>\n<!-- c --><domain a="1"><name> n </name><x/></domain>')).toEqual(
      xml2jsTree('<?xml version="1.0"?>\n<!-- c --><domain a="1"><name> n </name><x/></domain>'),
    )
  })
})
