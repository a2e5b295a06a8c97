// IPv4 addresses and prefixes as numbers, for the firewall's -s/-d and ipset matches.

/** `198.19.1.5` → 32-bit number; undefined when it is not a dotted quad. */
export function ipv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    n = n * 256 + Number(p)
  }
  return n
}

export interface Prefix {
  base: number
  length: number
}

/** `198.19.0.0/16` or a bare address (/32); undefined when it is neither. */
export function prefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/')
  const base = ipv4(slash < 0 ? text : text.slice(0, slash))
  if (base === undefined) return undefined
  if (slash < 0) return {base, length: 32}
  const bits = text.slice(slash + 1)
  // iptables-save prints /32; a dotted mask (old iptables) is read too.
  const mask = ipv4(bits)
  if (mask !== undefined) {
    const length = 32 - Math.log2(2 ** 32 - mask)
    return Number.isInteger(length) ? {base, length} : undefined
  }
  if (!/^\d{1,2}$/.test(bits) || Number(bits) > 32) return undefined
  return {base, length: Number(bits)}
}

/** Is the address inside the prefix? */
export function contains(p: Prefix, address: number): boolean {
  if (p.length === 0) return true
  const size = 2 ** (32 - p.length)
  return Math.floor(address / size) === Math.floor(p.base / size)
}
