// DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): pictures without a system package. One instance,
// made on first use and shared (it takes ~60 ms to start).

import type {Viz} from '@viz-js/viz'

let viz: Promise<Viz> | undefined

class RenderError extends Error {}

/** The SVG Graphviz draws for a DOT graph; its text is XML-escaped by Graphviz. Throws RenderError on bad DOT. */
export async function dotToSvg(dot: string): Promise<string> {
  // The module is imported with the first picture, not by every command that can draw one (--format svg is rare).
  viz ??= import('@viz-js/viz').then(({instance}) => instance())
  const result = (await viz).render(dot, {format: 'svg'})
  if (result.status !== 'success') {
    throw new RenderError(`Graphviz could not draw the graph: ${result.errors.map((e) => e.message).join('; ')}`)
  }
  return result.output
}
