// The 802.1Q fields of a match, all read as bits of the TCI (PCP:3 | CFI:1 | VID:12), the way ovs-ofctl documents
// them: dl_vlan=N is vlan_tci=0x1000|N/0x1fff, dl_vlan=0xffff is "no tag" (vlan_tci=0/0x1fff), OXM vlan_vid is the CFI
// bit on top of the VID, dl_vlan_pcp=P is vlan_tci=0x1000|P<<13/0xf000.

import {parseInteger} from './lexer.js'
import type {Masked} from './types.js'

const VLAN_CFI = 0x1000
const VLAN_VID_MASK = 0x0fff
/** The largest VID (4095 is also Neutron's dead VLAN). */
export const MAX_VID = 4095
/** OF1.0's dl_vlan value for "no 802.1Q header". */
export const OFP10_VLAN_NONE = 0xffff

/** A TCI value and the bits of it a match looks at. */
export interface TciMatch {
  value: number
  mask: number
}

export const UNTAGGED_TCI: Readonly<TciMatch> = {value: 0, mask: VLAN_CFI | VLAN_VID_MASK}

export const VLAN_FIELDS: ReadonlySet<string> = new Set(['dl_vlan', 'vlan_vid', 'vlan_tci', 'dl_vlan_pcp', 'vlan_pcp'])

function split(masked: Masked): {value?: number; mask?: number; hasMask: boolean} {
  let value = masked.value
  let mask = masked.mask
  if (mask === undefined) {
    const slash = value.indexOf('/')
    if (slash >= 0) {
      mask = value.slice(slash + 1)
      value = value.slice(0, slash)
    }
  }
  return {
    value: parseInteger(value.trim()),
    mask: mask === undefined ? undefined : parseInteger(mask.trim()),
    hasMask: mask !== undefined,
  }
}

/**
 * The TCI bits one VLAN match field tests; undefined when the field is not a VLAN field or its value cannot be read
 * (or is out of range: a VID above 4095 other than 0xffff, a TCI above 0xffff).
 */
export function vlanFieldTci(field: string, masked: Masked): TciMatch | undefined {
  const {value, mask, hasMask} = split(masked)
  if (value === undefined || (hasMask && mask === undefined)) return undefined
  switch (field) {
    case 'dl_vlan':
      if (value === OFP10_VLAN_NONE) return {...UNTAGGED_TCI}
      return value > MAX_VID ? undefined : {value: VLAN_CFI | value, mask: VLAN_CFI | VLAN_VID_MASK}
    case 'dl_vlan_pcp':
    case 'vlan_pcp':
      return value > 7 ? undefined : {value: VLAN_CFI | (value << 13), mask: 0xf000}
    case 'vlan_vid': {
      const m = (mask ?? 0x1fff) & 0x1fff
      return value > 0x1fff ? undefined : {value: value & m, mask: m}
    }
    case 'vlan_tci': {
      const m = (mask ?? 0xffff) & 0xffff
      return value > 0xffff ? undefined : {value: value & m, mask: m}
    }
    default:
      return undefined
  }
}

/** All the VLAN fields of a match folded into one TCI match; undefined when the match does not look at the VLAN. */
export function matchTci(fields: Record<string, Masked>): TciMatch | undefined {
  let out: TciMatch | undefined
  for (const name of VLAN_FIELDS) {
    const masked = fields[name]
    if (!masked) continue
    const tci = vlanFieldTci(name, masked)
    if (!tci) continue
    out = out ? {value: (out.value & ~tci.mask) | tci.value, mask: out.mask | tci.mask} : tci
  }
  return out
}

/** What a TCI match says about the VLAN: one VID, 'untagged', 'any-tagged', or undefined (something else). */
export function tciVlan(tci: TciMatch): number | 'untagged' | 'any-tagged' | undefined {
  const {value, mask} = tci
  if ((mask & 0x1fff) === 0x1fff) return value & VLAN_CFI ? value & VLAN_VID_MASK : 'untagged'
  if (mask & VLAN_CFI && value & VLAN_CFI && (mask & VLAN_VID_MASK) === 0) return 'any-tagged'
  if (mask & VLAN_CFI && !(value & VLAN_CFI)) return 'untagged'
  return undefined
}

/** A TCI match as a match writes it: `0x1003/0x1fff`. */
export function formatTci(tci: TciMatch): Masked {
  const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`
  return {value: hex(tci.value), mask: hex(tci.mask)}
}
