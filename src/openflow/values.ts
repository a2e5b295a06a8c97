// Field values and masks as OVS writes them, read as unsigned integers so that masks, prefixes and bit slices work the
// same for every field: `fa:16:3e:00:00:01/ff:ff:ff:00:00:00`, `198.18.0.0/16`, `fe80::/64`, `0x1000/0x1fff`,
// `+trk-est` (ct_state).

import {type FieldInfo, type FieldKind, fieldInfo} from './fields.js'
import {parseBigInteger} from './lexer.js'
import type {Masked} from './types.js'

export function allOnes(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n
}

function prefixMask(bits: number, prefix: number): bigint {
  if (prefix <= 0) return 0n
  if (prefix >= bits) return allOnes(bits)
  return allOnes(bits) ^ allOnes(bits - prefix)
}

// ---------------------------------------------------------------------------------------------------------------------
// Addresses as integers

/** `fa:16:3e:00:00:01` (or with `-`): six groups of one or two hex digits. Read in one pass (the simulator asks for
 * every MAC it compares), 48 bits being exact in a double until the one BigInt at the end. */
export function macToBigInt(mac: string): bigint | undefined {
  const s = mac.trim()
  let value = 0
  let part = 0
  let digits = 0
  let groups = 1
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 58 || c === 45) {
      if (digits === 0 || ++groups > 6) return undefined
      value = value * 256 + part
      part = 0
      digits = 0
      continue
    }
    const l = c | 32
    const h = c >= 48 && c <= 57 ? c - 48 : l >= 97 && l <= 102 ? l - 87 : -1
    if (h < 0 || ++digits > 2) return undefined
    part = part * 16 + h
  }
  if (groups !== 6 || digits === 0) return undefined
  return BigInt(value * 256 + part)
}

export function bigIntToMac(value: bigint): string {
  const bytes: string[] = []
  for (let i = 5; i >= 0; i--) bytes.push(((value >> BigInt(i * 8)) & 0xffn).toString(16).padStart(2, '0'))
  return bytes.join(':')
}

export function ipv4ToBigInt(ip: string): bigint | undefined {
  const parts = ip.trim().split('.')
  if (parts.length !== 4) return undefined
  let acc = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    acc = (acc << 8n) | BigInt(Number(p))
  }
  return acc
}

export function bigIntToIpv4(value: bigint): string {
  return [24, 16, 8, 0].map((shift) => Number((value >> BigInt(shift)) & 0xffn)).join('.')
}

export function ipv6ToBigInt(ip: string): bigint | undefined {
  let text = ip.trim()
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hex groups.
  const tailAt = text.lastIndexOf(':') + 1
  if (text.indexOf('.', tailAt) >= 0) {
    const n = ipv4ToBigInt(text.slice(tailAt))
    if (n === undefined) return undefined
    text = `${text.slice(0, tailAt)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (s: string): bigint[] | undefined => {
    if (s === '') return []
    const groups = s.split(':')
    if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined
    return groups.map((g) => BigInt(parseInt(g, 16)))
  }
  const head = parse(halves[0] as string)
  const rest = halves.length === 2 ? parse(halves[1] as string) : []
  if (!head || !rest) return undefined
  const known = head.length + rest.length
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined
  const groups = [...head, ...Array<bigint>(8 - known).fill(0n), ...rest]
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n)
}

export function bigIntToIpv6(value: bigint): string {
  const groups: string[] = []
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16))
  // Compress the longest run of zero groups, as inet_ntop does.
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLen && j - i > 1) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  if (best < 0) return groups.join(':')
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
}

// ---------------------------------------------------------------------------------------------------------------------
// Values and masks

const CT_FLAGS: Record<string, number> = {
  new: 0x01,
  est: 0x02,
  rel: 0x04,
  rpl: 0x08,
  inv: 0x10,
  trk: 0x20,
  snat: 0x40,
  dnat: 0x80,
}

function unquoted(text: string): string {
  const t = text.trim()
  const a = t.startsWith('"') ? 1 : 0
  const b = t.length > a && t.endsWith('"') ? t.length - 1 : t.length
  return t.slice(a, b)
}

/** One value of a field, written as OVS writes that field's values. */
export function parseFieldValue(info: Pick<FieldInfo, 'kind'>, text: string): bigint | undefined {
  const t = unquoted(text)
  switch (info.kind) {
    case 'mac':
      return macToBigInt(t) ?? parseBigInteger(t)
    case 'ipv4':
      return ipv4ToBigInt(t) ?? parseBigInteger(t)
    case 'ipv6':
      return ipv6ToBigInt(t) ?? parseBigInteger(t)
    default:
      return parseBigInteger(t)
  }
}

/** `+trk-est` style ct_state flags -> value/mask. */
function parseCtFlags(text: string): {value: bigint; mask: bigint} | undefined {
  let value = 0
  let mask = 0
  let i = 0
  while (i < text.length) {
    const sign = text[i]
    if (sign !== '+' && sign !== '-') return undefined
    let j = i + 1
    while (j < text.length && text[j] !== '+' && text[j] !== '-') j++
    const bit = CT_FLAGS[text.slice(i + 1, j)]
    if (bit === undefined || !Object.hasOwn(CT_FLAGS, text.slice(i + 1, j))) return undefined
    mask |= bit
    if (sign === '+') value |= bit
    i = j
  }
  return i > 0 ? {value: BigInt(value), mask: BigInt(mask)} : undefined
}

/** A match's value and mask for a field; a decimal mask on an address field is a prefix length (CIDR). */
export function parseMasked(
  info: Pick<FieldInfo, 'kind' | 'bits'>,
  masked: Masked,
): {value: bigint; mask: bigint} | undefined {
  let valueText = masked.value
  let maskText = masked.mask
  if (maskText === undefined && valueText.includes('/')) {
    const i = valueText.indexOf('/')
    maskText = valueText.slice(i + 1)
    valueText = valueText.slice(0, i)
  }
  if (info.kind === 'ct_state' && maskText === undefined) {
    const flags = parseCtFlags(valueText.trim())
    if (flags) return flags
  }
  const value = parseFieldValue(info, valueText)
  if (value === undefined) return undefined
  if (maskText === undefined) return {value, mask: allOnes(info.bits)}
  const isAddress = info.kind === 'ipv4' || info.kind === 'ipv6'
  const prefix = isAddress && /^\d+$/.test(maskText.trim())
  const mask = prefix ? prefixMask(info.bits, Number(maskText)) : parseFieldValue(info, maskText)
  if (mask === undefined) return undefined
  return {value: value & mask, mask}
}

/** The kind and width of a field neutrace does not know, guessed from how its value is written. */
function guessedInfo(value: string): {kind: FieldKind; bits: number} {
  const v = value.slice(0, value.includes('/') ? value.indexOf('/') : value.length)
  if (macToBigInt(v) !== undefined) return {kind: 'mac', bits: 48}
  if (ipv4ToBigInt(v) !== undefined) return {kind: 'ipv4', bits: 32}
  return {kind: 'int', bits: 64}
}

/** parseMasked for a field by name; fields neutrace does not know are read by the shape of their value. */
export function parseMaskedField(name: string, masked: Masked): {value: bigint; mask: bigint} | undefined {
  return parseMasked(fieldInfo(name) ?? guessedInfo(masked.value), masked)
}
