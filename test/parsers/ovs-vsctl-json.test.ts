import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {
  buildOvsConfig,
  columnMap,
  columnNumber,
  columnNumbers,
  columnString,
  columnStrings,
  decodeOvsdbValue,
  parseOvsdbJson,
  rowUuid,
  type OvsdbTable,
} from '../../src/parsers/ovs-vsctl-json.js'
import {parseOvsVsctlShow} from '../../src/parsers/ovs-vsctl-show.js'
import type {OvsConfig} from '../../src/types.js'

const SAMPLES = fileURLToPath(new URL('../../fixtures/samples/ovs/', import.meta.url))
const sample = (path: string): string => readFileSync(SAMPLES + path, 'utf8')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function table(dir: string, name: string): OvsdbTable {
  const {value, problems} = parseOvsdbJson(sample(`${dir}/vsctl-list-${name}.json`))
  expect(problems).toEqual([])
  return value
}

function tables(dir: string) {
  return {
    openVswitch: table(dir, 'Open_vSwitch'),
    bridge: table(dir, 'Bridge'),
    port: table(dir, 'Port'),
    iface: table(dir, 'Interface'),
  }
}

/** What `ovs-vsctl show` and the JSON tables both tell, in a stable order. */
function outline(config: OvsConfig): unknown {
  return config.bridges
    .map((b) => ({
      name: b.name,
      failMode: b.failMode,
      datapathType: b.datapathType,
      ports: b.ports
        .map((p) => ({
          name: p.name,
          tag: p.tag,
          trunks: p.trunks,
          interfaces: p.interfaces.map((i) => ({name: i.name, type: i.type, options: i.options, error: i.error})),
        }))
        .sort((x, y) => x.name.localeCompare(y.name)),
    }))
    .sort((x, y) => x.name.localeCompare(y.name))
}

describe('decodeOvsdbValue: the OVSDB JSON encoding', () => {
  it('decodes atoms, uuids, sets (one element bare) and maps', () => {
    expect(decodeOvsdbValue('secure')).toEqual({value: 'secure'})
    expect(decodeOvsdbValue(-1)).toEqual({value: -1})
    expect(decodeOvsdbValue(true)).toEqual({value: true})
    expect(decodeOvsdbValue(['uuid', 'b2e4e496-2d5b-40be-b41f-7b8490d25736'])).toEqual({
      value: {uuid: 'b2e4e496-2d5b-40be-b41f-7b8490d25736'},
    })
    expect(decodeOvsdbValue(['named-uuid', 'row1'])).toEqual({value: {uuid: 'row1', named: true}})
    expect(decodeOvsdbValue(['set', []])).toEqual({value: []})
    expect(decodeOvsdbValue(['set', [4095]])).toEqual({value: 4095})
    expect(decodeOvsdbValue(['set', [100, 200]])).toEqual({value: [100, 200]})
    expect(
      decodeOvsdbValue([
        'set',
        [
          ['uuid', 'a'],
          ['uuid', 'b'],
        ],
      ]),
    ).toEqual({value: [{uuid: 'a'}, {uuid: 'b'}]})
    expect(
      decodeOvsdbValue([
        'map',
        [
          ['peer', 'patch-int'],
          [60, ['uuid', 'c']],
        ],
      ]),
    ).toEqual({
      value: {
        map: [
          ['peer', 'patch-int'],
          [60, {uuid: 'c'}],
        ],
      },
    })
  })

  it('rejects what is not in the encoding', () => {
    expect(decodeOvsdbValue(['set', [[1, 2]]])).toHaveProperty('error')
    expect(decodeOvsdbValue(['map', [['k']]])).toHaveProperty('error')
    expect(decodeOvsdbValue({a: 1})).toHaveProperty('error')
    expect(decodeOvsdbValue(null)).toHaveProperty('error')
  })

  it('reads columns as string, number, lists and maps, whether the set printed bare or not', () => {
    const row = {
      _uuid: {uuid: '6821e619-5375-4082-a512-ee03a425bd34'},
      name: 'tapb7c8d9e0-aa',
      ofport: 4,
      tag: [],
      trunks: 4095,
      more: [100, 200],
      interfaces: [{uuid: 'a'}, {uuid: 'b'}],
      external_ids: {
        map: [
          ['iface-id', 'b7c8d9e0'],
          ['n', 1],
        ] as [string, string | number][],
      },
    }
    expect(rowUuid(row)).toBe('6821e619-5375-4082-a512-ee03a425bd34')
    expect(columnString(row, 'name')).toBe('tapb7c8d9e0-aa')
    expect(columnString(row, 'tag')).toBeUndefined()
    expect(columnString(row, 'missing')).toBeUndefined()
    expect(columnNumber(row, 'ofport')).toBe(4)
    expect(columnNumber(row, 'name')).toBeUndefined()
    expect(columnNumbers(row, 'trunks')).toEqual([4095])
    expect(columnNumbers(row, 'more')).toEqual([100, 200])
    expect(columnStrings(row, 'interfaces')).toEqual(['a', 'b'])
    expect(columnMap(row, 'external_ids')).toEqual({'iface-id': 'b7c8d9e0', n: '1'})
    expect(columnMap(row, 'name')).toEqual({})
  })
})

