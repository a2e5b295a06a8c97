import {describe, expect, it} from 'vitest'
import {checkBridgeName, checkFilePath, checkIfName, checkNetnsName, checkPid} from '../../src/collect/validate.js'

describe('validators', () => {
  it('accepts the names Neutron makes', () => {
    for (const ns of [
      'qdhcp-5f833617-6179-4797-b7c0-7d420d84040c',
      'qrouter-1',
      'snat-x',
      'fip-y',
      'ns.with:colon_1',
    ]) {
      expect(checkNetnsName(ns)).toEqual({ok: true, value: ns})
    }
    for (const br of ['br-int', 'br-tun', 'br-eth2', 'br-ex']) expect(checkBridgeName(br).ok).toBe(true)
    for (const dev of ['qvo3f7e5d8a-1b', 'tap3f7e5d8a-1b', 'int-br-ph88a328', 'eth0.100', 'lo'])
      expect(checkIfName(dev).ok).toBe(true)
    expect(checkPid('4242').ok).toBe(true)
  })

  it('rejects shell metacharacters, spaces, leading dashes and over-long names', () => {
    for (const bad of [
      'qdhcp-x;touch /tmp/pwned',
      'a b',
      '-n',
      '$(id)',
      '`id`',
      'a|b',
      '',
      'x'.repeat(65),
      'a\nb',
      'a/b',
      '../x',
    ]) {
      const r = checkNetnsName(bad)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.reason).toContain('does not match')
    }
    expect(checkBridgeName('br int').ok).toBe(false)
    expect(checkIfName('a'.repeat(16)).ok).toBe(false)
    expect(checkIfName('..').ok).toBe(false)
    for (const pid of ['0', '-1', '12a', '01', '12345678901', '1 2']) expect(checkPid(pid).ok).toBe(false)
  })

  it('keeps file paths under the expected directories', () => {
    const allowed = {dirs: ['/var/lib/neutron/dhcp/']}
    expect(checkFilePath('/var/lib/neutron/dhcp/5f83/host', allowed)).toEqual({
      ok: true,
      value: '/var/lib/neutron/dhcp/5f83/host',
    })
    const cases: [string, RegExp][] = [
      ['/var/lib/neutron/dhcp/../../../etc/shadow', /"\.\." segment/],
      ['/var/lib/neutron/dhcp/./host', /segment/],
      ['/var/lib/neutron/dhcp//host', /segment/],
      ['/etc/shadow', /outside the expected places/],
      ['/var/lib/neutron/dhcp/', /segment/],
      ['/var/lib/neutron', /outside/],
      ['/var/lib/neutron/dhcpx/host', /outside/],
      ['var/lib/neutron/dhcp/host', /not absolute/],
      ['/var/lib/neutron/dhcp/a\nb', /control characters/],
      ['/var/lib/neutron/dhcp/a\u001b[31m', /control characters/],
      ['/var/lib/neutron/dhcp/a\\b', /backslash/],
      ['', /empty/],
    ]
    for (const [path, why] of cases) {
      const r = checkFilePath(path, allowed)
      expect(r.ok, path).toBe(false)
      if (!r.ok) expect(r.reason).toMatch(why)
    }
    expect(
      checkFilePath('/etc/libvirt/qemu/instance-00000001.xml', {dirs: ['/etc/libvirt/qemu/'], suffix: '.xml'}).ok,
    ).toBe(true)
    expect(checkFilePath('/etc/libvirt/qemu/x.conf', {dirs: ['/etc/libvirt/qemu/'], suffix: '.xml'}).ok).toBe(false)
    expect(checkFilePath('/etc/neutron/dhcp_agent.ini', {exact: ['/etc/neutron/dhcp_agent.ini']}).ok).toBe(true)
  })
})
