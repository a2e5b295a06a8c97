// Run by sigint.test.ts in its own process: a collection that hangs until it is interrupted.
import {CollectAborted, collect} from '../../src/collect/collector.js'
import {LocalTransport} from '../../src/collect/transport.js'

const out = process.argv[2]
try {
  await collect({
    hosts: [{name: 'local', address: '127.0.0.1', port: 22, user: 'root', roles: []}],
    out,
    transportFactory: async () => new LocalTransport('local'),
    specs: [{id: 'hang', scope: 'host', argv: () => ['sleep', '30'], about: 'hangs'}],
    onProgress: (e) => {
      if (e.event === 'collecting') process.stdout.write('collecting\n')
    },
  })
  process.stdout.write('finished\n')
} catch (error) {
  process.stdout.write(`${error instanceof CollectAborted ? 'aborted' : 'error'}: ${(error as Error).message}\n`)
  process.exitCode = 130
}
