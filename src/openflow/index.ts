// OpenFlow, once: the flow model, every field and its spellings, masked values, VLAN fields, the action model, the
// lexer and the formatter. The dump parser, the simulator, the analyzers and the tracer all import from here.
export type {Flow, FlowAction, FlowMatch, Masked, PortRef} from './types.js'
export * from './fields.js'
export * from './lexer.js'
export * from './values.js'
export * from './vlan.js'
export * from './actions.js'
export * from './match.js'
export * from './format.js'
