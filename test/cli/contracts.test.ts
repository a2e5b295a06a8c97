// The JSON contract has one source, schemas/: the TypeScript types are generated from it (and must be current), its
// finding-code enum is the catalog's, and what the commands print validates against it for faulty snapshots too.

import {readFile} from 'node:fs/promises'
import {beforeAll, describe, expect, it} from 'vitest'
import {FINDING_CODES} from '../../src/analyze/codes.js'
import {analysisOf, diagnose, SEED_SNAPSHOT, traceVm} from '../../src/engine.js'
import {buildReport} from '../../src/render/findings.js'
import {topologyJson} from '../../src/render/topology.js'
import {traceJson} from '../../src/render/trace.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import {CONTRACTS, generate, generatedFile} from '../../scripts/contracts.js'
import {expectMatchesSchema, schemaOf} from '../support/schemas.js'

describe('schemas/ is the one source of the JSON types', () => {
  for (const name of Object.keys(CONTRACTS) as (keyof typeof CONTRACTS)[]) {
    it(`src/contracts/generated/${name}.ts is what schemas/${name}.schema.json gives (npm run contracts)`, async () => {
      expect(await readFile(generatedFile(name), 'utf8'), 'stale: run `npm run contracts` and commit').toBe(
        await generate(name),
      )
    })
  }

  it("the schema's finding codes are the catalog's, in the same order", () => {
    const finding = (schemaOf('diagnose').definitions as Record<string, {properties: {code: {enum: string[]}}}>).finding
    expect(finding.properties.code.enum).toEqual(Object.keys(FINDING_CODES))
  })
})

describe('JSON of faulty snapshots validates against the schemas', () => {
  let seed: Snapshot
  beforeAll(async () => {
    seed = await readSnapshot(SEED_SNAPSHOT)
  })

  function faulty(host: string, spec: string, key: string, edit: (text: string) => string): Snapshot {
    const snapshot = structuredClone(seed)
    const capture = snapshot.captures.find((c) => c.host === host && c.spec === spec && c.key === key)
    if (!capture?.text) throw new Error(`no capture ${host} ${spec} ${key}`)
    const before = capture.text
    capture.text = edit(before)
    expect(capture.text).not.toBe(before)
    return snapshot
  }

  const dropLine = (re: RegExp) => (t: string) =>
    t
      .split('\n')
      .filter((l) => !re.test(l))
      .join('\n')

  it('an egress flow deleted: the findings and the dropped trace (with its drop flow)', () => {
    const analysis = analysisOf(faulty('compute-1', 'ovs_ofctl_dump_flows', 'br-eth2', dropLine(/mod_vlan_vid:1000/)))
    const findings = diagnose(analysis)
    expect(findings.map((f) => f.code)).toContain('FLOW_MISSING')
    expectMatchesSchema('diagnose', buildReport(analysis, findings, '0.0.0'))
    const traces = traceVm(analysis, 'Oracle Linux', 'dhcp')
    expect(traces[0].verdict).toBe('dropped')
    expect(traces[0].dropFlow).toBeDefined()
    expectMatchesSchema('trace', traceJson(traces, '0.0.0'))
  })

  it('an ingress flow deleted on the DHCP node: the reply leg is in the JSON too', () => {
    const analysis = analysisOf(faulty('compute-1', 'ovs_ofctl_dump_flows', 'br-int', dropLine(/mod_vlan_vid:3,/)))
    const traces = traceVm(analysis, 'Oracle Linux', 'dhcp')
    const body = traceJson(traces, '0.0.0')
    expect(body.traces[0].reply).toBeDefined()
    expectMatchesSchema('trace', body)
    expectMatchesSchema('topology', topologyJson(analysis.actual, undefined, '0.0.0'))
  })

  it('trace JSON is the public shape: exactly the fields of the schema, nothing of the tracer', () => {
    const analysis = analysisOf(seed)
    const [trace] = traceJson(traceVm(analysis, 'Oracle Linux', 'dhcp'), '0.0.0').traces
    const definitions = schemaOf('trace').definitions as Record<string, {properties: Record<string, unknown>}>
    for (const key of Object.keys(trace)) expect(Object.keys(definitions.trace.properties), key).toContain(key)
    expect(JSON.stringify(trace)).not.toMatch(/"(flow|end|branches|macs)"/)
  })
})
