// libvirt domain XML: Nova's libvirt.xml (double quotes, Nova's element order), `virsh dumpxml` and the
// /etc/libvirt/qemu/ files (single quotes, reordered, with <alias>/<address>), and a bare <interface> fragment such as
// the seed quotes. xml2js is used synchronously: with its default `async: false`, parseString runs the sax parser and
// calls its callback before returning (checked in the test). It is also slow (an object per element through
// defineProperty, on top of sax), and a 500-host cloud has 20,000 of these files: `quickTree` builds the very tree
// xml2js would for the plain subset libvirt writes, and hands anything else to xml2js (see quickTree).

import {createRequire} from 'node:module'
import type * as Xml2js from 'xml2js'

import type {ParseProblem, ParseResult, VmDomain, VmInterface} from '../types.js'
import {clip} from '../text.js'
import {decimalIn, excerpt, MAX_INT32} from './bounds.js'

/** An element as xml2js gives it with default options: attributes under `$`, text under `_`, children as arrays. */
interface XmlNode {
  $?: Record<string, string>
  _?: string
  [child: string]: unknown
}

const FRAGMENT_ROOT = 'neutrace-fragment'
/** The largest domain definition read (real ones are 5–30 KB; sax takes ~1 ms per KB on a busy machine). */
const MAX_XML = 128 * 1024

/**
 * Parses a libvirt domain definition (or an <interface> fragment); never throws. `reference: true` always builds the
 * tree through xml2js (the tests compare the two).
 */
export function parseLibvirtXml(text: string, opts: {reference?: boolean} = {}): ParseResult<VmDomain> {
  const problems: ParseProblem[] = []
  const domain: VmDomain = {interfaces: []}
  const body = text.replace(/^\uFEFF/, '').trim()
  if (body === '') return {value: domain, problems: [{message: 'empty XML document'}]}
  // A domain definition is a few KB; the XML parser is not fast enough to read a runaway megabyte in bounded time.
  if (body.length > MAX_XML)
    return {
      value: domain,
      problems: [
        {
          line: 1,
          text: excerpt(body),
          message: `XML document of ${body.length} characters (more than ${MAX_XML}): not read`,
        },
      ],
    }

  const firstElement = firstElementName(body)
  if (firstElement === undefined)
    return {
      value: domain,
      problems: [{line: 1, text: body.split('\n', 1)[0].slice(0, 200), message: 'not XML: no element found'}],
    }
  let xml = body
  if (firstElement !== 'domain') {
    problems.push({
      line: 1,
      text: body.split('\n', 1)[0].slice(0, 200),
      message: 'no <domain> element: a fragment, VM uuid and name unknown',
    })
    xml = closeFragment(body, problems)
  }

  const quick = opts.reference ? undefined : quickTree(xml)
  const parsed = quick ? {value: quick} : parseXml(xml)
  if ('error' in parsed) {
    problems.push(parsed.error)
    return {value: domain, problems}
  }
  const rootValue = parsed.value[firstElement === 'domain' ? 'domain' : FRAGMENT_ROOT]
  // xml2js gives the root element itself, not a one-element array like every child.
  const root = isNode(rootValue) ? rootValue : one(rootValue)
  if (!root) return {value: domain, problems}

  if (firstElement === 'domain') {
    const uuid = textOf(one(root.uuid))
    const name = textOf(one(root.name))
    const novaName = textOf(one(one(one(root.metadata)?.['nova:instance'])?.['nova:name']))
    if (uuid) domain.uuid = uuid
    if (name) domain.name = name
    if (novaName) domain.novaName = novaName
  }
  // A fragment may be the <interface> elements themselves or a <devices> block holding them.
  const interfaces = [
    ...(firstElement === 'domain' ? [] : many(root.interface)),
    ...many(root.devices).flatMap((devices) => many(devices.interface)),
  ]
  interfaces.forEach((node, index) => {
    const vif = readInterface(node, index, problems)
    if (!vif.type) problems.push({message: `interface #${index + 1} has no type attribute`})
    domain.interfaces.push(vif)
  })
  return {value: domain, problems}
}

