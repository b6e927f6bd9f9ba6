// Delivery records (Segment's Event Delivery): per destination, counts per minute and outcome, and the
// recent events with their details. Reports are buffered and written in one transaction per flush, so the
// worker never waits on a row at a time; details older than the retention are pruned, counts are kept.
import type { Kysely } from 'kysely'
import { newId } from './ids.js'
import type { Database } from './schema.js'

export interface DeliveryReport {
  destinationId: string
  messageId: string
  status: 'delivered' | 'filtered' | 'retrying' | 'failed'
  /** filtered: by what; retrying and failed: the category or reason kind */
  detail: string
  reason?: string
  attempt: number
  at: Date
  event?: string
  trace?: unknown
}

export interface DeliveryEvent {
  id: string
  messageId: string
  status: string
  detail: string
  reason: string | null
  attempt: number
  at: string
  event: unknown
  trace: unknown
}

export interface DeliveryLogOptions {
  /** How long event details are kept, ms. @defaultValue 7 days */
  retentionMs?: number
  /** How often buffered reports are written, ms. @defaultValue 250 */
  flushMs?: number
  /** Largest event kept in a record, bytes; longer ones are cut. @defaultValue 32768 */
  maxEventBytes?: number
  /** A background write failed (its records are lost; deliveries are not). */
  onError?: (err: unknown) => void
}

export class DeliveryLog {
  readonly #db: Kysely<Database>
  readonly #retentionMs: number
  readonly #maxEventBytes: number
  #buffer: DeliveryReport[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor(db: Kysely<Database>, options: DeliveryLogOptions = {}) {
    this.#db = db
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3600_000
    this.#maxEventBytes = options.maxEventBytes ?? 32 * 1024
    const flushMs = options.flushMs ?? 250
    if (flushMs > 0) {
      this.#timer = setInterval(() => void this.flush().catch((err: unknown) => options.onError?.(err)), flushMs)
      this.#timer.unref()
    }
  }

  report(r: DeliveryReport): void {
    this.#buffer.push(r)
  }

  /** Writes what is buffered; resolves when it is durable. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write())
    return this.#flushing
  }

  async #write(): Promise<void> {
    const batch = this.#buffer
    if (batch.length === 0) return
    this.#buffer = []
    const counts = new Map<string, { destination_id: string; bucket: string; status: string; detail: string; n: number }>()
    for (const r of batch) {
      const bucket = r.at.toISOString().slice(0, 16)
      const key = `${r.destinationId}\u0000${bucket}\u0000${r.status}\u0000${r.detail}`
      const c = counts.get(key)
      if (c === undefined) counts.set(key, { destination_id: r.destinationId, bucket, status: r.status, detail: r.detail, n: 1 })
      else c.n++
    }
    const oldest = new Date(Date.now() - this.#retentionMs).toISOString()
    await this.#db.transaction().execute(async (tx) => {
      for (let i = 0; i < batch.length; i += 200) {
        await tx
          .insertInto('delivery_events')
          .values(batch.slice(i, i + 200).map((r) => ({
            id: newId('dlv_'), destination_id: r.destinationId, message_id: r.messageId, status: r.status, detail: r.detail,
            reason: r.reason?.slice(0, 2000) ?? null, attempt: r.attempt, at: r.at.toISOString(),
            event: r.event === undefined ? null : r.event.slice(0, this.#maxEventBytes), trace: r.trace === undefined ? null : JSON.stringify(r.trace),
          })))
          .execute()
      }
      for (const c of counts.values()) {
        await tx
          .insertInto('delivery_counts')
          .values(c)
          .onConflict((oc) => oc.columns(['destination_id', 'bucket', 'status', 'detail']).doUpdateSet((eb) => ({ n: eb(eb.ref('delivery_counts.n'), '+', eb.ref('excluded.n')) })))
          .execute()
      }
      await tx.deleteFrom('delivery_events').where('at', '<', oldest).execute()
    })
  }

  /** The most recent records of a destination, newest first, optionally of one status. */
  async recent(destinationId: string, options: { status?: string; count: number }): Promise<DeliveryEvent[]> {
    let q = this.#db.selectFrom('delivery_events').selectAll().where('destination_id', '=', destinationId).orderBy('at', 'desc').orderBy('id', 'desc').limit(options.count)
    if (options.status !== undefined) q = q.where('status', '=', options.status)
    return (await q.execute()).map((r) => ({
      id: r.id, messageId: r.message_id, status: r.status, detail: r.detail, reason: r.reason, attempt: Number(r.attempt), at: r.at,
      event: r.event === null ? null : (safeParse(r.event) as unknown), trace: r.trace === null ? null : (JSON.parse(r.trace) as unknown),
    }))
  }

  /** Whether an event with this messageId was delivered to the destination since `since`. */
  async delivered(destinationId: string, messageId: string, since: Date): Promise<boolean> {
    // Only the two equalities in SQL, so SQLite takes the (destination, messageId) index: with the status and
    // time there too, it preferred the (destination, status, time) index and scanned every delivery.
    const rows = await this.#db
      .selectFrom('delivery_events')
      .select(['status', 'at'])
      .where('destination_id', '=', destinationId)
      .where('message_id', '=', messageId)
      .execute()
    const from = since.toISOString()
    return rows.some((r) => r.status === 'delivered' && r.at >= from)
  }

  /** Counts per minute, status and detail, between two ISO times. */
  async counts(destinationId: string, from?: string, to?: string): Promise<{ bucket: string; status: string; detail: string; count: number }[]> {
    let q = this.#db.selectFrom('delivery_counts').selectAll().where('destination_id', '=', destinationId).orderBy('bucket')
    if (from !== undefined) q = q.where('bucket', '>=', from.slice(0, 16))
    if (to !== undefined) q = q.where('bucket', '<', to.slice(0, 16))
    return (await q.execute()).map((r) => ({ bucket: r.bucket, status: r.status, detail: r.detail, count: Number(r.n) }))
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.flush()
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text // cut at the size limit
  }
}
