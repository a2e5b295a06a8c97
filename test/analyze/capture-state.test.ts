// One way to ask "was spec X (key K) captured, and completely?": the capture states of the actual model, on the seed
// snapshot edited the way damage changes it.

import {beforeAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, SEED_SNAPSHOT} from '../../src/engine.js'
import {ANALYZERS} from '../../src/analyze/index.js'
import {captureOf, damaged, type HostModel, isMet, type Need, OVS_NEED, unmet} from '../../src/model/actual.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

let healthy: Snapshot

beforeAll(async () => {
  healthy = await readSnapshot(SEED_SNAPSHOT)
})

/** The control node of the seed with `change` applied to one of its captures first. */
function control(spec?: string, change?: (c: Snapshot['captures'][number]) => void, key?: string): HostModel {
  const snapshot: Snapshot = structuredClone(healthy)
  if (spec) {
    const capture = snapshot.captures.find(
      (c) => c.host === 'control' && c.spec === spec && (key === undefined || c.key === key),
    )!
    change!(capture)
  }
  return analysisOf(snapshot).actual.hosts.find((h) => h.name === 'control')!
}

describe('capture states', () => {
  it('a capture read whole is complete; one not in the snapshot is missing', () => {
    const host = control()
    expect(captureOf(host, 'ps')).toEqual({spec: 'ps', state: 'complete', file: 'hosts/control/ps.out'})
    expect(captureOf(host, 'ovs_ofctl_dump_flows', 'br-int').state).toBe('complete')
    expect(captureOf(host, 'ovs_ofctl_dump_flows', 'br-nope')).toMatchObject({state: 'missing', key: 'br-nope'})
    expect(captureOf(host, 'brctl_show').state).toBe('missing')
    // Without a key, a scoped spec answers with its best capture.
    expect(captureOf(host, 'ovs_ofctl_dump_flows').state).toBe('complete')
  })

  it('a failed command is failed, with its reason', () => {
    const host = control('ps', (c) => {
      c.record = {...c.record, exitCode: 1, error: 'exit status 1: ps: killed'}
    })
    expect(captureOf(host, 'ps')).toMatchObject({state: 'failed', reason: 'exit status 1: ps: killed'})
    expect(isMet(host, 'ps')).toBe(false)
    expect(unmet(host, 'ps')).toEqual([expect.objectContaining({spec: 'ps', state: 'failed'})])
  })

  it('a file gone from the snapshot is missing', () => {
    const host = control('ps', (c) => {
      c.text = undefined
    })
    expect(captureOf(host, 'ps').state).toBe('missing')
  })

  it('lines the parser could not read make `problems` (usable, not complete); nothing readable makes `unparseable`', () => {
    const some = control('ip_netns', (c) => {
      c.text += 'Error: Peer netns reference is invalid.\n'
    })
    expect(captureOf(some, 'ip_netns')).toMatchObject({
      state: 'problems',
      reason: expect.stringMatching(/^line \d+: not a namespace line/),
    })
    expect(isMet(some, 'ip_netns')).toBe(true)
    expect(isMet(some, 'ip_netns', 'complete')).toBe(false)
    const none = control('ip_link', (c) => {
      c.text = '[{"garbled'
    })
    expect(captureOf(none, 'ip_link').state).toBe('unparseable')
    expect(isMet(none, 'ip_link')).toBe(false)
  })

  it('a checksum mismatch is damaged: what was read is used, but it is not complete', () => {
    const host = control('ps', (c) => {
      c.damage = 'sha256 mismatch'
    })
    expect(captureOf(host, 'ps')).toMatchObject({state: 'damaged', reason: 'sha256 mismatch'})
    expect(isMet(host, 'ps')).toBe(true)
    expect(isMet(host, 'ps', 'complete')).toBe(false)
  })

  it('needs combine: any of, all of', () => {
    const host = control()
    expect(isMet(host, OVS_NEED)).toBe(true)
    const both: Need = {allOf: ['ps', {spec: 'ovs_ofctl_dump_flows', key: 'br-nope'}]}
    expect(unmet(host, both).map((s) => [s.spec, s.key, s.state])).toEqual([
      ['ovs_ofctl_dump_flows', 'br-nope', 'missing'],
    ])
    const either: Need = {anyOf: ['brctl_show', 'bridge_link']}
    expect(unmet(host, either).map((s) => s.spec)).toEqual(['brctl_show', 'bridge_link'])
    expect(isMet(host, {anyOf: ['brctl_show', 'ps']})).toBe(true)
  })

  it('a host whose ovs-vsctl show failed has no OVS configuration to check: no finding rests on it', () => {
    const snapshot: Snapshot = structuredClone(healthy)
    const show = snapshot.captures.find((c) => c.host === 'compute-1' && c.spec === 'ovs_vsctl_show')!
    show.record = {...show.record, exitCode: 1, error: 'exit status 1: database connection failed'}
    const analysis = analysisOf(snapshot)
    const host = analysis.actual.hosts.find((h) => h.name === 'compute-1')!
    expect(isMet(host, OVS_NEED)).toBe(false)
    expect(host.ovs.bridges).toEqual([])
    const errors = diagnose(analysis).filter((f) => f.severity === 'error' && f.host === 'compute-1')
    expect(errors.map((f) => f.code)).not.toContain('VLAN_TAG_MISMATCH')
    expect(errors.map((f) => f.code)).not.toContain('UPLINK_MISSING')
  })
})

