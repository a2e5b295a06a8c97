// IPv4 addresses and prefixes as numbers: what the router's routing and NAT decisions compare.

/** `198.19.0.1` → 32-bit unsigned number; undefined when the text is not a dotted quad. */
export function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  const parts = m.slice(1).map(Number)
  if (parts.some((p) => p > 255)) return undefined
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0
}

/** `198.19.0.0/24`, `198.19.0.5` (a /32), `default` (a /0) → network and length; undefined when unreadable. */
export function prefix(text: string): {net: number; len: number} | undefined {
  if (text === 'default' || text === '0.0.0.0/0') return {net: 0, len: 0}
  const [addr, lenText] = text.split('/')
  const a = ipv4(addr)
  const len = lenText === undefined ? 32 : /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN
  if (a === undefined || !(len >= 0 && len <= 32)) return undefined
  return {net: (a & mask(len)) >>> 0, len}
}

function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
}

/** Is the address inside the prefix? */
export function inPrefix(address: string, p: string | {net: number; len: number}): boolean {
  const a = ipv4(address)
  const q = typeof p === 'string' ? prefix(p) : p
  return a !== undefined && q !== undefined && (a & mask(q.len)) >>> 0 === q.net
}
