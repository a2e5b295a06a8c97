import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {mergeIntent, parseIntentDocument} from '../../src/intent/index.js'

// The Neutron API's own bodies from the lab with security groups (fixtures/snapshots/neutron-sg).
const intentFile = (name: string) =>
  readFileSync(new URL(`../../fixtures/snapshots/neutron-sg/intent/${name}`, import.meta.url), 'utf8')

describe('security groups in the intent', () => {
  const parts = ['ports.json', 'security-groups.json', 'security-group-rules.json'].map(
    (n) => parseIntentDocument(n, intentFile(n)).value,
  )
  const intent = mergeIntent(parts)

  it('reads groups with their rules, and the rules listed on their own land in their group once', () => {
    expect(intent.problems).toEqual([])
    const byName = new Map(intent.securityGroups!.map((g) => [g.name, g]))
    expect([...byName.keys()].sort()).toEqual(['default', 'nlab-ssh', 'nlab-web'])
    const ssh = byName.get('nlab-ssh')!
    expect(ssh.rules.filter((r) => r.direction === 'ingress')).toEqual([
      expect.objectContaining({
        protocol: 'tcp',
        portRangeMin: 22,
        portRangeMax: 22,
        remoteIpPrefix: '198.19.201.17/32',
        remoteGroupId: null,
        ethertype: 'IPv4',
      }),
    ])
    const web = byName.get('nlab-web')!
    expect(web.rules.find((r) => r.protocol === 'tcp')).toMatchObject({remoteGroupId: web.id, portRangeMin: 80})
    // The rules document repeats every group's rules: no duplicates after the merge.
    expect(new Set(web.rules.map((r) => r.id)).size).toBe(web.rules.length)
  })

  it("reads the ports' groups, port security and allowed address pairs", () => {
    const port = intent.ports.find((p) => p.id.startsWith('4793b0fb'))!
    const names = new Map(intent.securityGroups!.map((g) => [g.id, g.name]))
    expect(port.securityGroups!.map((id) => names.get(id)).sort()).toEqual(['nlab-ssh', 'nlab-web'])
    expect(port.portSecurityEnabled).toBe(true)
    expect(port.allowedAddressPairs).toEqual([{ipAddress: '198.19.201.250', macAddress: 'fa:16:3e:e9:3d:f0'}])
  })

  it('a rule without a direction or group is a problem, not a guess', () => {
    const {value, problems} = parseIntentDocument(
      'rules.json',
      JSON.stringify({
        security_group_rules: [{id: 'r1', direction: 'sideways', security_group_id: 'g', ethertype: 'IPv4'}],
      }),
    )
    expect(value.securityGroupRules ?? []).toEqual([])
    expect(problems[0].message).toBe('security group rule r1: direction is neither ingress nor egress; skipped')
  })
})
