// Every parser runs in linear time on any input: one long line of spaces, of `<!--` or of `=`, each of which took a
// backtracking regular expression seconds to minutes before (issue 8). Each case stays far under the fuzz tier's
// 200 ms bound for 1 MB; the least CPU time of three runs counts (the machine may be busy).

import {describe, expect, it} from 'vitest'
import {parseIni} from '../../src/parsers/ini.js'
import {parseIpLink} from '../../src/parsers/ip-link.js'
import {parseLibvirtXml} from '../../src/parsers/libvirt-xml.js'
import {bestTimeMs} from '../support/best-time.js'

const MB = 1_000_000

describe('parsers on one long hostile line', () => {
  it('ip link: a long run of spaces (was split(/\\s*\\\\\\s*/), quadratic)', () => {
    const text = `1: lo:${' '.repeat(60_000)}x\n`
    expect(bestTimeMs(() => parseIpLink(text))).toBeLessThan(200)
    expect(parseIpLink(text).problems.length).toBeGreaterThan(0)
  })

  it('ip -o link: continuation backslashes still split a device into its lines', () => {
    const r = parseIpLink(
      '2: eth0: <BROADCAST,UP> mtu 1500 state UP \\    link/ether fa:16:3e:00:00:01 brd ff:ff:ff:ff:ff:ff\n',
    )
    expect(r.value).toMatchObject([{name: 'eth0', mac: 'fa:16:3e:00:00:01', adminUp: true}])
  })

  it('ini: a key of spaces with no = (was a lazy key regex, quadratic)', () => {
    const text = `[ovs]\na${' '.repeat(60_000)}b\n`
    expect(bestTimeMs(() => parseIni(text))).toBeLessThan(200)
    expect(parseIni(text).problems).toMatchObject([{line: 2, message: 'not a section, key = value, or comment'}])
  })

  it('ini: key = value and key: value read as before', () => {
    expect(parseIni('[ovs]\nbridge_mappings   =  default:br-eth2\nlocal_ip: 10.0.0.1\n').value.ovs).toEqual({
      bridge_mappings: 'default:br-eth2',
      local_ip: '10.0.0.1',
    })
  })

  it('libvirt XML: a long run of unclosed <!-- (comment stripping was quadratic)', () => {
    const text = '<!--'.repeat(30_000)
    expect(bestTimeMs(() => parseLibvirtXml(text))).toBeLessThan(200)
    expect(parseLibvirtXml(text).problems[0]?.message).toMatch(/not XML/)
  })

  it('libvirt XML: a document past 128 KiB is not read (the XML parser is not linear enough for a megabyte)', () => {
    const text = `<domain><name>${'a'.repeat(MB)}</name></domain>`
    expect(bestTimeMs(() => parseLibvirtXml(text))).toBeLessThan(200)
    expect(parseLibvirtXml(text).problems[0]?.message).toMatch(/not read/)
  })

  it('line-oriented parsers skip a line past 64 KiB and say so', () => {
    const text = `[ovs]\nbridge_mappings = ${'x'.repeat(70_000)}\nlocal_ip = 10.0.0.1\n`
    const r = parseIni(text)
    expect(r.value.ovs).toEqual({local_ip: '10.0.0.1'})
    expect(r.problems).toMatchObject([{line: 2, message: expect.stringMatching(/longer than 65536/)}])
  })

  it('libvirt XML: declarations, comments and DOCTYPE before the root are skipped', () => {
    const r = parseLibvirtXml(
      '<?xml version="1.0"?>\n<!-- <interface> -->\n<!DOCTYPE domain>\n<domain type="kvm"><name>vm</name></domain>\n',
    )
    expect(r.value.name).toBe('vm')
    expect(r.problems).toEqual([])
  })
})
