import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseBrctlShow} from '../../src/parsers/brctl-show.js'

const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

describe('parseBrctlShow', () => {
  it('reads real tab-separated output with continuation lines and an empty bridge', () => {
    const {value, problems} = parseBrctlShow(sample('brctl-show.txt'))
    expect(problems).toEqual([])
    expect(value).toEqual([
      {name: 'qbr3f7e5d8a-1b', id: '8000.0a24cac9a5f1', stp: false, interfaces: ['qvb3f7e5d8a-1b', 'tap3f7e5d8a-1b']},
      {name: 'qbrdeadbeef-00', id: '8000.000000000000', stp: false, interfaces: []},
      {name: 'br-lab', id: '8000.cee8346d6703', stp: false, interfaces: ['qvo3f7e5d8a-1b', 'tapd1e2f3a4-5b']},
    ])
  })

  it("reads the seed's space-separated 2013 transcription", () => {
    const {value, problems} = parseBrctlShow(sample('seed-brctl-show.txt'))
    expect(problems).toEqual([])
    expect(value).toEqual([
      {name: 'qbr53903a95-82', id: '8000.7e7f3282b836', stp: false, interfaces: ['qvb53903a95-82']},
    ])
  })

  it('empty input is no bridges', () => {
    expect(parseBrctlShow('')).toEqual({value: [], problems: []})
    expect(parseBrctlShow('bridge name\tbridge id\t\tSTP enabled\tinterfaces\n')).toEqual({value: [], problems: []})
  })

  it("brctl's error message is a problem", () => {
    const {value, problems} = parseBrctlShow(sample('brctl-show-missing.err'))
    expect(value).toEqual([])
    expect(problems).toMatchObject([{line: 1, text: 'bridge no-such-br does not exist!'}])
  })

  it('garbled lines are problems and the rest is read', () => {
    const text = '\t\t\t\torphan0\nbr0\t\t8000.001122334455\tyes\t\teth0\n\t\t\t\ta b\nbr1 nonsense\n\t\t\teth9\n'
    const {value, problems} = parseBrctlShow(text)
    expect(value).toEqual([{name: 'br0', id: '8000.001122334455', stp: true, interfaces: ['eth0']}])
    expect(problems.map((p) => p.line)).toEqual([1, 3, 4, 5])
  })
})