describe('parseOvsdbJson on captured `ovs-vsctl --format=json list`', () => {
  it('reads the Interface table with its headings and decoded cells', () => {
    const iface = table('modern', 'Interface')
    expect(iface.headings).toContain('_uuid')
    expect(iface.headings).toContain('ofport')
    const dead = iface.rows.find((r) => columnString(r, 'name') === 'qvodeadbeef-00')!
    expect(columnNumber(dead, 'ofport')).toBe(-1)
    expect(columnString(dead, 'error')).toBe('could not open network device qvodeadbeef-00 (No such device)')
    const vxlan = iface.rows.find((r) => columnString(r, 'name') === 'vxlan-c6120002')!
    expect(columnMap(vxlan, 'options')).toMatchObject({remote_ip: '198.18.0.2', local_ip: '198.18.0.1', in_key: 'flow'})
  })

  it('reads trunks [4095] (printed bare) and [100, 200, 300] (printed as a set)', () => {
    const port = table('modern', 'Port')
    const byName = (n: string) => port.rows.find((r) => columnString(r, 'name') === n)!
    expect(columnNumbers(byName('qvodeadbeef-00'), 'trunks')).toEqual([4095])
    expect(columnNumbers(byName('trunk-port'), 'trunks')).toEqual([100, 200, 300])
    expect(columnNumber(byName('qvo3f7e5d8a-1b'), 'tag')).toBe(1)
  })
})

describe('buildOvsConfig', () => {
  it('joins the modern tables: tags, trunks, vlan_mode, ids, ofport -1 with its error, states, controller uuid', () => {
    const {value, problems} = buildOvsConfig(tables('modern'))
    expect(problems).toEqual([])
    expect(value.uuid).toMatch(UUID)
    expect(value.ovsVersion).toBe('3.1.0')
    const brInt = value.bridges.find((b) => b.name === 'br-int')!
    expect(brInt).toMatchObject({datapathType: 'netdev', failMode: 'secure', externalIds: {'bridge-id': 'br-int'}})
    expect(brInt.otherConfig).toEqual({'mac-table-size': '50000'})
    expect(brInt.controllers).toHaveLength(1)
    expect(brInt.controllers[0]).toMatch(UUID)
    const dead = brInt.ports.find((p) => p.name === 'qvodeadbeef-00')!
    expect(dead).toMatchObject({tag: 4095, trunks: [4095], vlanMode: 'trunk'})
    expect(dead.interfaces[0]).toMatchObject({
      ofport: -1,
      error: 'could not open network device qvodeadbeef-00 (No such device)',
    })
    const vm = brInt.ports.find((p) => p.name === 'qvo3f7e5d8a-1b')!
    expect(vm.otherConfig).toEqual({
      net_uuid: 'a1b2c3d4-0000-4000-8000-000000000001',
      network_type: 'vlan',
      physical_network: 'physnet2',
      segmentation_id: '100',
      tag: '1',
    })
    const vif = vm.interfaces[0]!
    expect(vif).toMatchObject({type: '', ofport: 3, adminState: 'up', linkState: 'up'})
    expect(vif.externalIds).toEqual({
      'attached-mac': 'fa:16:3e:4a:5b:6c',
      'iface-id': '3f7e5d8a-1b2c-4d3e-8f4a-5b6c7d8e9f00',
      'iface-status': 'active',
      'vm-uuid': '0f0e0d0c-0b0a-4909-8807-060504030201',
    })
    expect(vif.macInUse).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
    expect(typeof vif.ifindex).toBe('number')
    expect(vif.uuid).toMatch(UUID)
    expect(brInt.ports.find((p) => p.name === 'trunk-port')).toMatchObject({vlanMode: 'native-untagged', tag: 100})
    const patch = brInt.ports.find((p) => p.name === 'int-br-eth2')!.interfaces[0]!
    expect(patch).toMatchObject({type: 'patch', options: {peer: 'phy-br-eth2'}, ofport: 1})
  })

  it('agrees with `ovs-vsctl show` of the same database (seed-era and modern)', () => {
    for (const dir of ['seed-era', 'modern']) {
      const fromJson = buildOvsConfig(tables(dir)).value
      const fromShow = parseOvsVsctlShow(sample(`${dir}/vsctl-show.txt`)).value
      expect(outline(fromJson), dir).toEqual(outline(fromShow))
      expect(fromJson.uuid).toBe(fromShow.uuid)
    }
  })

  it('reports dangling references and keeps what it can join', () => {
    const t = tables('modern')
    const port = {...t.port, rows: t.port.rows.filter((r) => columnString(r, 'name') !== 'qvo3f7e5d8a-1b')}
    const iface = {...t.iface, rows: t.iface.rows.filter((r) => columnString(r, 'name') !== 'patch-tun')}
    const bridge = {...t.bridge, rows: t.bridge.rows.filter((r) => columnString(r, 'name') !== 'br-tun')}
    const {value, problems} = buildOvsConfig({openVswitch: t.openVswitch, bridge, port, iface})
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Open_vSwitch: bridge [0-9a-f-]{36} is not in the Bridge table$/),
        expect.stringMatching(/^Bridge br-int: port [0-9a-f-]{36} is not in the Port table$/),
        expect.stringMatching(/^Port patch-tun: interface [0-9a-f-]{36} is not in the Interface table$/),
      ]),
    )
    expect(problems).toHaveLength(3)
    const brInt = value.bridges.find((b) => b.name === 'br-int')!
    expect(brInt.ports.map((p) => p.name)).not.toContain('qvo3f7e5d8a-1b')
    expect(brInt.ports.find((p) => p.name === 'patch-tun')!.interfaces).toEqual([])
  })

  it('says which tables are missing', () => {
    const {value, problems} = buildOvsConfig({})
    expect(value.bridges).toEqual([])
    expect(problems.map((p) => p.message)).toEqual([
      'Bridge table missing: bridges unknown',
      'Port table missing: ports unknown',
      'Interface table missing: interfaces unknown',
    ])
  })
})

