// `insertfn start` put together. The embedded default: every part on files in one data directory (SQLite for
// the store and for the queue), the server (ingestion and the management API) on the main thread, the
// queue in a thread of its own and delivery in another, all in one process. Scaled out: the store in
// Postgres, the queue in NATS JetStream, and delivery in `insertfn worker` processes (or threads here
// too, if asked for).
// The end-to-end benchmark builds the same thing through the CLI.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { tallyOf } from '../pipeline/delivery-records.js'
import { openDelivery, type DeliveryConfig, type DeliveryService } from '../pipeline/delivery-service.js'
import { startDeliveryThread, type DeliveryThread } from '../pipeline/delivery-thread.js'
import { DEFAULT_LEASE_MS } from '../pipeline/worker.js'
import { notifyingQueue } from '../queue/notifying-queue.js'
import { parseQueueUrl, queueFromUrl } from '../queue/queue-from-url.js'
import type { JobQueue } from '../queue/queue.js'
import { DELIVERY_LEASE_WAIT_MS, startQueueThread, type QueueThread } from '../queue/queue-thread.js'
import { PACK_MAX } from '../queue/sqlite-queue.js'
import { createRuntime, type RuntimeOptions } from '../runtime/index.js'
import { buildServer } from '../server/app.js'
import { createMetrics } from '../server/metrics.js'
import { AuditLog } from '../store/audit-log.js'
import { ConnectionStore } from '../store/connection-store.js'
import { startCheckpointer } from '../store/checkpointer.js'
import { openStore, sqliteFileOf } from '../store/database.js'
import { DeliveryLog } from '../store/delivery-log.js'
import { FilterStore } from '../store/filter-store.js'
import { FunctionStore } from '../store/function-store.js'
import { SecretBox } from '../store/secret-box.js'
import { TokenStore } from '../store/token-store.js'

export interface EmbeddedOptions {
  dataDir: string
  /** The store; without it, insertfn.db in the data directory. */
  databaseUrl?: string
  /** The queue; without it, queue.db in the data directory. */
  queueUrl?: string
  runtime?: RuntimeOptions
  /** Base64 of 32 bytes; without it, a key file in the data directory. */
  secretKey?: string
  leaseMs?: number
  /** How much of the delivery records is kept (the delivery side prunes them). */
  records?: DeliveryConfig['records']
  maxQueueDepth?: number
  logger?: boolean | object
  /**
   * Delivery threads in this process. Default: 1 with the embedded queue, 0 with a JetStream queue (then
   * `insertfn worker` processes deliver).
   */
  workers?: number
  /**
   * 'inline' runs delivery on the main thread instead of in threads, which a runtime option that is a
   * function, such as `fetch`, needs (functions cannot cross into a thread).
   */
  delivery?: 'thread' | 'inline'
}

export interface Embedded {
  app: FastifyInstance
  tokens: TokenStore
  connections: ConnectionStore
  functions: FunctionStore
  /** How many delivery threads (or inline workers) this process runs. */
  workers: number
  /** Starts delivering; resolves once the delivery side is running. */
  startDelivery(): Promise<void>
  /** Stops taking events, lets delivery settle what it holds, then closes every file and connection. */
  close(): Promise<void>
}

