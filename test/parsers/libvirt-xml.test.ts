import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {Parser} from 'xml2js'

import {parseLibvirtXml} from '../../src/parsers/libvirt-xml.js'

const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/libvirt/${name}`, import.meta.url), 'utf8')

describe('xml2js', () => {
  it('calls the parseString callback before returning when async is false', () => {
    let seen: unknown
    new Parser({async: false}).parseString('<a x="1"/>', (_error: Error | null, result: unknown) => {
      seen = result
    })
    expect(seen).toEqual({a: {$: {x: '1'}}})
  })
})

describe('parseLibvirtXml', () => {
  it("reads Nova's libvirt.xml (hybrid plug, double quotes)", () => {
    expect(parseLibvirtXml(sample('nova-libvirt-hybrid.xml'))).toEqual({
      value: {
        uuid: '3707ac87-4f5d-4349-b7ed-3a673f55e5e1',
        name: 'instance-00000002',
        novaName: 'Oracle Linux',
        interfaces: [
          {
            type: 'bridge',
            mac: 'fa:16:3e:fe:c7:87',
            model: 'virtio',
            sourceBridge: 'qbr53903a95-82',
            targetDev: 'tap53903a95-82',
          },
        ],
      },
      problems: [],
    })
  })

  it('reads virsh dumpxml (single quotes, alias, address, native OVS virtualport)', () => {
    const {value, problems} = parseLibvirtXml(sample('virsh-dumpxml-ovs.xml'))
    expect(problems).toEqual([])
    expect(value).toMatchObject({
      uuid: '8e1c6a5b-2d3f-4e7a-9b1c-0d2e3f4a5b6c',
      name: 'instance-0000000a',
      novaName: 'web-1',
    })
    expect(value.interfaces).toEqual([
      {
        type: 'bridge',
        mac: 'fa:16:3e:11:22:33',
        sourceBridge: 'br-int',
        targetDev: 'tap9c8b7a6d-5e',
        model: 'virtio',
        mtu: 1450,
        virtualPort: {type: 'openvswitch', interfaceId: '9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d'},
      },
      {
        type: 'bridge',
        mac: 'fa:16:3e:4a:5b:6c',
        sourceBridge: 'qbr3f7e5d8a-1b',
        targetDev: 'tap3f7e5d8a-1b',
        model: 'virtio',
        mtu: 1450,
      },
    ])
  })

  it('reads vhostuser and ethernet interfaces behind a leading comment', () => {
    const {value, problems} = parseLibvirtXml(sample('qemu-vhostuser-ethernet.xml'))
    expect(problems).toEqual([])
    expect(value.novaName).toBe('dpdk-vm')
    expect(value.interfaces).toEqual([
      {
        type: 'vhostuser',
        mac: 'fa:16:3e:aa:bb:cc',
        vhostPath: '/var/run/openvswitch/vhuaabbccdd-ee',
        model: 'virtio',
        mtu: 9000,
      },
      {type: 'ethernet', mac: 'fa:16:3e:dd:ee:ff', targetDev: 'tapddeeff00-11', model: 'virtio', mtu: 1500},
    ])
  })

  it("reads the seed's unclosed <interface> fragment and says the domain is missing", () => {
    const {value, problems} = parseLibvirtXml(sample('seed-fragment.xml'))
    expect(value).toEqual({
      interfaces: [
        {type: 'bridge', mac: 'fa:16:3e:fe:c7:87', sourceBridge: 'qbr53903a95-82', targetDev: 'tap53903a95-82'},
      ],
    })
    expect(problems.map((p) => p.message)).toEqual([
      'no <domain> element: a fragment, VM uuid and name unknown',
      'fragment leaves 1 <interface> element(s) unclosed: closed at the end',
    ])
  })

  it('reads a <devices> fragment', () => {
    const {value, problems} = parseLibvirtXml(
      '<devices><interface type="ethernet"><target dev="tap1"/></interface></devices>',
    )
    expect(value.interfaces).toEqual([{type: 'ethernet', targetDev: 'tap1'}])
    expect(problems).toHaveLength(1)
  })

  it('empty input is a problem', () => {
    expect(parseLibvirtXml('  \n')).toEqual({value: {interfaces: []}, problems: [{message: 'empty XML document'}]})
  })

  it('truncated and garbled XML are problems with a line, never a throw', () => {
    const truncated = sample('virsh-dumpxml-ovs.xml').split('\n').slice(0, 60).join('\n')
    const result = parseLibvirtXml(truncated)
    expect(result.value.interfaces).toEqual([])
    expect(result.problems).toHaveLength(1)
    expect(result.problems[0].message).toMatch(/^invalid XML: /)
    expect(result.problems[0].line).toBeGreaterThan(0)
    expect(parseLibvirtXml('<domain><devices><interface type="bridge"></devices></domain>').problems[0]).toMatchObject({
      line: 1,
    })
    expect(parseLibvirtXml('not xml at all').problems).toMatchObject([{line: 1, message: 'not XML: no element found'}])
  })

  it('an interface without a type is a problem; a domain without devices has no interfaces', () => {
    const noType = parseLibvirtXml(
      "<domain><devices><interface><mac address='fa:16:3e:00:00:01'/></interface></devices></domain>",
    )
    expect(noType.value.interfaces).toEqual([{type: '', mac: 'fa:16:3e:00:00:01'}])
    expect(noType.problems).toEqual([{message: 'interface #1 has no type attribute'}])
    expect(parseLibvirtXml('<domain><name>x</name></domain>')).toEqual({
      value: {name: 'x', interfaces: []},
      problems: [],
    })
  })
})