const NAME = /[A-Za-z_][\w:.-]*/y

/** The name of the first element, past declarations, comments and DOCTYPE. A scan with indexOf, linear on any input:
 * a regex that strips `<!--[\s\S]*?-->` is quadratic on a long run of unclosed `<!--`. An unclosed construct is
 * skipped over like the regex left it, so the element search goes on after it. */
function firstElementName(body: string): string | undefined {
  /** Closers known to be absent from some point on: absent from every later point too (no search twice). */
  const absent = new Set<string>()
  let i = body.indexOf('<')
  while (i >= 0) {
    const [open, close] = body.startsWith('<?', i)
      ? ['<?', '?>']
      : body.startsWith('<!--', i)
        ? ['<!--', '-->']
        : body.startsWith('<!DOCTYPE', i)
          ? ['<!DOCTYPE', '>']
          : []
    if (open && close) {
      const end = absent.has(close) ? -1 : body.indexOf(close, i + open.length)
      if (end < 0) absent.add(close)
      else {
        i = body.indexOf('<', end + close.length)
        continue
      }
    } else {
      NAME.lastIndex = i + 1
      const name = NAME.exec(body)?.[0]
      if (name) return name
    }
    i = body.indexOf('<', i + 1)
  }
  return undefined
}

/** Wraps a fragment in one root, closing <interface> elements that the quote left open (the seed's is). */
function closeFragment(body: string, problems: ParseProblem[]): string {
  const opened = body.match(/<interface[\s>]/g)?.length ?? 0
  const closed = body.match(/<\/interface\s*>/g)?.length ?? 0
  let closing = ''
  if (opened > closed) {
    problems.push({message: `fragment leaves ${opened - closed} <interface> element(s) unclosed: closed at the end`})
    closing = '</interface>'.repeat(opened - closed)
  }
  const withoutDecl = body.replace(/^<\?xml[\s\S]*?\?>/, '')
  return `<${FRAGMENT_ROOT}>${withoutDecl}${closing}</${FRAGMENT_ROOT}>`
}

// xml2js is required (synchronously, like the parse) the first time quickTree hands it a document: most snapshots
// never need it, and every command that reads one imports this module.
const require = createRequire(import.meta.url)

function parseXml(xml: string): {value: Record<string, unknown>} | {error: ParseProblem} {
  const {Parser} = require('xml2js') as typeof Xml2js
  let result: {value: Record<string, unknown>} | {error: ParseProblem} | undefined
  try {
    new Parser({async: false}).parseString(xml, (error: Error | null, value: unknown) => {
      // sax may report more than one error; the first one is the cause.
      if (result) return
      if (error) result = {error: xmlProblem(error)}
      else if (typeof value === 'object' && value !== null) result = {value: value as Record<string, unknown>}
      else result = {error: {message: 'XML document has no root element'}}
    })
  } catch (error) {
    result ??= {error: xmlProblem(error as Error)}
  }
  return result ?? {error: {message: 'XML parser returned nothing'}}
}

/** Above this, sax cuts or refuses a token (its 64 KiB buffers): left to xml2js. Domain definitions are 5–30 KB. */
const QUICK_MAX = 60 * 1024
/** 1: may start a name (ASCII letters, `_`, `:`), 2: may follow (also digits, `.`, `-`). */
const NAME_CHAR = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  if (/[A-Za-z_:]/.test(ch)) NAME_CHAR[c] = 1
  else if (/[0-9.-]/.test(ch)) NAME_CHAR[c] = 2
}
/** Where the ASCII name starting at `at` ends (`at` itself when none starts there). */
function nameEnd(xml: string, at: number): number {
  if (NAME_CHAR[xml.charCodeAt(at)] !== 1) return at
  let k = at + 1
  while (NAME_CHAR[xml.charCodeAt(k)]) k++
  return k
}
/** Whitespace as sax sees it. */
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d

