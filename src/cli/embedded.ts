// The embedded default put together: every part on files in one data directory, the server and the
// delivery worker in one process. `insertfn start` and the end-to-end benchmark both build it here.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createWebhookDelivery } from '../destinations/webhook.js'
import { recordTo } from '../pipeline/delivery-records.js'
import { Worker } from '../pipeline/worker.js'
import { SqliteQueue } from '../queue/sqlite-queue.js'
import { createRuntime, type RuntimeOptions } from '../runtime/index.js'
import { buildServer } from '../server/app.js'
import { createMetrics } from '../server/metrics.js'
import { AuditLog } from '../store/audit-log.js'
import { ConnectionStore } from '../store/connection-store.js'
import { openSqlite } from '../store/database.js'
import { DeliveryLog } from '../store/delivery-log.js'
import { FilterStore } from '../store/filter-store.js'
import { FunctionStore } from '../store/function-store.js'
import { SecretBox } from '../store/secret-box.js'
import { TokenStore } from '../store/token-store.js'

export interface EmbeddedOptions {
  dataDir: string
  runtime?: RuntimeOptions
  /** Base64 of 32 bytes; without it, a key file in the data directory. */
  secretKey?: string
  leaseMs?: number
  maxQueueDepth?: number
  logger?: boolean | object
}

export interface Embedded {
  app: FastifyInstance
  worker: Worker
  tokens: TokenStore
  connections: ConnectionStore
  functions: FunctionStore
  /** Stops taking events, lets the worker settle what it holds, then closes every file. */
  close(): Promise<void>
}

/** Opens the parts; throws InvalidOptionsError for bad runtime options, having closed what it opened. */
export async function openEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const store = await openSqlite(join(options.dataDir, 'insertfn.db'))
  let runtime
  try {
    runtime = createRuntime(options.runtime)
  } catch (err) {
    await store.close()
    throw err
  }
  const tokens = new TokenStore(store.db)
  const connections = new ConnectionStore(store.db, SecretBox.fromEnvironment(join(options.dataDir, 'secret.key'), options.secretKey))
  // The queue has a file of its own: one writer per SQLite file, and jobs never wait on control-plane writes.
  const queue = SqliteQueue.open({ file: join(options.dataDir, 'queue.db') })
  const functions = new FunctionStore(store.db)
  const filters = new FilterStore(store.db)
  const deliveries = new DeliveryLog(store.db, { onError: (err) => process.stderr.write(`insertfn: delivery records could not be written: ${(err as Error).message}\n`) })
  const metrics = createMetrics(queue)
  const app = buildServer({
    ...(options.maxQueueDepth === undefined ? {} : { maxQueueDepth: options.maxQueueDepth }),
    metrics, queue, deliveries, functions, connections, filters, audit: new AuditLog(store.db), tokens, runtime,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  const webhook = createWebhookDelivery()
  const record = recordTo(deliveries)
  const worker = new Worker({
    queue, connections, filters, functions, runtime, deliverWebhook: webhook.deliver,
    report: (r) => {
      record(r)
      metrics.delivery(r)
    },
    deliveredAmong: (destinationId, messageIds, since) => deliveries.deliveredAmong(destinationId, messageIds, since),
    onError: (err) => app.log.error({ err }, 'delivery worker fault'),
    ...(options.leaseMs === undefined ? {} : { options: { leaseMs: options.leaseMs } }),
  })
  return {
    app, worker, tokens, connections, functions,
    async close() {
      await app.close()
      await worker.stop()
      await deliveries.close()
      await webhook.close()
      await runtime.close()
      await queue.close()
      await store.close()
    },
  }
}
