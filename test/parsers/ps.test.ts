import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parsePs} from '../../src/parsers/ps.js'

const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/dnsmasq/${name}`, import.meta.url), 'utf8')

describe('parsePs', () => {
  it('reads real ps -ww -o pid=,args= output', () => {
    const {value, problems} = parsePs(sample('ps.txt'))
    expect(problems).toEqual([])
    expect(value).toHaveLength(2)
    const dnsmasq = value[1]
    expect(dnsmasq.line).toBe(2)
    expect(dnsmasq.pid).toBe(Number(sample('pid').trim()))
    expect(dnsmasq.argv[0]).toBe('dnsmasq')
    expect(dnsmasq.argv).toContain('--bind-dynamic')
    expect(dnsmasq.argv.at(-1)).toBe('--domain=openstacklocal')
  })

  it("reads the seed's command line, which has no pid", () => {
    const {value, problems} = parsePs(sample('seed-ps.txt'))
    expect(problems).toEqual([])
    expect(value).toHaveLength(1)
    expect(value[0].pid).toBeUndefined()
    expect(value[0].argv.slice(0, 3)).toEqual(['dnsmasq', '--no-hosts', '--no-resolv'])
    expect(value[0].argv).toHaveLength(15)
  })

  it('skips headers and blank lines; kernel threads are one-word argvs', () => {
    expect(parsePs('  PID COMMAND\n\n    2 [kthreadd]\n').value).toEqual([{line: 3, pid: 2, argv: ['[kthreadd]']}])
    expect(parsePs('')).toEqual({value: [], problems: []})
  })

  it('a pid alone or control characters are problems', () => {
    const {value, problems} = parsePs('  17\n  18 evil\x1b[2J\n  19 sleep 5\n')
    expect(value).toEqual([{line: 3, pid: 19, argv: ['sleep', '5']}])
    expect(problems.map((p) => p.line)).toEqual([1, 2])
  })
})
