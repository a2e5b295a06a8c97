// Damaged intent documents are gated like captures (issue 8): a garbled record, a table cut short or a document the
// manifest lists but the snapshot lacks gives a problem naming the file (and the record, where it can be told), the
// damaged record is not read, and no error finding comes of it.

import {cp, mkdtemp, rm, unlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, loadAnalysis, PACKAGE_ROOT} from '../../src/engine.js'
import {parseIntentDocument} from '../../src/intent/index.js'
import {readSnapshot} from '../../src/snapshot/read.js'
import {damagedIntent, key} from '../fuzz/e2e.js'

const SEED = join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'seed')
const A = '11111111-1111-4111-8111-111111111111'
const B = '22222222-2222-4222-8222-222222222222'

const port = (id: string, mac: string) => ({id, network_id: A, mac_address: mac, device_owner: 'compute:nova'})

describe('a garbled JSON record', () => {
  it('is not read; the problem names it and its line; the other records are read', () => {
    const text = JSON.stringify({ports: [port(A, 'fa:16:3e:00:00:01'), port(B, 'fa:16:3e:\ufffd0:00:02')]}, null, 1)
    const {value, problems} = parseIntentDocument('ports.json', text)
    expect(value.ports?.map((p) => p.id)).toEqual([A])
    expect(problems).toEqual([
      {
        line: text.split('\n').findIndex((l) => l.includes(B)) + 1,
        text: 'fa:16:3e:\ufffd0:00:02',
        message: expect.stringMatching(new RegExp(`^ports\\[\\] ${B}: garbled`)),
      },
    ])
  })
  it('an escaped NUL in a value is garbled too', () => {
    const {value, problems} = parseIntentDocument('ports.json', JSON.stringify({ports: [port(A, 'fa:16:3e:00\u0000')]}))
    expect(value.ports).toEqual([])
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/garbled/)])
  })
})

describe('a damaged table', () => {
  const table = (rows: string[]) =>
    ['+-------+-------+', '| Field | Value |', '+-------+-------+', ...rows, '+-------+-------+', ''].join('\n')
  const rows = [`| id | ${A} |`, '| provider:network_type | vlan |', '| provider:physical_network | default |']
  it('whole: one network', () => {
    const {value, problems} = parseIntentDocument('net.txt', table(rows))
    expect(problems).toEqual([])
    expect(value.networks?.map((n) => n.physicalNetwork)).toEqual(['default'])
  })
  it('a NUL in a row: the record is not read', () => {
    const {value, problems} = parseIntentDocument(
      'net.txt',
      table([rows[0], rows[1], '| provider:physical_network | de\0 |']),
    )
    expect(value.networks).toEqual([])
    expect(problems).toEqual([expect.objectContaining({line: 6, message: expect.stringMatching(/garbled.*not read/)})])
  })
  it('cut mid-line (no newline at the end): the record is not read', () => {
    const text = table(rows).split('\n').slice(0, 6).join('\n').slice(0, -3)
    const {value, problems} = parseIntentDocument('net.txt', text)
    expect(value.networks).toEqual([])
    expect(problems.map((p) => p.line)).toEqual([6])
  })
  it('cut at a line (no closing border): the last record is not read', () => {
    const text = `${table(rows).split('\n').slice(0, 5).join('\n')}\n`
    const {value, problems} = parseIntentDocument('net.txt', text)
    expect(value.networks).toEqual([])
    expect(problems).toEqual([
      expect.objectContaining({line: 5, message: expect.stringMatching(/no closing .* border/)}),
    ])
  })
  it('a list whose row is garbled loses that row and its continuation, not the others', () => {
    const text = [
      '+----+------+----------+',
      '| ID | Name | Networks |',
      '+----+------+----------+',
      `| ${A} | vm1 | net1=198.19.0.3 |`,
      `| ${B} | vm\ufffd | net1=198.19.0.4 |`,
      '|    |      | net2=198.19.1.4 |',
      '+----+------+----------+',
      '',
    ].join('\n')
    const {value, problems} = parseIntentDocument('nova-list.txt', text)
    expect(value.servers?.map((s) => s.id)).toEqual([A])
    expect(problems.map((p) => p.line)).toEqual([5])
  })
})

describe('intent values out of range', () => {
  it.each([
    [{network_type: 'vlan', id: 4095}, /segmentation id 4095 out of range \(1–4094\)/],
    [{network_type: 'vxlan', id: 2 ** 24}, /out of range \(1–16777215\)/],
  ])('%o', ({network_type, id}, message) => {
    const net = {
      id: A,
      'provider:network_type': network_type,
      'provider:segmentation_id': id,
      'provider:physical_network': 'default',
    }
    const {value, problems} = parseIntentDocument('networks.json', JSON.stringify({networks: [net]}))
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(message)])
    expect(value.networks?.[0].segmentationId).toBeUndefined()
  })
  it('ip_version neither 4 nor 6', () => {
    const subnet = {id: B, network_id: A, cidr: '198.19.0.0/24', ip_version: 5}
    const {value, problems} = parseIntentDocument('subnets.json', JSON.stringify({subnets: [subnet]}))
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/ip_version 5/)])
    expect(value.subnets?.[0].ipVersion).toBeUndefined()
  })
})

describe('the seed snapshot with damaged intent', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('a document listed in manifest.json but gone is DATA_MISSING naming it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'neutrace-intent-'))
    await cp(SEED, dir, {recursive: true})
    await unlink(join(dir, 'intent', 'ports.json'))
    const findings = diagnose(await loadAnalysis(dir))
    expect(findings.filter((f) => f.code === 'DATA_MISSING' && f.host === 'intent')).toEqual([
      expect.objectContaining({
        element: 'intent/ports.json',
        message: expect.stringMatching(/listed in manifest.json, missing/),
      }),
    ])
    expect(findings.filter((f) => f.severity === 'error')).toEqual([])
  })

  it('a port id garbled in ports.json is a PARSE_ERROR, not PORT_MISSING for a garbled name', async () => {
    const snapshot = await readSnapshot(SEED)
    const doc = snapshot.intentFiles.find((d) => d.name === 'ports.json')!
    const at = doc.text.indexOf('26c9b807')
    const findings = diagnose(
      analysisOf(damagedIntent(snapshot, doc, `${doc.text.slice(0, at)}\ufffd${doc.text.slice(at + 1)}`)),
    )
    expect(findings.filter((f) => f.severity === 'error').map(key)).toEqual([])
    expect(findings.filter((f) => f.code === 'PARSE_ERROR' && f.element === 'intent/ports.json')).toHaveLength(1)
  })
})
