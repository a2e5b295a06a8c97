// The live collector's public surface.
export {collect, CollectError} from './collector.js'
export type {CollectManifest, CollectResult} from './collector.js'
export {InventoryError, loadInventory, resolveHostArgs} from './inventory.js'
export type {InventoryHost} from './inventory.js'
export {LocalTransport} from './transport.js'

export {createLogger} from './log.js'
export {progressLine} from './progress.js'