describe('parseOvsdbJson on empty, error and garbled input', () => {
  it('reports empty output', () => {
    expect(parseOvsdbJson('')).toEqual({
      value: {headings: [], rows: []},
      problems: [{message: 'empty output: no OVSDB table'}],
    })
  })

  it('reports the database connection failure', () => {
    const {value, problems} = parseOvsdbJson(sample('errors/vsctl-list-no-db.txt'))
    expect(value.rows).toEqual([])
    expect(problems).toHaveLength(1)
    expect(problems[0]!.message).toMatch(/^command reported: ovs-vsctl: unix:.*database connection failed/)
  })

  it('reports truncated JSON with a line', () => {
    const text = sample('modern/vsctl-list-Bridge.json')
    const {value, problems} = parseOvsdbJson(text.slice(0, Math.floor(text.length / 2)))
    expect(value.rows).toEqual([])
    expect(problems).toHaveLength(1)
    expect(problems[0]!.line).toBe(1)
    expect(problems[0]!.message).toMatch(/^not OVSDB JSON/)
  })

  it('reports JSON of another shape, short rows and bad cells, and keeps the good rows', () => {
    expect(parseOvsdbJson('{"rows": []}').problems[0]!.message).toBe('JSON without "headings" and "data"')
    const text = JSON.stringify({
      headings: ['_uuid', 'name', 'tag'],
      data: [
        [['uuid', 'u1'], 'p1', 1],
        [['uuid', 'u2'], 'p2'],
        [['uuid', 'u3'], 'p3', ['bogus', 1]],
      ],
    })
    const {value, problems} = parseOvsdbJson(text)
    expect(value.rows.map((r) => columnString(r, 'name'))).toEqual(['p1', 'p3'])
    expect(value.rows[1]!.tag).toBeUndefined()
    expect(problems.map((p) => p.message)).toEqual([
      'row 2: expected 3 cells',
      expect.stringMatching(/^row 3, column tag: not an OVSDB atom/),
    ])
  })
})

describe('buildOvsConfig on values out of range', () => {
  it('records a port tag outside 0–4095 as a problem instead of keeping it', () => {
    const modern = tables('modern')
    const row = modern.port.rows.find((r) => columnString(r, 'name') === 'qvo3f7e5d8a-1b')!
    row.tag = 1e23
    const {value, problems} = buildOvsConfig(modern)
    expect(problems.map((p) => p.message)).toEqual(['Port qvo3f7e5d8a-1b: tag 1e+23 out of range (0–4095)'])
    const port = value.bridges.flatMap((b) => b.ports).find((p) => p.name === 'qvo3f7e5d8a-1b')!
    expect(port.tag).toBeUndefined()
  })
})
