import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpNetns} from '../../src/parsers/ip-netns.js'

const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

describe('parseIpNetns', () => {
  it('reads real bare names', () => {
    expect(parseIpNetns(sample('ip-netns-list.txt'))).toEqual({
      value: [{name: 'vm-3f7e5d8a'}, {name: 'qdhcp-b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e'}],
      problems: [],
    })
  })

  it('reads real names with ids', () => {
    expect(parseIpNetns(sample('ip-netns-list-ids.txt'))).toEqual({
      value: [
        {name: 'vm-3f7e5d8a', id: 0},
        {name: 'qdhcp-b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e', id: 1},
      ],
      problems: [],
    })
  })

  it('empty input (the seed shows none) is no namespaces', () => {
    expect(parseIpNetns('\n')).toEqual({value: [], problems: []})
  })

  it('error and garbled lines are problems', () => {
    const {value, problems} = parseIpNetns(
      'qrouter-1 (id: 3)\nError: Peer netns reference is invalid.\nqdhcp-2 (id: x)\n',
    )
    expect(value).toEqual([{name: 'qrouter-1', id: 3}])
    expect(problems.map((p) => p.line)).toEqual([2, 3])
  })
})
