// The delivery side of insertfn, put together from its configuration alone: its own connections to the
// store and the queue, its own sandbox runtime and webhook client. It runs in a thread of `insertfn start`
// (the embedded default) and is what a separate delivery process is made of, so it shares no objects with
// the server, only the files (or, scaled out, the servers) both point at.
import { createWebhookDelivery } from '../destinations/webhook.js'
import type { JobQueue } from '../queue/queue.js'
import { queueFromUrl } from '../queue/queue-from-url.js'
import { createRuntime, type RuntimeOptions } from '../runtime/index.js'
import { ConnectionStore } from '../store/connection-store.js'
import { openStore, type Checkpoints } from '../store/database.js'
import { DeliveryLog, type DeliveryLogOptions } from '../store/delivery-log.js'
import { FilterStore } from '../store/filter-store.js'
import { FunctionStore } from '../store/function-store.js'
import { SecretBox } from '../store/secret-box.js'
import { recordTo } from './delivery-records.js'
import { DEFAULT_LEASE_MS, Worker, type OutcomeReport, type WorkerOptions } from './worker.js'

/** Plain data only: it crosses into a worker thread. */
export interface DeliveryConfig {
  /** The store: a SQLite file, or a postgres:// URL (see openStore). */
  database: string
  /** The queue: a SQLite file or a nats:// URL (see queueFromUrl). Without it, the caller passes one. */
  queue?: string
  /** Base64 of 32 bytes, the same everywhere the store is used; without it, secretKeyFile. */
  secretKey?: string
  secretKeyFile?: string
  runtime?: Omit<RuntimeOptions, 'fetch'>
  worker?: Partial<WorkerOptions>
  /** With a SQLite store: 'external' when a checkpointer thread checkpoints its log (store/checkpointer.ts). */
  sqliteCheckpoints?: Checkpoints
  /** How much of the delivery records is kept: the writer prunes them. */
  records?: Pick<DeliveryLogOptions, 'retentionMs' | 'detailsPerStatus' | 'countRetentionMs'>
}

export interface DeliveryHooks {
  /** Every settled job, after its delivery record is buffered. */
  onReport?: (r: OutcomeReport) => void
  /** Faults of the delivery side itself: the loop goes on. */
  onError?: (err: unknown) => void
}

export interface DeliveryService {
  worker: Worker
  queue: JobQueue
  /** Stops leasing, settles what is held, writes the records, closes every connection. */
  close(): Promise<void>
}

/** What cannot be described as plain data: a fetch for the sandbox, a queue owned by someone else. */
export interface DeliveryExtras {
  fetch?: RuntimeOptions['fetch']
  /** The queue to lease from (its owner closes it); without it, the queue file in the data directory is opened. */
  queue?: JobQueue
}

/** How long a worker's empty lease waits for a job on a queue server, ms. */
const LEASE_WAIT_MS = 500

/**
 * How often a worker reads what other workers delivered, ms: a repeat that reaches two workers closer
 * together than this can be delivered twice.
 */
const FOLLOW_MS = 500

/**
 * The worker's dedupe memory, filled from the delivery records: the latest deliveries when it starts (so a
 * restart remembers), then what other workers append (so a client's resend reaching another worker is
 * caught). Reading the log in order costs little; looking each event up in a table did not.
 */
async function followDeliveries(log: DeliveryLog, worker: Worker, dedupe: { window: number; entries: number }, onError?: (err: unknown) => void): Promise<{ stop(): void }> {
  const latest = await log.latestDeliveries(dedupe.entries, Date.now() - dedupe.window)
  for (const d of latest.deliveries) worker.remember(d.destinationId, d.messageId, d.at)
  let position = latest.position
  let reading = false
  const timer = setInterval(() => {
    if (reading) return
    reading = true
    void (async () => {
      for (;;) {
        const next = await log.deliveriesAfter(position, 10_000)
        for (const d of next.deliveries) worker.remember(d.destinationId, d.messageId, d.at)
        if (next.position === position) return
        position = next.position
      }
    })().catch((err: unknown) => onError?.(new Error(`the delivery records could not be read for the dedupe: ${(err as Error).message}`))).finally(() => (reading = false))
  }, FOLLOW_MS)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}

export async function openDelivery(config: DeliveryConfig, hooks: DeliveryHooks = {}, extras: DeliveryExtras = {}): Promise<DeliveryService> {
  if (config.secretKey === undefined && config.secretKeyFile === undefined) throw new Error('delivery needs the secret key that seals settings: give secretKey (INSERTFN_SECRET_KEY) or secretKeyFile')
  if (config.queue === undefined && extras.queue === undefined) throw new Error('delivery needs a queue: give its URL, or the queue itself')
  const secrets = SecretBox.fromEnvironment(config.secretKeyFile ?? '', config.secretKey)
  const store = await openStore(config.database, config.sqliteCheckpoints)
  const runtime = createRuntime({ ...config.runtime, ...(extras.fetch === undefined ? {} : { fetch: extras.fetch }) })
  // A worker's empty lease waits on the queue server for a job (JetStream), rather than sleeping between
  // polls: the first event after a quiet spell is delivered at once, not at the end of the sleep.
  const queue = extras.queue ?? await queueFromUrl(config.queue!, { ackWaitMs: config.worker?.leaseMs ?? DEFAULT_LEASE_MS, leaseWaitMs: LEASE_WAIT_MS })
  const dedupe = { window: config.worker?.dedupeWindowMs ?? 24 * 3600_000, entries: config.worker?.dedupeEntries ?? 500_000 }
  const deliveries = new DeliveryLog(store.db, {
    ...config.records,
    dedupeWindowMs: dedupe.window,
    dedupeEntries: dedupe.entries,
    onError: (err) => hooks.onError?.(new Error(`delivery records could not be written: ${(err as Error).message}`)),
  })
  const webhook = createWebhookDelivery()
  const record = recordTo(deliveries)
  const worker = new Worker({
    queue,
    connections: new ConnectionStore(store.db, secrets),
    filters: new FilterStore(store.db),
    functions: new FunctionStore(store.db),
    runtime,
    deliverWebhook: webhook.deliver,
    report: (r) => {
      record(r)
      hooks.onReport?.(r)
    },
    ...(hooks.onError === undefined ? {} : { onError: hooks.onError }),
    ...(config.worker === undefined ? {} : { options: config.worker }),
  })
  const following = await followDeliveries(deliveries, worker, dedupe, hooks.onError)
  return {
    worker,
    queue,
    async close() {
      following.stop()
      await worker.stop()
      await deliveries.close()
      await webhook.close()
      await runtime.close()
      if (extras.queue === undefined) await queue.close()
      await store.close()
    },
  }
}
