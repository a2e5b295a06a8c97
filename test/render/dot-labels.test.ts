// What the pictures say. Graphviz reads HTML entities even in a quoted DOT label: a name holding `&lt;` or `&amp;`
// must be drawn as it is written, not decoded (`a&lt;b` drawn `a<b`); checked through the bundled Graphviz, whose SVG
// the report embeds. And a frame across a tunnel carries its VNI on every hop, the far side's br-tun included.

import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {diagnose, loadAnalysis, PACKAGE_ROOT, traceVm} from '../../src/engine.js'
import {dotLabel, dotString} from '../../src/render/escape.js'
import {renderTraceDot} from '../../src/render/trace.js'
import {dotToSvg} from '../../src/render/svg.js'

/** The text a person sees in an SVG: the <text> elements, XML entities decoded. */
function shown(svg: string): string[] {
  const decode = (s: string) =>
    s.replace(/&(lt|gt|quot|apos|amp|#(\d+));/g, (_, e: string, n?: string) =>
      n ? String.fromCodePoint(Number(n)) : ({lt: '<', gt: '>', quot: '"', apos: "'", amp: '&'} as const)[e as 'lt'],
    )
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!))
}

const HOSTILE = ['a&lt;b', 'x &amp; y', '&#60;script&#62;', 'br&quot;int', '<b>&nbsp;</b>', 'tap & "q"', '\\N &gt']

describe('DOT labels through Graphviz', () => {
  it('show a hostile name exactly as written, entities and all', async () => {
    const dot = [
      'digraph g {',
      ...HOSTILE.map((h, i) => `  n${i} [label=${dotLabel(h, 'VLAN 3')}];`),
      ...HOSTILE.map((h, i) => `  m${i} [label=${dotString(h)}];`),
      '}',
    ].join('\n')
    const texts = shown(await dotToSvg(dot))
    for (const h of HOSTILE)
      expect(
        texts.filter((t) => t === h),
        h,
      ).toHaveLength(2)
  })
})

describe('a trace across a VXLAN tunnel (fixtures/snapshots/neutron-vxlan)', () => {
  it('labels the tunnel hops and both br-tun with the VNI, never "untagged"', async () => {
    const analysis = await loadAnalysis(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-vxlan'))
    const results = traceVm(analysis, 'fa:16:3e:36:9c:e6', 'dhcp')
    const dot = renderTraceDot(results, diagnose(analysis))
    const texts = shown(await dotToSvg(dot))
    expect(texts).toContain('VLAN 2 → VNI 101')
    expect(texts).toContain('VNI 101 → VLAN 2')
    expect(texts.filter((t) => t.trim() === 'VNI 101').length).toBeGreaterThanOrEqual(4)
    // Untagged only where the frame truly is: between the VM and qvo, and in the DHCP namespace.
    const labels = [...dot.matchAll(/(\w+) -> (\w+) \[(?:dir=back, )?label=" ([^"]+) "\]/g)]
    const vni = labels.filter((m) => m[3] === 'VNI 101').map((m) => `${m[1]}-${m[2]}`)
    expect(vni).toHaveLength(4)
    expect(dot).not.toMatch(/br-tun\\n(untagged|VLAN \d+ → untagged)/)
  })
})
