// What NORMAL has learned: per bridge, per VLAN, which port a MAC address was last seen on (like `ovs-appctl
// fdb/show`).

import {macToBigInt, bigIntToMac} from './packet.js'

export interface MacEntry {
  bridge: string
  vlan: number
  mac: string
  ofport: number
}

/** MACs as spelled -> normalised: a trace asks for the same few MACs on every bridge it crosses. */
const normalised = new Map<string, string>()

function normaliseMac(mac: string): string {
  const have = normalised.get(mac)
  if (have !== undefined) return have
  const n = macToBigInt(mac)
  const out = n === undefined ? mac.trim().toLowerCase() : bigIntToMac(n)
  if (normalised.size >= 65536) normalised.clear()
  normalised.set(mac, out)
  return out
}

export class MacTable {
  private readonly entries = new Map<string, MacEntry>()

  constructor(initial: MacEntry[] = []) {
    for (const e of initial) this.learn(e.bridge, e.vlan, e.mac, e.ofport)
  }

  private static key(bridge: string, vlan: number, mac: string): string {
    return `${bridge}\u0000${vlan}\u0000${normaliseMac(mac)}`
  }

  learn(bridge: string, vlan: number, mac: string, ofport: number): void {
    const entry = {bridge, vlan, mac: normaliseMac(mac), ofport}
    this.entries.set(MacTable.key(bridge, vlan, mac), entry)
  }

  lookup(bridge: string, vlan: number, mac: string): number | undefined {
    return this.entries.get(MacTable.key(bridge, vlan, mac))?.ofport
  }

  forget(bridge: string, vlan: number, mac: string): void {
    this.entries.delete(MacTable.key(bridge, vlan, mac))
  }

  list(bridge?: string): MacEntry[] {
    return [...this.entries.values()].filter((e) => bridge === undefined || e.bridge === bridge)
  }

  clone(): MacTable {
    return new MacTable(this.list())
  }
}
