// OpenSSH known_hosts: parse, look up and append. Host keys are compared as raw key blobs (the bytes the server sends
// in its KEX reply), never by fingerprint string alone.
//
//   [@marker] patterns keytype base64-blob [comment]
//   patterns: comma-separated, `*`/`?` wildcards, `!` negation, `[host]:port` for non-22 ports,
//             or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`

import {createHash, createHmac} from 'node:crypto'
import type {ParseProblem, ParseResult} from '../types.js'

export interface KnownHostEntry {
  file: string
  /** 1-based line in the file. */
  line: number
  marker?: 'cert-authority' | 'revoked'
  /** Plain patterns, or undefined when the entry is hashed. */
  patterns?: string[]
  hashed?: {salt: Buffer; hash: Buffer}
  keyType: string
  key: Buffer
}

export type HostKeyVerdict =
  | {status: 'known'; entry: KnownHostEntry}
  | {status: 'unknown'}
  | {status: 'changed'; expected: KnownHostEntry[]}
  | {status: 'revoked'; entry: KnownHostEntry}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`
}

/** The key type written inside a key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...). */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const len = blob.readUInt32BE(0)
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined
  return blob.subarray(4, 4 + len).toString('latin1')
}

/** `SHA256:<base64, no padding>`, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${body}$`)
}

function matchesPatterns(patterns: string[], name: string): boolean {
  let hit = false
  for (const raw of patterns) {
    const negated = raw.startsWith('!')
    const re = globToRegExp(negated ? raw.slice(1) : raw)
    if (!re.test(name)) continue
    if (negated) return false
    hit = true
  }
  return hit
}

/** Does this entry name `name` (as made by knownHostName)? */
function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest()
    return mac.equals(entry.hashed.hash)
  }
  return matchesPatterns(entry.patterns ?? [], name)
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

function parseHashed(field: string): {salt: Buffer; hash: Buffer} | undefined {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(field)
  if (!m || !BASE64.test(m[1]) || !BASE64.test(m[2])) return undefined
  const salt = Buffer.from(m[1], 'base64')
  const hash = Buffer.from(m[2], 'base64')
  return salt.length === 20 && hash.length === 20 ? {salt, hash} : undefined
}

function parseLine(text: string, line: number, file: string): KnownHostEntry | ParseProblem | undefined {
  const trimmed = text.trim()
  if (trimmed === '' || trimmed.startsWith('#')) return undefined
  const fields = trimmed.split(/\s+/)
  let marker: KnownHostEntry['marker']
  if (fields[0].startsWith('@')) {
    const m = fields.shift()!
    if (m === '@cert-authority') marker = 'cert-authority'
    else if (m === '@revoked') marker = 'revoked'
    else return {line, text: trimmed.slice(0, 200), message: `unknown marker ${m}`}
  }
  if (fields.length < 3) return {line, text: trimmed.slice(0, 200), message: 'expected: hosts keytype key'}
  const [hosts, keyType, keyText] = fields
  if (!BASE64.test(keyText)) return {line, text: trimmed.slice(0, 200), message: 'the key is not base64'}
  const key = Buffer.from(keyText, 'base64')
  if (keyTypeOf(key) !== keyType)
    return {line, text: trimmed.slice(0, 200), message: `the key blob is not of type ${keyType}`}
  if (hosts.startsWith('|')) {
    const hashed = parseHashed(hosts)
    if (!hashed) return {line, text: trimmed.slice(0, 200), message: 'malformed hashed host name'}
    return {file, line, marker, hashed, keyType, key}
  }
  return {file, line, marker, patterns: hosts.split(','), keyType, key}
}

/** Parse one known_hosts file. Bad lines become problems; the rest is kept. */
export function parseKnownHosts(text: string, file = 'known_hosts'): ParseResult<KnownHostEntry[]> {
  const value: KnownHostEntry[] = []
  const problems: ParseProblem[] = []
  text.split('\n').forEach((raw, i) => {
    const parsed = parseLine(raw.replace(/\r$/, ''), i + 1, file)
    if (parsed === undefined) return
    if ('keyType' in parsed) value.push(parsed)
    else problems.push(parsed)
  })
  return {value, problems}
}

/** Judge the key a server presented for host:port against the entries of all known_hosts files. */
export function verifyHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port)
  const mine = entries.filter((e) => entryMatches(e, name))
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(blob))
  if (revoked) return {status: 'revoked', entry: revoked}
  const plain = mine.filter((e) => e.marker === undefined)
  const same = plain.find((e) => e.key.equals(blob))
  if (same) return {status: 'known', entry: same}
  return plain.length === 0 ? {status: 'unknown'} : {status: 'changed', expected: plain}
}

const ALGORITHMS_OF_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

/**
 * The host key algorithms to offer so that a server holding a known key presents that one (as OpenSSH orders them).
 * Undefined when nothing usable is known: then the defaults are offered and the key will be judged unknown.
 */
export function hostKeyAlgorithmsFor(entries: KnownHostEntry[], host: string, port: number): string[] | undefined {
  const name = knownHostName(host, port)
  const types = new Set(entries.filter((e) => e.marker === undefined && entryMatches(e, name)).map((e) => e.keyType))
  const order = Object.keys(ALGORITHMS_OF_TYPE).filter((t) => types.has(t))
  const algos = order.flatMap((t) => ALGORITHMS_OF_TYPE[t])
  return algos.length > 0 ? algos : undefined
}

/** A known_hosts line for a newly accepted key. */
export function formatKnownHostsLine(host: string, port: number, blob: Buffer): string {
  const type = keyTypeOf(blob)
  if (type === undefined) throw new Error('cannot record a malformed host key')
  return `${knownHostName(host, port)} ${type} ${blob.toString('base64')}`
}
