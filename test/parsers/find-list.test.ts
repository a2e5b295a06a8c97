import {describe, expect, it} from 'vitest'

import {parseFindList} from '../../src/parsers/find-list.js'

describe('parseFindList', () => {
  it('reads absolute paths, one a line', () => {
    const text =
      '/var/lib/neutron/dhcp/b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e/host\n/var/lib/neutron/dhcp/b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e/opts\n/etc/libvirt/qemu/instance 0000000a.xml\n'
    expect(parseFindList(text)).toEqual({
      value: [
        '/var/lib/neutron/dhcp/b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e/host',
        '/var/lib/neutron/dhcp/b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e/opts',
        '/etc/libvirt/qemu/instance 0000000a.xml',
      ],
      problems: [],
    })
  })

  it('empty output is no paths', () => {
    expect(parseFindList('')).toEqual({value: [], problems: []})
  })

  it("find's complaints, relative paths and control characters are problems", () => {
    const text =
      "find: '/var/lib/neutron/dhcp': No such file or directory\nrelative/path\n/tmp/evil\x1b[31m\n/ok\n/tab\there\n"
    const {value, problems} = parseFindList(text)
    expect(value).toEqual(['/ok'])
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'not an absolute path'],
      [2, 'not an absolute path'],
      [3, 'path contains control characters'],
      [5, 'path contains control characters'],
    ])
  })
})
