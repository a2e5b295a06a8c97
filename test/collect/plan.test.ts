// Planning the follow-up captures from what stage 1 returned. The outputs come from the real programs, run in a
// private network + mount namespace so nothing on this machine changes.

import {execFileSync, spawn} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  configFilesFrom,
  dnsmasqPidsFrom,
  filesFrom,
  followUps,
  hostStage,
  keySourceIds,
  namespacesFrom,
  vethsFrom,
} from '../../src/collect/plan.js'
import {keySourcesOf, SPEC_BY_ID, SPECS, type Spec} from '../../src/specs.js'

const NET = '5f833617-6179-4797-b7c0-7d420d84040c'

/** Run a script inside fresh network and mount namespaces (tmpfs over /run/netns and /var/lib). */
function isolated(script: string): string {
  const prelude =
    'set -e; mount --make-rprivate /; mkdir -p /run/netns; mount -t tmpfs none /run/netns; mount -t tmpfs none /var/lib;'
  return execFileSync('unshare', ['--net', '--mount', 'bash', '-c', prelude + script]).toString('utf8')
}

let real: {netns: string; links: string; dhcpFiles: string; ps: string; dnsmasqPid: number}
let fake: ReturnType<typeof spawn> | undefined

beforeAll(async () => {
  const netns = isolated(`ip netns add qdhcp-${NET}; ip netns add qrouter-1; ip netns set qrouter-1 7; ip netns list`)
  const links = isolated(
    'ip link add qvb3f7e5d8a-1b type veth peer name qvo3f7e5d8a-1b; ip link add qbr3f7e5d8a-1b type bridge; ip -j -d link',
  )
  const dhcpFiles = isolated(
    `d=/var/lib/neutron/dhcp/${NET}; mkdir -p $d; for f in host opts leases addn_hosts pid; do : > $d/$f; done; ` +
      // A directory whose name ends in a newline makes find print a second line that looks like /etc/shadow.
      `mkdir -p $'/var/lib/neutron/dhcp/x\\n/etc'; : > $'/var/lib/neutron/dhcp/x\\n/etc/shadow'; ` +
      'find /var/lib/neutron/dhcp -maxdepth 3 -type f | sort',
  )
  // A process whose argv[0] is dnsmasq, as the DHCP agent's would be.
  fake = spawn('bash', ['-c', `exec -a /usr/sbin/dnsmasq sleep 60`], {stdio: 'ignore'})
  await new Promise((r) => setTimeout(r, 200))
  const ps = execFileSync('ps', ['-ww', '-eo', 'pid=,args=']).toString('utf8')
  real = {netns, links, dhcpFiles, ps, dnsmasqPid: fake.pid!}
})

afterAll(() => {
  if (fake?.pid) process.kill(fake.pid, 'SIGKILL')
})

describe('names from stage 1', () => {
  it('reads namespaces from `ip netns list`, with and without ids', () => {
    expect(real.netns).toContain('qrouter-1 (id: 7)')
    expect(namespacesFrom(real.netns)).toEqual({value: [`qdhcp-${NET}`, 'qrouter-1'], problems: []})
  })

  it('rejects a hostile namespace line whole instead of cutting it at a space', () => {
    const r = namespacesFrom('qdhcp-ok\nqdhcp-x;touch /tmp/pwned\nqdhcp-$(id)\n')
    expect(r.value).toEqual(['qdhcp-ok'])
    expect(r.problems).toEqual([
      {line: 2, text: 'qdhcp-x;touch /tmp/pwned', message: expect.stringContaining('not a namespace line')},
      {line: 3, text: 'qdhcp-$(id)', message: expect.stringContaining('does not match')},
    ])
  })

  it('finds veths in `ip -j -d link`', () => {
    expect(vethsFrom(real.links)).toEqual({value: ['qvb3f7e5d8a-1b', 'qvo3f7e5d8a-1b'], problems: []})
    expect(vethsFrom('{garbled').problems[0].message).toMatch(/^not valid JSON/)
    expect(vethsFrom('[{"ifindex":5,"ifname":"a;b","linkinfo":{"info_kind":"veth"}}]').problems[0].text).toBe('a;b')
  })

  it('finds dnsmasq pids in ps output', () => {
    expect(dnsmasqPidsFrom(real.ps).value).toContain(String(real.dnsmasqPid))
    expect(
      dnsmasqPidsFrom('  12 /usr/sbin/dnsmasq --no-hosts\n  13 /usr/bin/python3 agent\n 014 dnsmasq\n').value,
    ).toEqual(['12'])
  })

  it('keeps DHCP files under their directory and rejects a name split by a newline', () => {
    const r = filesFrom(real.dhcpFiles, {dirs: ['/var/lib/neutron/dhcp/']})
    expect(r.value).toEqual([
      ...['addn_hosts', 'host', 'leases', 'opts', 'pid'].map((f) => `/var/lib/neutron/dhcp/${NET}/${f}`),
      '/var/lib/neutron/dhcp/x',
    ])
    expect(r.problems).toEqual([
      {line: expect.any(Number), text: '/etc/shadow', message: expect.stringContaining('outside the expected places')},
    ])
  })

  it('reads only the catalogued agent configuration files', () => {
    const r = configFilesFrom(
      '/etc/neutron/neutron.conf.ini\n/etc/neutron/dhcp_agent.ini\n/etc/neutron/plugins/ml2/ml2_conf.ini\n',
    )
    expect(r.value).toEqual(['/etc/neutron/dhcp_agent.ini', '/etc/neutron/plugins/ml2/ml2_conf.ini'])
  })
})

