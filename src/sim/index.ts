// The OpenFlow simulator: one packet through one bridge, as ovs-vswitchd would translate it.
export {simulateBridge, MAX_DEPTH, MAX_RESUBMITS, OFPP_LOCAL} from './openflow.js'
export type {
  BridgeResult,
  OutputVia,
  SimBridge,
  SimOptions,
  SimOutput,
  SimPort,
  SimStep,
  StepEvent,
  BridgeVerdict,
} from './openflow.js'
export {MacTable, type MacEntry} from './mac-table.js'
export {
  normalSwitch,
  portVlanConfig,
  describePortVlan,
  outputVlans,
  type PortVlanConfig,
  type NormalResult,
} from './normal.js'
export {matchFlow, type MatchOutcome} from './match.js'
export {formatSteps, formatAction, formatMatch, describeFlow} from './format.js'
export {
  clonePacket,
  describeVlan,
  makePacket,
  packetToTraceFlow,
  vlanStack,
  setVlanStack,
  type Packet,
  type VlanTag,
} from './packet.js'
