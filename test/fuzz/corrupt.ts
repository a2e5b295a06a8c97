// Seeded damage for the fuzz tier: the ways a capture goes wrong in real life (cut short by a timeout or a full disk,
// emptied, garbled, lines lost or doubled, binary noise) and the hostile extremes (1 MB tokens, huge numbers).

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same inputs on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type Random = () => number

const int = (r: Random, n: number): number => Math.floor(r() * n)
const pick = <T>(r: Random, xs: readonly T[]): T => xs[int(r, xs.length)]

const HUGE = [
  '99999999999999999999999',
  '-1',
  '-4096',
  '1e23',
  '4096',
  '65536',
  '4294967296',
  '18446744073709551616',
  '0x10000000000000000',
  'NaN',
  '-0',
  '1.5',
  '9007199254740993',
]

/** One line-preserving or byte-level mutation; `weight` (1 unless said) is how often it is drawn. */
export const MUTATIONS: {name: string; weight?: number; apply: (text: string, r: Random) => string}[] = [
  {name: 'cut-mid-line', apply: (t, r) => t.slice(0, int(r, Math.max(1, t.length)))},
  {
    name: 'cut-at-line',
    apply: (t, r) => {
      const lines = t.split('\n')
      return lines.slice(0, int(r, lines.length)).join('\n') + (r() < 0.5 ? '\n' : '')
    },
  },
  {name: 'empty', apply: () => ''},
  {
    name: 'delete-line',
    apply: (t, r) => {
      const lines = t.split('\n')
      lines.splice(int(r, lines.length), 1)
      return lines.join('\n')
    },
  },
  {
    name: 'duplicate-line',
    apply: (t, r) => {
      const lines = t.split('\n')
      const i = int(r, lines.length)
      lines.splice(i, 0, lines[i])
      return lines.join('\n')
    },
  },
  {
    name: 'flip-bytes',
    // By slices, not by spreading the text into an array of characters: a 1 MB input costs microseconds, not 30 ms.
    apply: (t, r) => {
      let out = t
      for (let n = 1 + int(r, 8); n > 0 && out.length; n--) {
        const at = int(r, out.length)
        out = out.slice(0, at) + String.fromCharCode(int(r, 256)) + out.slice(at + 1)
      }
      return out
    },
  },
  {
    name: 'control-chars',
    apply: (t, r) => {
      const at = int(r, t.length + 1)
      const cc = Array.from({length: 1 + int(r, 6)}, () =>
        String.fromCharCode(pick(r, [0, 1, 7, 8, 9, 11, 12, 13, 27, 127, 0x85, 0x9b, 0x2028])),
      )
      return t.slice(0, at) + cc.join('') + t.slice(at)
    },
  },
  {
    name: 'long-token',
    // About one input in twenty is a megabyte long: a hundred per parser at 2,000 inputs, enough to show linear time;
    // drawn as often as the rest, they took most of the tier's minute.
    weight: 0.25,
    apply: (t, r) => {
      const at = int(r, t.length + 1)
      const unit = pick(r, [' ', 'a', '\\', '<!--', '=', ':', ',', '-', '0', '"', '[', '{', '\t', 'a='])
      const token = unit.repeat(Math.ceil((200_000 + int(r, 800_000)) / unit.length)).slice(0, 1_000_000 - t.length)
      return t.slice(0, at) + token + t.slice(at)
    },
  },
  {
    name: 'huge-number',
    // The first number at or after a random point (wrapping round): no list of every number of a 1 MB input.
    apply: (t, r) => {
      const from = int(r, t.length + 1)
      const digit = /\d+/g
      digit.lastIndex = from
      let m = digit.exec(t)
      if (!m) {
        digit.lastIndex = 0
        m = digit.exec(t)
      }
      if (!m) return t + pick(r, HUGE)
      return t.slice(0, m.index) + pick(r, HUGE) + t.slice(m.index + m[0].length)
    },
  },
  {
    name: 'binary',
    apply: (t, r) => {
      const at = int(r, t.length + 1)
      const bytes = Array.from({length: 1 + int(r, 2000)}, () => String.fromCharCode(int(r, 256))).join('')
      return t.slice(0, at) + bytes + t.slice(at)
    },
  },
]

const TOTAL_WEIGHT = MUTATIONS.reduce((sum, m) => sum + (m.weight ?? 1), 0)

function drawMutation(r: Random): (typeof MUTATIONS)[number] {
  let x = r() * TOTAL_WEIGHT
  for (const m of MUTATIONS) {
    x -= m.weight ?? 1
    if (x < 0) return m
  }
  return MUTATIONS[MUTATIONS.length - 1]
}

/** Apply 1–3 random mutations. */
export function mutate(text: string, r: Random): {text: string; how: string[]} {
  let out = text
  const how: string[] = []
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const m = drawMutation(r)
    out = m.apply(out, r)
    how.push(m.name)
  }
  return {text: out, how}
}