/**
 * The tree xml2js gives with its default options — `{root: node}`, attributes under `$`, text under `_` (dropped when
 * only whitespace), children as arrays, a node of only text as its string, an empty one as its whitespace — for the
 * plain XML libvirt and Nova write: an optional `<?xml …?>` first, comments, elements with ASCII names, attributes
 * quoted and written `name="value"`, text and attribute values without entities or carriage returns. Anything else —
 * CDATA, DOCTYPE, an entity, a processing instruction further on, a name xml2js keys by (`_`) or an object
 * already has (`constructor`, `__proto__`: xml2js's `in` test sees them), a duplicate
 * attribute, a comment sax calls malformed, a mismatched or missing close tag, a token as long as sax's buffers — is
 * undefined: xml2js reads it, so every error and every odd case stays exactly what it was. Like xml2js, it stops when
 * the root element closes.
 */
export function quickTree(xml: string): Record<string, unknown> | undefined {
  const n = xml.length
  if (n > QUICK_MAX) return undefined
  let i = 0
  if (xml.startsWith('<?xml', 0)) {
    const end = xml.indexOf('?>', 5)
    if (end < 0 || !isSpace(xml.charCodeAt(5))) return undefined
    const body = xml.slice(5, end)
    if (body.includes('<') || body.includes('>') || body.includes('?')) return undefined
    i = end + 2
  }
  /** Each open element, with how many keys besides `_` its node has (`$`, one per child name). */
  const stack: {name: string; node: XmlNode; keys: number; text: string}[] = []
  while (i < n) {
    const lt = xml.indexOf('<', i)
    if (lt < 0) return undefined // text after the last tag, or the root left open
    if (lt > i) {
      const text = xml.slice(i, lt)
      if (!stack.length) {
        // Outside the root only whitespace is plain (sax fails on anything else).
        for (let k = 0; k < text.length; k++) if (!isSpace(text.charCodeAt(k))) return undefined
      } else {
        if (text.includes('&') || text.includes('\r')) return undefined
        stack[stack.length - 1].text += text
      }
    }
    const c = xml.charCodeAt(lt + 1)
    if (c === 0x21 /* ! */) {
      if (!xml.startsWith('<!--', lt)) return undefined
      const end = xml.indexOf('-->', lt + 4)
      if (end < 0) return undefined
      const body = xml.slice(lt + 4, end)
      if (body.includes('--') || body.endsWith('-')) return undefined
      i = end + 3
      continue
    }
    if (c === 0x2f /* / */) {
      let k = nameEnd(xml, lt + 2)
      const top = stack.pop()
      if (k === lt + 2 || !top || k - lt - 2 !== top.name.length || !xml.startsWith(top.name, lt + 2)) return undefined
      const name = top.name
      while (isSpace(xml.charCodeAt(k))) k++
      if (xml.charCodeAt(k) !== 0x3e /* > */) return undefined
      i = k + 1
      const value = closeNode(top.node, top.keys, top.text)
      if (!stack.length) return {[name]: value}
      pushChild(stack[stack.length - 1], name, value)
      continue
    }
    let k = nameEnd(xml, lt + 1)
    const name = xml.slice(lt + 1, k)
    if (!name || name === '_' || name in Object.prototype) return undefined
    const node: XmlNode = {}
    let keys = 0
    let selfClosing = false
    for (;;) {
      const spaced = isSpace(xml.charCodeAt(k))
      while (isSpace(xml.charCodeAt(k))) k++
      const d = xml.charCodeAt(k)
      if (d === 0x3e /* > */) {
        k++
        break
      }
      if (d === 0x2f /* / */) {
        if (xml.charCodeAt(k + 1) !== 0x3e) return undefined
        selfClosing = true
        k += 2
        break
      }
      if (!spaced) return undefined
      const attrEnd = nameEnd(xml, k)
      const attr = xml.slice(k, attrEnd)
      if (!attr || attr in Object.prototype) return undefined
      k = attrEnd
      const quote = xml.charCodeAt(k + 1)
      if (xml.charCodeAt(k) !== 0x3d /* = */ || (quote !== 0x22 && quote !== 0x27)) return undefined
      let end = k + 2
      for (let q = xml.charCodeAt(end); q !== quote; q = xml.charCodeAt(++end)) {
        // < & CR LF TAB, or the end of the text (NaN)
        if (q === 0x3c || q === 0x26 || q === 0x0d || q === 0x0a || q === 0x09 || q !== q) return undefined
      }
      const value = xml.slice(k + 2, end)
      if (!node.$) {
        node.$ = {}
        keys++
      }
      if (Object.prototype.hasOwnProperty.call(node.$, attr)) return undefined
      node.$[attr] = value
      k = end + 1
    }
    i = k
    if (selfClosing) {
      const value = closeNode(node, keys, '')
      if (!stack.length) return {[name]: value}
      pushChild(stack[stack.length - 1], name, value)
    } else stack.push({name, node, keys, text: ''})
  }
  return undefined
}

