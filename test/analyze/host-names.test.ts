// A host's label in the snapshot (the inventory's name) need not be the name it gives itself, which is the name
// Neutron binds ports to (binding:host_id = the agent's `host`, by default its hostname). The `hostname` capture joins
// the two.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, PACKAGE_ROOT} from '../../src/engine.js'
import {hostNamed} from '../../src/model/actual.js'
import {isComputePort} from '../../src/model/reference.js'
import {portsOnHost} from '../../src/model/wiring.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

let lab: Snapshot
beforeAll(async () => {
  lab = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-lab'))
})

/** The snapshot with host `from` relabelled `to` (its captures, hostname.out included, unchanged). */
function relabel(snapshot: Snapshot, from: string, to: string, keepHostname = true): Snapshot {
  return {
    ...snapshot,
    hosts: snapshot.hosts.map((h) => (h.name === from ? {...h, name: to} : h)),
    captures: snapshot.captures
      .filter((c) => keepHostname || !(c.host === from && c.spec === 'hostname'))
      .map((c) => (c.host === from ? {...c, host: to} : c)),
  }
}

const summary = (s: Snapshot) => diagnose(analysisOf(s)).map((f) => `${f.severity} ${f.host} ${f.code} ${f.element}`)

describe('hostname: the name a host gives itself', () => {
  it('is read into the host model', () => {
    const host = analysisOf(lab).actual.hosts.find((h) => h.name === 'nlab-cmp1')!
    expect(host.hostname).toBe('nlab-cmp1')
  })

  it("binding:host_id matches a host by its hostname when the snapshot's label differs: still no finding", () => {
    expect(summary(lab)).toEqual([])
    expect(summary(relabel(lab, 'nlab-cmp1', 'compute-a'))).toEqual([])
  })

  it("the relabelled host's checks see the ports Neutron bound to its hostname; without the capture, none", () => {
    const bound = (s: Snapshot) => {
      const {actual, reference} = analysisOf(s)
      return portsOnHost(
        reference,
        actual.hosts.find((h) => h.name === 'compute-a')!,
      ).filter(isComputePort).length
    }
    const {actual, reference} = analysisOf(lab)
    const before = portsOnHost(
      reference,
      actual.hosts.find((h) => h.name === 'nlab-cmp1')!,
    ).filter(isComputePort)
    expect(before.length).toBeGreaterThan(0)
    expect(bound(relabel(lab, 'nlab-cmp1', 'compute-a'))).toBe(before.length)
    expect(bound(relabel(lab, 'nlab-cmp1', 'compute-a', false))).toBe(0)
  })

  it('an FQDN and its short name match each other, without case; an ambiguous name matches nothing', () => {
    const actual = analysisOf(relabel(lab, 'nlab-cmp1', 'compute-a')).actual
    expect(hostNamed(actual, 'compute-a')?.name).toBe('compute-a')
    expect(hostNamed(actual, 'NLAB-CMP1')?.name).toBe('compute-a')
    expect(hostNamed(actual, 'nlab-cmp1.cloud.example.')?.name).toBe('compute-a')
    expect(hostNamed(actual, 'nowhere')).toBeUndefined()
    actual.hosts.find((h) => h.name === 'nlab-cmp2')!.hostname = 'nlab-cmp1.other.example'
    expect(hostNamed(actual, 'nlab-cmp1.cloud.example')?.name).toBe('compute-a')
    expect(hostNamed(actual, 'nlab-cmp1.other.example')?.name).toBe('nlab-cmp2')
    actual.hosts.find((h) => h.name === 'nlab-cmp2')!.hostname = 'nlab-cmp1'
    expect(hostNamed(actual, 'nlab-cmp1')).toBeUndefined()
  })
})
