// `ip -j addr` and the classic `ip addr` text (also `ip -o addr`). The device lines are those of `ip link`, so the
// reading is shared with ip-link.ts; what this adds is the promise that an `inet` line without a usable address —
// the seed's `inet brd scope global tap26c9b807-7c`, whose address was lost — is a problem and the device is kept.

import type {LinkDevice, ParseResult} from '../types.js'
import {parseIpDevices} from './ip-link.js'

/** Parses `ip -j addr`, `ip addr` and `ip -o addr`; never throws. */
export function parseIpAddr(text: string): ParseResult<LinkDevice[]> {
  return parseIpDevices(text)
}
