// known_hosts parsing and matching, checked against files written and hashed by the real ssh-keygen.

import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  fingerprint,
  formatKnownHostsLine,
  hostKeyAlgorithmsFor,
  knownHostName,
  parseKnownHosts,
  verifyHostKey,
} from '../../src/collect/known-hosts.js'
import {keygen} from './sshd.js'

let dir: string
const keys: Record<string, {line: string; blob: Buffer}> = {}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'neutrace-kh-'))
  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    const line = keygen(join(dir, type), type)
    keys[type] = {line, blob: Buffer.from(line.split(' ')[1], 'base64')}
  }
  keys.other = (() => {
    const line = keygen(join(dir, 'other'))
    return {line, blob: Buffer.from(line.split(' ')[1], 'base64')}
  })()
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

const typeAndKey = (k: {line: string}) => k.line.split(' ').slice(0, 2).join(' ')

describe('known_hosts', () => {
  it('names hosts the way OpenSSH does', () => {
    expect(knownHostName('Node1.Example', 22)).toBe('node1.example')
    expect(knownHostName('198.18.0.5', 2222)).toBe('[198.18.0.5]:2222')
  })

  it('parses plain, [host]:port, wildcard and negated entries, and reports bad lines', () => {
    const text = [
      '# comment',
      '',
      `node1,198.18.0.5 ${typeAndKey(keys.ed25519)} a comment`,
      `[198.18.0.6]:2222 ${typeAndKey(keys.ecdsa)}`,
      `*.lab,!bad.lab ${typeAndKey(keys.rsa)}`,
      'broken-line ssh-ed25519',
      `node2 ssh-ed25519 ${keys.rsa.line.split(' ')[1]}`,
      '@bogus node3 ssh-ed25519 AAAA',
    ].join('\n')
    const {value, problems} = parseKnownHosts(text, 'kh')
    expect(value.map((e) => [e.line, e.keyType, e.patterns])).toEqual([
      [3, 'ssh-ed25519', ['node1', '198.18.0.5']],
      [4, 'ecdsa-sha2-nistp256', ['[198.18.0.6]:2222']],
      [5, 'ssh-rsa', ['*.lab', '!bad.lab']],
    ])
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [6, 'expected: hosts keytype key'],
      [7, 'the key blob is not of type ssh-ed25519'],
      [8, 'unknown marker @bogus'],
    ])
    expect(verifyHostKey(value, '198.18.0.5', 22, keys.ed25519.blob).status).toBe('known')
    expect(verifyHostKey(value, '198.18.0.6', 2222, keys.ecdsa.blob).status).toBe('known')
    expect(verifyHostKey(value, '198.18.0.6', 22, keys.ecdsa.blob).status).toBe('unknown')
    expect(verifyHostKey(value, 'c1.lab', 22, keys.rsa.blob).status).toBe('known')
    expect(verifyHostKey(value, 'bad.lab', 22, keys.rsa.blob).status).toBe('unknown')
    const changed = verifyHostKey(value, 'node1', 22, keys.other.blob)
    expect(changed.status).toBe('changed')
    if (changed.status === 'changed') expect(changed.expected.map((e) => e.line)).toEqual([3])
  })

  it('matches entries hashed by ssh-keygen -H, for port 22 and other ports', () => {
    const file = join(dir, 'hashed')
    writeFileSync(file, `node1 ${typeAndKey(keys.ed25519)}\n[198.18.0.6]:2222 ${typeAndKey(keys.rsa)}\n`)
    execFileSync('ssh-keygen', ['-H', '-f', file], {stdio: 'ignore'})
    const {value, problems} = parseKnownHosts(readFileSync(file, 'utf8'), file)
    expect(problems).toEqual([])
    expect(value.every((e) => e.hashed !== undefined && e.patterns === undefined)).toBe(true)
    expect(verifyHostKey(value, 'node1', 22, keys.ed25519.blob).status).toBe('known')
    expect(verifyHostKey(value, 'NODE1', 22, keys.ed25519.blob).status).toBe('known')
    expect(verifyHostKey(value, '198.18.0.6', 2222, keys.rsa.blob).status).toBe('known')
    expect(verifyHostKey(value, 'node2', 22, keys.ed25519.blob).status).toBe('unknown')
    expect(verifyHostKey(value, 'node1', 22, keys.other.blob).status).toBe('changed')
  })

  it('honours @revoked and ignores @cert-authority for plain key checks', () => {
    const text = `@revoked * ${typeAndKey(keys.other)}\n@cert-authority *.lab ${typeAndKey(keys.rsa)}\nnode1 ${typeAndKey(keys.other)}\n`
    const {value} = parseKnownHosts(text)
    expect(verifyHostKey(value, 'node1', 22, keys.other.blob).status).toBe('revoked')
    expect(verifyHostKey(value, 'x.lab', 22, keys.rsa.blob).status).toBe('unknown')
  })

  it('offers the host key algorithms of the known keys first', () => {
    const {value} = parseKnownHosts(`[h]:2200 ${typeAndKey(keys.rsa)}\n[h]:2200 ${typeAndKey(keys.ecdsa)}\n`)
    expect(hostKeyAlgorithmsFor(value, 'h', 2200)).toEqual([
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ])
    expect(hostKeyAlgorithmsFor(value, 'h', 22)).toBeUndefined()
  })

  it('writes lines that ssh-keygen -F finds, with the fingerprint ssh-keygen prints', () => {
    const file = join(dir, 'written')
    writeFileSync(file, `${formatKnownHostsLine('198.18.0.9', 2200, keys.ed25519.blob)}\n`)
    const found = execFileSync('ssh-keygen', ['-F', '[198.18.0.9]:2200', '-f', file]).toString()
    expect(found).toContain(keys.ed25519.line.split(' ')[1])
    const printed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'ed25519.pub')])
      .toString()
      .split(' ')[1]
    expect(fingerprint(keys.ed25519.blob)).toBe(printed)
  })
})