describe('stages', () => {
  it('runs host specs by role in stage 1', () => {
    const compute = hostStage(SPECS, ['compute']).map((p) => p.spec.id)
    const network = hostStage(SPECS, ['network']).map((p) => p.spec.id)
    expect(compute).toContain('nova_instance_files')
    expect(network).not.toContain('nova_instance_files')
    expect(hostStage(SPECS, []).map((p) => p.spec.id)).toContain('nova_instance_files')
    expect(network).toContain('ovs_vsctl_list_br')
  })

  it('fans the scoped specs out over what stage 1 named, and reports rejected names once per source', () => {
    const outputs = new Map([
      ['ovs_vsctl_list_br', 'br-int\nbr-tun\nbr;evil\n'],
      ['ip_netns', real.netns + 'bad;ns\n'],
      ['ps', real.ps],
      ['neutron_dhcp_files', real.dhcpFiles],
      ['neutron_config_files', '/etc/neutron/dhcp_agent.ini\n'],
      ['ip_link', real.links],
    ])
    const plan = followUps(SPECS, ['network'], outputs)
    const keys = (id: string) => plan.captures.filter((c) => c.spec.id === id).map((c) => c.key)
    expect(keys('ovs_ofctl_dump_flows')).toEqual(['br-int', 'br-tun'])
    expect(keys('ovs_ofctl_show')).toEqual(['br-int', 'br-tun'])
    expect(keys('netns_ip_link')).toEqual([`qdhcp-${NET}`, 'qrouter-1'])
    // The router namespaces only: routes, iptables, rules and neighbours of qrouter-/snat-/fip-.
    for (const id of ['netns_ip_route', 'netns_iptables_save', 'netns_ip_rule', 'netns_ip_neigh'])
      expect(keys(id), id).toEqual(['qrouter-1'])
    expect(keys('netns_of_pid')).toContain(String(real.dnsmasqPid))
    expect(keys('ethtool_stats')).toEqual(['qvb3f7e5d8a-1b', 'qvo3f7e5d8a-1b'])
    expect(keys('file')).toContain('/etc/neutron/dhcp_agent.ini')
    expect(keys('file')).toContain(`/var/lib/neutron/dhcp/${NET}/host`)
    expect(plan.problems.map((p) => [p.spec, p.kind, p.text])).toEqual([
      ['ovs_vsctl_list_br', 'rejected', 'br;evil'],
      ['ip_netns', 'rejected', 'bad;ns'],
      ['neutron_dhcp_files', 'rejected', '/etc/shadow'],
    ])
  })

  it('bounds the fan-out of one spec', () => {
    const spec: Spec = {id: 'per_br', scope: 'bridge', argv: (b) => ['echo', b!], about: 't'}
    const plan = followUps([spec], [], new Map([['ovs_vsctl_list_br', 'a\nb\nc\n']]), {maxPerSpec: 2})
    expect(plan.captures.map((c) => c.key)).toEqual(['a', 'b'])
    expect(plan.problems).toEqual([expect.objectContaining({spec: 'per_br', kind: 'truncated', text: 'c'})])
  })
})

describe('where the keys come from is spec data', () => {
  it('every scoped spec has key sources, each read from a host-scoped spec of the catalog', () => {
    for (const spec of SPECS.filter((s) => s.scope !== 'host')) {
      const sources = keySourcesOf(spec)
      expect(sources.length, spec.id).toBeGreaterThan(0)
      for (const source of sources)
        expect(SPEC_BY_ID.get(source.from)?.scope, `${spec.id} <- ${source.from}`).toBe('host')
    }
    expect(keySourcesOf(SPEC_BY_ID.get('ethtool_stats')!)).toEqual([{from: 'ip_link', take: 'veths'}])
  })

  it("a spec can name its own key source instead of its scope's", () => {
    const spec: Spec = {
      id: 'per_dhcp_ns',
      scope: 'netns',
      keys: [{from: 'ip_netns', take: 'namespaces'}],
      argv: (ns) => ['echo', ns!],
      about: 't',
    }
    const plan = followUps([spec], [], new Map([['ip_netns', 'qdhcp-1 (id: 0)\nqrouter-2\n']]))
    expect(plan.captures.map((c) => c.key)).toEqual(['qdhcp-1', 'qrouter-2'])
    expect([...keySourceIds([spec])]).toEqual(['ip_netns'])
  })
})
