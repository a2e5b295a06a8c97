import {describe, expect, it} from 'vitest'

import {bridgeMappings, networkVlanRanges, parseIni, tunnelSettings} from '../../src/parsers/ini.js'

// No OpenStack here to write these: the Havana file is the layout of ovs_neutron_plugin.ini (2013.2), the modern
// ones that of openvswitch_agent.ini and ml2_conf.ini as their sample configs spell them.
const HAVANA = `[OVS]
# (StrOpt) Type of network to allocate for tenant networks.
tenant_network_type = vlan
network_vlan_ranges = default:1000:2999
integration_bridge = br-int
bridge_mappings = default:br-eth2,physnet2:br-ex

[AGENT]
polling_interval = 2

[SECURITYGROUP]
firewall_driver = neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver
`

const MODERN_AGENT = `[DEFAULT]

[agent]
tunnel_types = vxlan
l2_population = True

[ovs]
; the physical bridges
bridge_mappings = physnet1:br-eth2,
    physnet2:br-ex
local_ip = "198.18.0.1"
integration_bridge: br-int

[securitygroup]
firewall_driver = iptables_hybrid
`

const ML2 = `[ml2]
type_drivers = flat,vlan,vxlan
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:199,physnet1:300:310,physnet2
`

describe('parseIni', () => {
  it('reads sections, comments, quotes, `:` separators and continuation lines', () => {
    const {value, problems} = parseIni(MODERN_AGENT)
    expect(problems).toEqual([])
    expect(value.ovs).toEqual({
      bridge_mappings: 'physnet1:br-eth2,\nphysnet2:br-ex',
      local_ip: '198.18.0.1',
      integration_bridge: 'br-int',
    })
    expect(value.DEFAULT).toEqual({})
    expect(value.agent.l2_population).toBe('True')
  })

  it('empty input is no sections', () => {
    expect(parseIni('')).toEqual({value: {}, problems: []})
  })

  it('keys outside sections, stray lines and orphan continuations are problems', () => {
    const {value, problems} = parseIni('  orphan\nkey = 1\n[a]\nthis is not ini\nb = 2\n[b\n')
    expect(value).toEqual({a: {b: '2'}})
    expect(problems.map((p) => p.line)).toEqual([1, 2, 4, 6])
  })

  it('section and key names cannot reach Object.prototype', () => {
    const {value} = parseIni('[__proto__]\npolluted = yes\n[s]\n__proto__ = x\n')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(value.__proto__).toEqual({polluted: 'yes'})
  })
})

describe('bridgeMappings', () => {
  it('reads [OVS] from the Havana plugin ini', () => {
    expect(bridgeMappings(parseIni(HAVANA).value)).toEqual({
      value: {default: 'br-eth2', physnet2: 'br-ex'},
      problems: [],
    })
  })

  it('reads [ovs] from the modern agent ini, across a continuation line', () => {
    expect(bridgeMappings(parseIni(MODERN_AGENT).value)).toEqual({
      value: {physnet1: 'br-eth2', physnet2: 'br-ex'},
      problems: [],
    })
  })

  it('is empty without the option, and reports bad or repeated entries', () => {
    expect(bridgeMappings(parseIni(ML2).value)).toEqual({value: {}, problems: []})
    const {value, problems} = bridgeMappings(parseIni('[ovs]\nbridge_mappings = a:br-a,b,a:br-c,c:br-c\n').value)
    expect(value).toEqual({a: 'br-a', c: 'br-c'})
    expect(problems).toHaveLength(2)
  })
})

describe('networkVlanRanges', () => {
  it('reads [ml2_type_vlan], with a physnet listed without a range', () => {
    expect(networkVlanRanges(parseIni(ML2).value)).toEqual({
      value: {
        physnet1: [
          {min: 100, max: 199},
          {min: 300, max: 310},
        ],
        physnet2: [],
      },
      problems: [],
    })
  })

  it('reads [OVS] from the Havana plugin ini', () => {
    expect(networkVlanRanges(parseIni(HAVANA).value).value).toEqual({default: [{min: 1000, max: 2999}]})
  })

  it('reports ranges that are out of order or out of bounds', () => {
    const {value, problems} = networkVlanRanges(
      parseIni('[ml2_type_vlan]\nnetwork_vlan_ranges = a:10:5,b:1:4095,c:x:y,d:1:4094\n').value,
    )
    expect(value).toEqual({d: [{min: 1, max: 4094}]})
    expect(problems).toHaveLength(3)
  })
})

describe('tunnelSettings', () => {
  // As the Neutron lab writes it with NLAB_TUNNELS=vxlan (test/lab/neutron/control.sh).
  const LAB =
    `[agent]\ntunnel_types = vxlan\npolling_interval = 2\nl2_population = True\narp_responder = True\n[ovs]\n` +
    `integration_bridge = br-int\nbridge_mappings = default:br-eth2\ndatapath_type = netdev\nlocal_ip = 198.19.230.12\n`

  it('reads local_ip, tunnel_types, l2_population and arp_responder', () => {
    expect(tunnelSettings(parseIni(LAB).value)).toEqual({
      value: {localIp: '198.19.230.12', tunnelTypes: ['vxlan'], l2Population: true, arpResponder: true},
      problems: [],
    })
  })

  it('reads the Havana plugin ini ([OVS] local_ip, tunnel_bridge; [AGENT] tunnel_types)', () => {
    const ini =
      '[OVS]\nlocal_ip = 10.0.0.1\ntunnel_bridge = br-tun\n[AGENT]\ntunnel_types = gre, vxlan\nl2_population = false\n'
    expect(tunnelSettings(parseIni(ini).value).value).toEqual({
      localIp: '10.0.0.1',
      tunnelBridge: 'br-tun',
      tunnelTypes: ['gre', 'vxlan'],
      l2Population: false,
    })
  })

  it('reads a VLAN-only agent as no tunnel types, and reports values that are not booleans or ports', () => {
    expect(tunnelSettings(parseIni('[agent]\ntunnel_types =\n').value).value).toEqual({tunnelTypes: []})
    const {value, problems} = tunnelSettings(parseIni('[agent]\nl2_population = maybe\nvxlan_udp_port = 99999\n').value)
    expect(value).toEqual({})
    expect(problems.map((p) => p.message)).toEqual([
      '[agent] l2_population: "maybe" is not a boolean',
      '[agent] vxlan_udp_port: "99999" is not a UDP port',
    ])
  })
})
