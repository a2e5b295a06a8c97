import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parseOfctlShow} from '../../src/parsers/ovs-ofctl-show.js'
import {bestTimeMs} from '../support/best-time.js'

const SAMPLES = fileURLToPath(new URL('../../fixtures/samples/ovs/', import.meta.url))
const sample = (path: string): string => readFileSync(SAMPLES + path, 'utf8')
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/

describe('parseOfctlShow on captured output', () => {
  it('reads the seed-era br-int: numbered ports and LOCAL, skipping the dead port that has no ofport', () => {
    const {value, problems} = parseOfctlShow(sample('seed-era/ofctl-show-br-int.txt'))
    expect(problems).toEqual([])
    expect(value.ports.map((p) => [p.ofport, p.name])).toEqual([
      [1, 'int-br-eth2'],
      [2, 'int-br-ex'],
      [3, 'tap26c9b807-7c'],
      [4, 'qvo53903a95-82'],
      [6, 'patch-tun'],
      ['LOCAL', 'br-int'],
    ])
    expect(value.ports.every((p) => p.mac !== undefined && MAC.test(p.mac))).toBe(true)
  })

  it('reads OF1.0 and OF1.3 (port-desc reply) the same way', () => {
    const of10 = parseOfctlShow(sample('modern/ofctl-show-br-int.txt'))
    const of13 = parseOfctlShow(sample('modern/ofctl-show-of13-br-int.txt'))
    expect(of10.problems).toEqual([])
    expect(of13.problems).toEqual([])
    expect(of13.value.ports.map((p) => [p.ofport, p.name])).toEqual(of10.value.ports.map((p) => [p.ofport, p.name]))
    expect(of13.value.ports.find((p) => p.name === 'qvo3f7e5d8a-1b')!.ofport).toBe(3)
    expect(of13.value.ports.map((p) => p.name)).not.toContain('qvodeadbeef-00')
  })

  it('reads a bridge of tunnel and patch ports', () => {
    const {value} = parseOfctlShow(sample('modern/ofctl-show-br-tun.txt'))
    expect(value.ports.map((p) => [p.ofport, p.name])).toEqual([
      [1, 'patch-int'],
      [2, 'vxlan-c6120002'],
      ['LOCAL', 'br-tun'],
    ])
  })
})

describe('parseOfctlShow on empty, error and garbled input', () => {
  it('reports empty output', () => {
    expect(parseOfctlShow('')).toEqual({
      value: {ports: []},
      problems: [{message: 'empty output: no OpenFlow features reply'}],
    })
  })

  it('reports a missing bridge', () => {
    const {value, problems} = parseOfctlShow(sample('errors/ofctl-show-no-bridge.txt'))
    expect(value.ports).toEqual([])
    expect(problems).toEqual([
      {
        line: 1,
        text: 'ovs-ofctl: br-missing is not a bridge or a socket',
        message: 'command reported: ovs-ofctl: br-missing is not a bridge or a socket',
      },
    ])
  })

  it('reports garbled lines with their numbers and keeps the ports around them', () => {
    const text = [
      'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000da176619b345',
      ' 1(int-br-eth2): addr:0a:a8:0e:59:e3:bf',
      '     config:     0',
      ' x(broken): addr:00:00:00:00:00:01',
      ' 2(qvo "x"): addr:zz:zz',
      ' LOCAL(br-int): addr:DA:17:66:19:B3:45',
      'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0',
    ].join('\n')
    const {value, problems} = parseOfctlShow(text)
    expect(value.ports).toEqual([
      {ofport: 1, name: 'int-br-eth2', mac: '0a:a8:0e:59:e3:bf'},
      {ofport: 'LOCAL', name: 'br-int', mac: 'da:17:66:19:b3:45'},
    ])
    expect(problems.map((p) => p.line)).toEqual([4, 5])
  })
})

describe('parseOfctlShow on hostile and out-of-range input', () => {
  it('records an ofport out of range as a problem, not a port', () => {
    const {value, problems} = parseOfctlShow(
      ' 4294967296(qvo1): addr:fa:16:3e:00:00:01\n 3(qvo2): addr:fa:16:3e:00:00:02',
    )
    expect(value.ports).toEqual([{ofport: 3, name: 'qvo2', mac: 'fa:16:3e:00:00:02'}])
    expect(problems).toHaveLength(1)
    expect(problems[0]!.message).toMatch(/ofport 4294967296 out of range/)
  })

  it('reads a 1 MB line in under 200 ms and reports it', () => {
    const line = ` 1(${'): addr:a'.repeat(100_000)}!`
    expect(bestTimeMs(() => parseOfctlShow(line))).toBeLessThan(200)
    const {value, problems} = parseOfctlShow(line)
    expect(value.ports).toEqual([])
    expect(problems[0]!.message).toMatch(/too long/)
  })
})
