// FLOW_SHADOWED's remedy names the shadowing flow the way ovs-ofctl --strict del-flows finds it: table, priority and
// match; the cookie only when the flow has one (masked), never the cookie=0x0 every untagged flow shares.

import {describe, expect, it} from 'vitest'
import {analysisOf, diagnose, SEED_SNAPSHOT} from '../../src/engine.js'
import {readSnapshot} from '../../src/snapshot/read.js'

async function shadowRemedy(cookie: string): Promise<string | undefined> {
  const snapshot = await readSnapshot(SEED_SNAPSHOT)
  const flows = snapshot.captures.find(
    (c) => c.host === 'compute-1' && c.spec === 'ovs_ofctl_dump_flows' && c.key === 'br-eth2',
  )!
  flows.text += ` cookie=${cookie}, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=10,in_port=2 actions=drop\n`
  const shadowed = diagnose(analysisOf(snapshot)).filter((f) => f.code === 'FLOW_SHADOWED')
  expect(shadowed).toHaveLength(1)
  return shadowed[0].remedy
}

describe('FLOW_SHADOWED remedy', () => {
  it('cookie 0: table, priority and match, no cookie', async () => {
    expect(await shadowRemedy('0x0')).toBe(
      'remove the shadowing flow: ovs-ofctl --strict del-flows br-eth2 table=0,priority=10,in_port=2',
    )
  })
  it('a cookie: masked, with table, priority and match', async () => {
    expect(await shadowRemedy('0xfb6b60fd9ed4bab2')).toBe(
      'remove the shadowing flow: ovs-ofctl --strict del-flows br-eth2 table=0,priority=10,cookie=0xfb6b60fd9ed4bab2/-1,in_port=2',
    )
  })
})
