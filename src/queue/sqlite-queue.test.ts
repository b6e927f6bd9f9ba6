import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queueContract } from './queue.contract.js'
import { SqliteQueue } from './sqlite-queue.js'

queueContract('sqlite', async (clock) => {
  const file = join(mkdtempSync(join(tmpdir(), 'insertfn-queue-')), 'queue.db')
  return { queue: SqliteQueue.open({ file, now: clock.now }), openSecond: async () => SqliteQueue.open({ file, now: clock.now }) }
}, { leaseMs: 30_000, enqueue: 'atomic' })