/** What xml2js makes of an element when it closes (its onclosetag with default options): `keys` the node's keys (`$`
 * and one per child name), `text` its own text. */
function closeNode(node: XmlNode, keys: number, text: string): unknown {
  if (!keys) return text
  if (!blank(text)) node._ = text
  return node
}

/** /^\s*$/ (xml2js's test), without a regular expression for the usual ASCII text. */
function blank(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k)
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) continue
    return c < 0x80 ? false : /^\s*$/.test(text.slice(k))
  }
  return true
}

function pushChild(parent: {node: XmlNode; keys: number}, name: string, value: unknown): void {
  const list = parent.node[name]
  if (Array.isArray(list)) list.push(value)
  else {
    parent.node[name] = [value]
    parent.keys++
  }
}

/** sax messages end with `Line: N` (0-based) and `Column: N`. */
function xmlProblem(error: Error): ParseProblem {
  const message = String(error.message ?? error)
  const line = /Line:\s*(\d+)/.exec(message)
  const first = message.split('\n', 1)[0]
  return line ? {line: Number(line[1]) + 1, message: `invalid XML: ${first}`} : {message: `invalid XML: ${first}`}
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function many(value: unknown): XmlNode[] {
  if (!Array.isArray(value)) return []
  return value.map((item: unknown) => (typeof item === 'string' ? {_: item} : item)).filter(isNode)
}

function one(value: unknown): XmlNode | undefined {
  return many(value)[0]
}

function textOf(node: XmlNode | undefined): string | undefined {
  const text = node?._?.trim()
  return text === '' ? undefined : text
}

function attr(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.$?.[name]
  return typeof value === 'string' ? value : undefined
}

function readInterface(node: XmlNode, index: number, problems: ParseProblem[]): VmInterface {
  const vif: VmInterface = {type: attr(node, 'type') ?? ''}
  const source = one(node.source)
  const mac = attr(one(node.mac), 'address')
  if (mac) vif.mac = mac.toLowerCase()
  const bridge = attr(source, 'bridge')
  if (bridge) vif.sourceBridge = bridge
  const target = attr(one(node.target), 'dev')
  if (target) vif.targetDev = target
  const model = attr(one(node.model), 'type')
  if (model) vif.model = model
  const mtu = attr(one(node.mtu), 'size')
  if (mtu !== undefined) {
    const size = decimalIn(mtu, 0, MAX_INT32)
    if (size === undefined)
      problems.push({text: clip(mtu), message: `interface #${index + 1}: mtu size out of range (0–${MAX_INT32})`})
    else vif.mtu = size
  }
  const virtualPort = one(node.virtualport)
  if (virtualPort) {
    const interfaceId = attr(one(virtualPort.parameters), 'interfaceid')
    vif.virtualPort = {type: attr(virtualPort, 'type') ?? ''}
    if (interfaceId) vif.virtualPort.interfaceId = interfaceId
  }
  const path = attr(source, 'path')
  if (path && vif.type === 'vhostuser') vif.vhostPath = path
  return vif
}
