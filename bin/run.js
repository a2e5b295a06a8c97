#!/usr/bin/env node
import module from 'node:module'
import {execute} from '@oclif/core'

// Node >= 22.1 keeps the code it compiled between runs (in the system's temporary folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off); older Nodes have no such call and start as before.
module.enableCompileCache?.()

await execute({dir: import.meta.url})