/** Opens the parts; throws InvalidOptionsError for bad runtime options, having closed what it opened. */
export async function openEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const database = options.databaseUrl ?? join(options.dataDir, 'insertfn.db')
  const queueUrl = options.queueUrl ?? join(options.dataDir, 'queue.db')
  const queueTarget = parseQueueUrl(queueUrl)
  const sqliteQueue = queueTarget.kind === 'sqlite'
  const keyFile = join(options.dataDir, 'secret.key')
  // Checked before anything is opened: every process of a scaled-out insertfn must seal with the same key.
  if (options.databaseUrl !== undefined && !options.secretKey) {
    throw new Error('with --database-url, set INSERTFN_SECRET_KEY (base64 of 32 bytes, the same for the server and every worker): a key file in one data directory cannot be shared')
  }
  const secrets = SecretBox.fromEnvironment(keyFile, options.secretKey)
  // SQLite files are checkpointed by a thread of their own, off the threads that take and deliver events.
  const storeFile = sqliteFileOf(database)
  const sqliteFiles = [...(storeFile === undefined ? [] : [storeFile]), ...(queueTarget.kind === 'sqlite' ? [queueTarget.file] : [])]
  const storeCheckpoints = storeFile === undefined ? 'auto' : 'external'
  const store = await openStore(database, storeCheckpoints)
  let runtime
  try {
    // The server's runtime only checks code and runs previews; delivery has its own.
    runtime = createRuntime(options.runtime)
  } catch (err) {
    await store.close()
    throw err
  }
  // A SQLite queue lives in a thread of its own (queue/queue-thread.ts); this thread and delivery use it through ports.
  let queueThread: QueueThread | undefined
  let queue: JobQueue
  try {
    if (queueTarget.kind === 'sqlite') {
      queueThread = await startQueueThread({ file: queueTarget.file, checkpoints: 'external' }, (message) => {
        // Nothing can be taken or delivered any more; what was enqueued is in the file, and leases bring back what was held.
        process.stderr.write(`insertfn: ${message}; stopping so that a supervisor starts insertfn again\n`)
        process.exit(1)
      })
      queue = queueThread.client()
    } else {
      queue = await queueFromUrl(queueUrl, { ackWaitMs: options.leaseMs ?? DEFAULT_LEASE_MS })
    }
  } catch (err) {
    await runtime.close()
    await store.close()
    throw err
  }
  const checkpointer = sqliteFiles.length > 0 ? startCheckpointer(sqliteFiles) : undefined
  const tokens = new TokenStore(store.db)
  const connections = new ConnectionStore(store.db, secrets)
  const functions = new FunctionStore(store.db)
  // The server reads delivery records; the delivery side writes them.
  const deliveries = new DeliveryLog(store.db, { flushMs: 0 })
  const metrics = createMetrics(queue)
  const workers = options.workers ?? (sqliteQueue ? 1 : 0)
  const running: (DeliveryThread | DeliveryService)[] = []
  // Delivery here hears of new jobs at once, so an event does not wait out the worker's idle poll.
  const ingest = notifyingQueue(queue, () => running.forEach((d) => ('wake' in d ? d.wake() : d.worker.wake())))
  const app = buildServer({
    ...(options.maxQueueDepth === undefined ? {} : { maxQueueDepth: options.maxQueueDepth }),
    metrics, queue: ingest, deliveries, functions, connections, filters: new FilterStore(store.db), audit: new AuditLog(store.db), tokens, runtime,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  const { fetch, ...plainRuntime } = options.runtime ?? {}
  const config: DeliveryConfig = {
    database,
    // A SQLite queue keeps one writer, its thread: delivery threads lease through it. JetStream takes connections from anywhere.
    ...(sqliteQueue ? {} : { queue: queueUrl }),
    ...(options.secretKey ? { secretKey: options.secretKey } : { secretKeyFile: keyFile }),
    runtime: plainRuntime,
    sqliteCheckpoints: storeCheckpoints,
    ...(options.records === undefined ? {} : { records: options.records }),
    // Rounds of 300 jobs through the thread port cost less per job than rounds of 100 (measured: about 12%
    // less CPU per event end to end with rounds of 250), and a round leases whole packs of up to 100 jobs
    // (queue/sqlite-queue.ts), so 300 takes three full ones where 250 took two (13,100 against 10,300
    // events/s batched, one run each). A bigger round also means more repeats when a worker dies
    // mid-round, so processes that die alone (insertfn worker) keep rounds of 100. Four rounds in flight
    // rather than two keep the thread busy while rounds wait on the queue's thread and the destination
    // (batched, three alternating pairs of runs: 13,191 / 15,126 / 14,592 against 11,897 / 13,223 / 14,372
    // events/s).
    worker: { ...(sqliteQueue ? { batchSize: 3 * PACK_MAX, concurrentRounds: 4 } : {}), ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }) },
  }
  let started = false
  return {
    app, tokens, connections, functions, workers,
    async startDelivery() {
      if (started) return
      started = true
      const onError = (message: string) => app.log.error(`delivery: ${message}`)
      for (let i = 0; i < workers; i++) {
        if ((options.delivery ?? 'thread') === 'thread' && fetch === undefined) {
          running.push(await startDeliveryThread(config, queueThread?.port, { onTallies: (ts) => ts.forEach((t) => metrics.delivery(t)), onError }))
        } else {
          const service = await openDelivery(config, {
            onReport: (r) => metrics.delivery(tallyOf(r)),
            onError: (err) => onError(err instanceof Error ? err.message : String(err)),
          }, { ...(queueThread === undefined ? {} : { queue: queueThread.client({ leaseWaitMs: DELIVERY_LEASE_WAIT_MS, keepLeasesAliveMs: options.leaseMs ?? DEFAULT_LEASE_MS }) }), ...(fetch === undefined ? {} : { fetch }) })
          service.worker.start()
          running.push(service)
        }
      }
    },
    async close() {
      await app.close()
      await Promise.all(running.map((d) => ('stop' in d ? d.stop() : d.close())))
      await runtime.close()
      await queue.close()
      await queueThread?.close()
      await store.close()
      await checkpointer?.close()
    },
  }
}