describe('what a damaged capture makes unknown: one vocabulary with the capture states', () => {
  it('a reported capture is damaged for every need that names it, alternatives too; an absent one is not', () => {
    const host = control('ovs_vsctl_show', (c) => {
      c.text = c.text!.slice(0, -1)
    })
    expect(captureOf(host, 'ovs_vsctl_show')).toMatchObject({state: 'problems', reported: true})
    expect(damaged(host, OVS_NEED).map((s) => s.spec)).toEqual(['ovs_vsctl_show'])
    expect(damaged(host, 'ps')).toEqual([])
    // brctl_show is not in the seed's control snapshot: absent is not damaged.
    expect(damaged(host, 'brctl_show')).toEqual([])
    expect(damaged(control(), OVS_NEED)).toEqual([])
  })

  it('file captures by kind: a damaged libvirt XML damages {file: libvirt}, not {file: dhcp}', () => {
    const snapshot: Snapshot = structuredClone(healthy)
    const xml = snapshot.captures.find((c) => c.host === 'compute-1' && c.key?.endsWith('.xml'))!
    xml.damage = 'sha256 mismatch'
    snapshot.problems.push({
      host: 'compute-1',
      spec: 'file',
      file: xml.record.file,
      kind: 'damaged',
      message: xml.damage,
    })
    const host = analysisOf(snapshot).actual.hosts.find((h) => h.name === 'compute-1')!
    expect(damaged(host, {file: 'libvirt'}).map((s) => s.key)).toEqual([xml.key])
    expect(damaged(host, {file: 'dhcp'})).toEqual([])
    expect(isMet(host, {file: 'libvirt'})).toBe(true)
    expect(isMet(host, {file: 'libvirt'}, 'complete')).toBe(false)
  })

  it('every registered check declares its needs, and a check with needs names real captures', () => {
    for (const check of ANALYZERS) expect(Array.isArray(check.needs)).toBe(true)
    expect(ANALYZERS.filter((c) => !c.needs.length).map((c) => c.name)).toEqual(['data'])
  })

  it('an unreachable host: every check is unknown there', () => {
    const snapshot: Snapshot = structuredClone(healthy)
    snapshot.hosts = snapshot.hosts.map((h) => (h.name === 'control' ? {...h, status: 'unreachable'} : h))
    const host = analysisOf(snapshot).actual.hosts.find((h) => h.name === 'control')!
    expect(damaged(host, 'ps')).toHaveLength(1)
  })
})

describe('a host-scoped data source (ip_route)', () => {
  it('reaches the model from its capture, and says when it was not captured', async () => {
    const {readFile} = await import('node:fs/promises')
    const text = await readFile(
      new URL('../../fixtures/samples/linux/ip-j-route-table-all.json', import.meta.url),
      'utf8',
    )
    const snapshot: Snapshot = structuredClone(healthy)
    const record = {
      spec: 'ip_route',
      argv: ['ip', '-j', 'route', 'show', 'table', 'all'],
      file: 'hosts/control/ip_route.out',
      exitCode: 0,
      durationMs: 1,
      startedAt: '2013-12-16T19:30:00.000Z',
      sha256: '',
    }
    snapshot.captures.push({host: 'control', spec: 'ip_route', record, text})
    const host = analysisOf(snapshot).actual.hosts.find((h) => h.name === 'control')!
    expect(captureOf(host, 'ip_route').state).toBe('complete')
    expect(host.routes.find((r) => r.dst === 'default')?.gateway).toBe('198.18.0.1')
    const without = control()
    expect(without.routes).toEqual([])
    expect(captureOf(without, 'ip_route').state).toBe('missing')
  })
})
