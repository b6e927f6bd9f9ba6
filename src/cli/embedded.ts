// The embedded default put together: every part on files in one data directory. The server (ingestion and
// the management API) runs on the main thread; delivery runs in a worker thread of the same process, with
// its own connections to the same files. `insertfn start` and the end-to-end benchmark both build it here.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { tallyOf } from '../pipeline/delivery-records.js'
import { openDelivery, type DeliveryConfig, type DeliveryService } from '../pipeline/delivery-service.js'
import { startDeliveryThread, type DeliveryThread } from '../pipeline/delivery-thread.js'
import { notifyingQueue } from '../queue/notifying-queue.js'
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
  /**
   * Where delivery runs: in a worker thread (the default), or on the main thread ('inline', which a
   * runtime option that is a function, such as `fetch`, needs: functions cannot cross into a thread).
   */
  delivery?: 'thread' | 'inline'
}

export interface Embedded {
  app: FastifyInstance
  tokens: TokenStore
  connections: ConnectionStore
  functions: FunctionStore
  /** Starts delivering; resolves once the delivery side is running. */
  startDelivery(): Promise<void>
  /** Stops taking events, lets delivery settle what it holds, then closes every file. */
  close(): Promise<void>
}

/** Opens the parts; throws InvalidOptionsError for bad runtime options, having closed what it opened. */
export async function openEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const store = await openSqlite(join(options.dataDir, 'insertfn.db'))
  let runtime
  try {
    // The server's runtime only checks code and runs previews; delivery has its own.
    runtime = createRuntime(options.runtime)
  } catch (err) {
    await store.close()
    throw err
  }
  const tokens = new TokenStore(store.db)
  const keyFile = join(options.dataDir, 'secret.key')
  const connections = new ConnectionStore(store.db, SecretBox.fromEnvironment(keyFile, options.secretKey))
  // The queue has a file of its own: jobs never wait on control-plane writes.
  const queue = SqliteQueue.open({ file: join(options.dataDir, 'queue.db') })
  const functions = new FunctionStore(store.db)
  // The server reads delivery records; the delivery side writes them.
  const deliveries = new DeliveryLog(store.db, { flushMs: 0 })
  const metrics = createMetrics(queue)
  let delivery: DeliveryThread | DeliveryService | undefined
  // Delivery hears of new jobs at once, so an event does not wait out the worker's idle poll.
  const ingest = notifyingQueue(queue, () => (delivery === undefined ? undefined : 'wake' in delivery ? delivery.wake() : delivery.worker.wake()))
  const app = buildServer({
    ...(options.maxQueueDepth === undefined ? {} : { maxQueueDepth: options.maxQueueDepth }),
    metrics, queue: ingest, deliveries, functions, connections, filters: new FilterStore(store.db), audit: new AuditLog(store.db), tokens, runtime,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  const { fetch, ...plainRuntime } = options.runtime ?? {}
  const config: DeliveryConfig = {
    dataDir: options.dataDir,
    runtime: plainRuntime,
    ...(options.secretKey === undefined ? {} : { secretKey: options.secretKey }),
    ...(options.leaseMs === undefined ? {} : { worker: { leaseMs: options.leaseMs } }),
  }
  return {
    app, tokens, connections, functions,
    async startDelivery() {
      if (delivery !== undefined) return
      const onError = (message: string) => app.log.error(`delivery: ${message}`)
      if ((options.delivery ?? 'thread') === 'thread' && fetch === undefined) {
        delivery = await startDeliveryThread(config, queue, { onTallies: (ts) => ts.forEach((t) => metrics.delivery(t)), onError })
      } else {
        const service = await openDelivery(config, {
          onReport: (r) => metrics.delivery(tallyOf(r)),
          onError: (err) => onError(err instanceof Error ? err.message : String(err)),
        }, { queue, ...(fetch === undefined ? {} : { fetch }) })
        service.worker.start()
        delivery = service
      }
    },
    async close() {
      await app.close()
      if (delivery !== undefined) await ('stop' in delivery ? delivery.stop() : delivery.close())
      await runtime.close()
      await queue.close()
      await store.close()
    },
  }
}
