// `ovs-ofctl show BRIDGE`: the OpenFlow port number of every port (` 1(int-br-eth2): addr:...`,
// ` LOCAL(br-int): addr:...`), in OF1.0 (features reply) and OF1.3 (port-desc reply) alike.

import type {ParseProblem, ParseResult} from '../types.js'
import {MAX_OFPORT, unquoteOvs} from '../openflow/index.js'

interface OfctlShowPort {
  ofport: number | 'LOCAL'
  name: string
  mac?: string
}

export interface OfctlShow {
  ports: OfctlShowPort[]
}

const PORT_LINE = /^\s*(\d+|LOCAL)\((.*)\): addr:([0-9a-fA-F:]*)\s*$/
/** Lines around the port list that carry nothing the model needs. */
const KNOWN_LINES = [/^OFPT_\w+/, /^OFPST_\w+/, /^n_tables:/, /^capabilities:/, /^actions:/]
const ERROR_LINE = /^(ovs-ofctl|ovs-vsctl|ovs-vswitchd): /
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/
/** A port line is short; a longer line is damage and is not matched against the patterns above. */
const MAX_LINE = 4096

export function parseOfctlShow(text: string): ParseResult<OfctlShow> {
  const ports: OfctlShowPort[] = []
  const problems: ParseProblem[] = []
  let sawFeatures = false
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '')
    const trimmed = line.trim()
    if (trimmed === '') return
    const problem = (message: string): void => {
      problems.push({line: index + 1, text: trimmed.slice(0, 200), message})
    }
    if (line.length > MAX_LINE) {
      problem(`line of ${line.length} characters is too long (over ${MAX_LINE})`)
      return
    }
    const port = PORT_LINE.exec(line)
    if (port) {
      const ofport = port[1] === 'LOCAL' ? 'LOCAL' : Number(port[1])
      if (ofport !== 'LOCAL' && ofport > MAX_OFPORT) {
        problem(`ofport ${port[1]!.slice(0, 40)} out of range (1–${MAX_OFPORT})`)
        return
      }
      const entry: OfctlShowPort = {ofport, name: unquoteOvs(port[2]!)}
      const mac = port[3]!.toLowerCase()
      if (MAC.test(mac)) entry.mac = mac
      else if (mac !== '') problem(`bad MAC address '${mac}'`)
      ports.push(entry)
      return
    }
    if (ERROR_LINE.test(trimmed)) {
      problem(`command reported: ${trimmed}`)
      return
    }
    if (KNOWN_LINES.some((re) => re.test(trimmed))) {
      if (/^OFPT_FEATURES_REPLY/.test(trimmed)) sawFeatures = true
      return
    }
    // Port details (config:, state:, current:, speed: ...) are indented under their port.
    if (/^\s{2,}\S/.test(line) && /^[a-z_ ]+:/.test(trimmed) && ports.length > 0) return
    problem('unrecognised line')
  })
  if (!sawFeatures && ports.length === 0 && problems.length === 0) {
    problems.push({message: 'empty output: no OpenFlow features reply'})
  }
  return {value: {ports}, problems}
}
