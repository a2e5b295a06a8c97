// Reading a match as printed into the normalised FlowMatch: one spelling per field (fields.ts), protocol shorthands
// expanded, the VLAN fields in the forms the analyzers compare (vlan.ts), values range-checked.

import {clip} from '../text.js'
import {canonicalField, hex4, shorthand} from './fields.js'
import {parseInteger, unquoteOvs} from './lexer.js'
import {MAX_OFPORT, parsePortRef} from './actions.js'
import type {FlowMatch, Masked} from './types.js'
import {MAX_VID, OFP10_VLAN_NONE, UNTAGGED_TCI, formatTci, vlanFieldTci} from './vlan.js'

function splitMask(value: string): Masked {
  if (value.charCodeAt(0) === 34) return {value: unquoteOvs(value)}
  const slash = value.indexOf('/')
  return slash < 0 ? {value} : {value: value.slice(0, slash), mask: value.slice(slash + 1)}
}

/** Expands a protocol shorthand (`tcp6`) into the match; false when the word is not one. */
export function addShorthand(match: FlowMatch, word: string): boolean {
  const s = shorthand(word)
  if (!s) return false
  match.fields.dl_type = {value: hex4(s.dlType)}
  if (s.nwProto !== undefined) match.fields.nw_proto = {value: String(s.nwProto)}
  return true
}

/** Puts one `key=value` of a match into normalised form. Returns an error message when the value is unusable. */
export function addMatchField(match: FlowMatch, rawKey: string, rawValue: string): string | undefined {
  const key = canonicalField(rawKey)
  switch (key) {
    case 'in_port': {
      if (rawValue === '') return 'in_port without a value'
      const port = parsePortRef(rawValue)
      if (typeof port === 'number' && port > MAX_OFPORT)
        return `in_port ${clip(rawValue, MAX_TEXT)} out of range (0–${MAX_OFPORT})`
      match.inPort = port
      return undefined
    }
    case 'dl_vlan': {
      const vid = parseInteger(splitMask(rawValue).value)
      if (vid === undefined) return `bad dl_vlan '${clip(rawValue, MAX_TEXT)}'`
      if (vid === OFP10_VLAN_NONE) match.fields.vlan_tci = formatTci(UNTAGGED_TCI)
      else if (vid > MAX_VID)
        return `dl_vlan ${clip(rawValue, MAX_TEXT)} out of range (0–${MAX_VID}, or 0xffff for untagged)`
      else match.fields.dl_vlan = {value: String(vid)}
      return undefined
    }
    case 'vlan_tci': {
      const tci = vlanFieldTci('vlan_tci', splitMask(rawValue))
      if (!tci) return `bad vlan_tci '${clip(rawValue, MAX_TEXT)}'`
      const masked = splitMask(rawValue)
      if (tci.value === 0 && (tci.mask & 0x1fff) === 0x1fff) match.fields.vlan_tci = formatTci(UNTAGGED_TCI)
      else match.fields.vlan_tci = masked.mask === undefined ? {value: hex4(tci.value)} : formatTci(tci)
      return undefined
    }
    case 'vlan_vid': {
      // OXM vlan_vid: 0x1000 = "a tag is present", low 12 bits the VID; same bit layout as vlan_tci without the PCP.
      const tci = vlanFieldTci('vlan_vid', splitMask(rawValue))
      if (!tci) return `bad vlan_vid '${clip(rawValue, MAX_TEXT)}'`
      if (tci.value === 0 && tci.mask === 0x1fff) match.fields.vlan_tci = formatTci(UNTAGGED_TCI)
      else if ((tci.value & 0x1000) !== 0 && tci.mask === 0x1fff)
        match.fields.dl_vlan = {value: String(tci.value & 0xfff)}
      else match.fields.vlan_tci = formatTci(tci)
      return undefined
    }
    case 'dl_type': {
      const masked = splitMask(rawValue)
      const n = parseInteger(masked.value)
      if (n !== undefined && n > 0xffff) return `dl_type ${clip(rawValue, MAX_TEXT)} out of range`
      match.fields.dl_type = n === undefined ? masked : {value: hex4(n)}
      return undefined
    }
    case 'nw_proto': {
      const masked = splitMask(rawValue)
      const n = parseInteger(masked.value)
      if (n !== undefined && n > 0xff) return `nw_proto ${clip(rawValue, MAX_TEXT)} out of range (0–255)`
      match.fields.nw_proto = n === undefined ? masked : {value: String(n)}
      return undefined
    }
    default:
      match.fields[key] = splitMask(rawValue)
      return undefined
  }
}

const MAX_TEXT = 80
