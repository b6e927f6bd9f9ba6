// Delivery records (Segment's Event Delivery): per destination, counts per minute and outcome, the recent
// events with their details, and a log of what was delivered, in order, a row per destination and second
// (workers read it into their dedupe memory: pipeline/delivery-service.ts). Reports are buffered and
// written in one transaction per flush, so the worker never waits on a row at a time. Counts cover every
// event and are kept for their retention; details are a bounded sample (the most recent per destination
// and status, within the retention), because a record of every event's body would grow with the traffic.
import { sql, type Kysely } from 'kysely'
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
  /** The event as the destination was sent it, when an insert function or a filter's action changed it. */
  sent?: string
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
  /** The event as sent to the destination, or null when it went as queued. */
  sent: unknown
  trace: unknown
}

export interface DeliveryLogOptions {
  /** How long event details are kept, ms. @defaultValue 7 days */
  retentionMs?: number
  /**
   * Event details kept per destination and status, the most recent ones: details are a sample for people
   * to read, while the counts cover every event. @defaultValue 1000
   */
  detailsPerStatus?: number
  /**
   * Event details written per destination and status in one flush (every flushMs), the most recent ones:
   * enough to keep the sample fresh without writing every event's body. @defaultValue 25
   */
  detailsPerFlush?: number
  /** How long the per-minute counts are kept, ms. @defaultValue 90 days */
  countRetentionMs?: number
  /** How long a delivery is remembered for the messageId dedupe, ms. @defaultValue 24 hours */
  dedupeWindowMs?: number
  /**
   * Deliveries kept in the log for the dedupe, the most recent: readers hold them in memory, so the log
   * keeps no more than they can use. @defaultValue 500000
   */
  dedupeEntries?: number
  /** How often buffered reports are written, ms. @defaultValue 250 */
  flushMs?: number
  /** How often old details and old deliveries are pruned, ms. @defaultValue 10000 */
  pruneEveryMs?: number
  /** Largest event kept in a record, bytes; longer ones are cut. @defaultValue 32768 */
  maxEventBytes?: number
  /** A background write failed (its records are lost; deliveries are not). */
  onError?: (err: unknown) => void
}

/** Rows per INSERT statement: well under SQLite's and Postgres's limits on bound parameters. */
const ROWS_PER_INSERT = 200

export class DeliveryLog {
  readonly #db: Kysely<Database>
  readonly #retentionMs: number
  readonly #countRetentionMs: number
  readonly #detailsPerStatus: number
  readonly #detailsPerFlush: number
  readonly #dedupeWindowMs: number
  readonly #dedupeEntries: number
  /** Marks the deliveries this log wrote, so that following the log skips them. */
  readonly #writer = newId('w_')
  readonly #pruneEveryMs: number
  readonly #maxEventBytes: number
  /** What came in since the last flush, already added up (see Pending). */
  #pending = new Pending()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()
  #prunedAt = 0
  /** destination + status pairs written since the last prune: only those can be over their cap. */
  #touched = new Map<string, { destinationId: string; status: string }>()

  constructor(db: Kysely<Database>, options: DeliveryLogOptions = {}) {
    this.#db = db
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3600_000
    this.#countRetentionMs = options.countRetentionMs ?? 90 * 24 * 3600_000
    this.#detailsPerStatus = options.detailsPerStatus ?? 1000
    this.#detailsPerFlush = Math.min(options.detailsPerFlush ?? 25, this.#detailsPerStatus)
    this.#dedupeWindowMs = options.dedupeWindowMs ?? 24 * 3600_000
    this.#dedupeEntries = options.dedupeEntries ?? 500_000
    this.#pruneEveryMs = options.pruneEveryMs ?? 10_000
    this.#maxEventBytes = options.maxEventBytes ?? 32 * 1024
    const flushMs = options.flushMs ?? 250
    if (flushMs > 0) {
      this.#timer = setInterval(() => void this.flush().catch((err: unknown) => options.onError?.(err)), flushMs)
      this.#timer.unref()
    }
  }

  /**
   * Adds a report to what the next flush writes. It is added up at once rather than kept: a flush comes
   * every 250 ms, and at tens of thousands of events a second, keeping every report (and the event text it
   * holds) until then made the delivery thread's young objects survive into the old generation.
   */
  report(r: DeliveryReport): void {
    this.#pending.add(r, this.#detailsPerFlush)
  }

  /** Writes what is buffered; resolves when it is durable. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write())
    return this.#flushing
  }

  async #write(): Promise<void> {
    const pending = this.#pending
    if (pending.size === 0) return
    this.#pending = new Pending()
    // Every report leaves its latest details in `details`, so its groups are all the groups written to.
    for (const [destinationId, statuses] of pending.details) {
      for (const status of statuses.keys()) this.#touched.set(`${destinationId}\u0000${status}`, { destinationId, status })
    }
    const rows = [...pending.details.values()].flatMap((statuses) => [...statuses.values()].flat()).map((r) => ({
      id: newId('dlv_'), destination_id: r.destinationId, message_id: r.messageId, status: r.status, detail: r.detail,
      reason: r.reason?.slice(0, 2000) ?? null, attempt: r.attempt, at: r.at.toISOString(),
      event: r.event === undefined ? null : r.event.slice(0, this.#maxEventBytes), sent: r.sent === undefined ? null : r.sent.slice(0, this.#maxEventBytes),
      trace: r.trace === undefined ? null : JSON.stringify(r.trace),
    }))
    const prune = Date.now() - this.#prunedAt >= this.#pruneEveryMs
    await this.#db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await tx.insertInto('delivery_events').values(rows.slice(i, i + ROWS_PER_INSERT)).execute()
      const batches = [...pending.delivered.values()].flatMap((seconds) => [...seconds.values()]).map(({ ids, ...row }) => ({ ...row, writer: this.#writer, message_ids: JSON.stringify(ids), n: ids.length }))
      for (let i = 0; i < batches.length; i += ROWS_PER_INSERT) await tx.insertInto('delivered_batches').values(batches.slice(i, i + ROWS_PER_INSERT)).execute()
      for (const c of pending.countRows()) {
        await tx
          .insertInto('delivery_counts')
          .values(c)
          .onConflict((oc) => oc.columns(['destination_id', 'bucket', 'status', 'detail']).doUpdateSet((eb) => ({ n: eb(eb.ref('delivery_counts.n'), '+', eb.ref('excluded.n')) })))
          .execute()
      }
      if (prune) await this.#prune(tx)
    })
    if (prune) {
      this.#prunedAt = Date.now()
      this.#touched.clear()
    }
  }

  /** Details past the retention or beyond the cap of their destination and status; counts past theirs; deliveries past the dedupe window. */
  async #prune(tx: Kysely<Database>): Promise<void> {
    const now = Date.now()
    await tx.deleteFrom('delivery_events').where('at', '<', new Date(now - this.#retentionMs).toISOString()).execute()
    // Counts only grow where something was written, and the key (destination, bucket, ...) finds the old ones.
    const oldestBucket = new Date(now - this.#countRetentionMs).toISOString().slice(0, 16)
    for (const destinationId of new Set([...this.#touched.values()].map((t) => t.destinationId))) {
      await tx.deleteFrom('delivery_counts').where('destination_id', '=', destinationId).where('bucket', '<', oldestBucket).execute()
    }
    await tx.deleteFrom('delivered_batches').where('at', '<', now - this.#dedupeWindowMs).execute()
    // Whole rows, newest first, while the rows newer than them hold fewer than dedupeEntries deliveries.
    const { rows } = await sql<{ id: number | string }>`SELECT id FROM (
        SELECT id, sum(n) OVER (ORDER BY id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newer FROM delivered_batches
      ) t WHERE newer >= ${this.#dedupeEntries} ORDER BY id DESC LIMIT 1`.execute(tx)
    if (rows[0] !== undefined) await tx.deleteFrom('delivered_batches').where('id', '<=', Number(rows[0].id)).execute()
    for (const { destinationId, status } of this.#touched.values()) {
      // The newest row past the cap, by the (destination, status, at) index; everything from it down goes.
      const edge = await tx
        .selectFrom('delivery_events').select(['at', 'id'])
        .where('destination_id', '=', destinationId).where('status', '=', status)
        .orderBy('at', 'desc').orderBy('id', 'desc').limit(1).offset(this.#detailsPerStatus)
        .executeTakeFirst()
      if (edge === undefined) continue
      await tx
        .deleteFrom('delivery_events')
        .where('destination_id', '=', destinationId).where('status', '=', status)
        .where((eb) => eb.or([eb('at', '<', edge.at), eb.and([eb('at', '=', edge.at), eb('id', '<=', edge.id)])]))
        .execute()
    }
  }

  /** The most recent records of a destination, newest first, optionally of one status. */
  async recent(destinationId: string, options: { status?: string; count: number }): Promise<DeliveryEvent[]> {
    let q = this.#db.selectFrom('delivery_events').selectAll().where('destination_id', '=', destinationId).orderBy('at', 'desc').orderBy('id', 'desc').limit(options.count)
    if (options.status !== undefined) q = q.where('status', '=', options.status)
    return (await q.execute()).map((r) => ({
      id: r.id, messageId: r.message_id, status: r.status, detail: r.detail, reason: r.reason, attempt: Number(r.attempt), at: r.at,
      event: r.event === null ? null : (safeParse(r.event) as unknown), sent: r.sent === null ? null : (safeParse(r.sent) as unknown), trace: r.trace === null ? null : (JSON.parse(r.trace) as unknown),
    }))
  }

  /**
   * Deliveries since `since` (ms since the epoch), the most recent `count` of them, oldest first, and the
   * log's position after them: what a worker remembers when it starts.
   */
  async latestDeliveries(count: number, since: number): Promise<{ deliveries: Delivery[]; position: number }> {
    // Every row holds at least one delivery, so `count` rows hold enough.
    const rows = await this.#db.selectFrom('delivered_batches').select(['id', 'destination_id', 'message_ids', 'at']).where('at', '>=', since).orderBy('id', 'desc').limit(count).execute()
    const top = await this.#db.selectFrom('delivered_batches').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
    return { deliveries: rows.reverse().flatMap(deliveriesOf).slice(-count), position: Number(top?.id ?? 0) }
  }

  /**
   * Deliveries other writers appended after `position`, oldest first, from at most `limit` rows, and the
   * position after them: a worker follows the log to learn what other workers delivered.
   */
  async deliveriesAfter(position: number, limit: number): Promise<{ deliveries: Delivery[]; position: number }> {
    const rows = await this.#db.selectFrom('delivered_batches').select(['id', 'writer', 'destination_id', 'message_ids', 'at']).where('id', '>', position).orderBy('id').limit(limit).execute()
    const last = rows.at(-1)
    return { deliveries: rows.filter((r) => r.writer !== this.#writer).flatMap(deliveriesOf), position: last === undefined ? position : Number(last.id) }
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

/**
 * Reports since the last flush, added up: counts per destination, minute, status and detail; the most
 * recent details of each destination and status; the delivered messageIds per destination and second.
 */
class Pending {
  /** Counts by minute, destination, status and detail (maps within maps: see add). */
  readonly counts = new Map<string, Map<string, Map<string, Map<string, CountRow>>>>()
  /** The latest details by destination and status. */
  readonly details = new Map<string, Map<string, DeliveryReport[]>>()
  /** Delivered messageIds by destination and second. */
  readonly delivered = new Map<string, Map<number, { destination_id: string; ids: string[]; at: number }>>()
  size = 0
  #minute = NaN
  #bucket = ''

  /**
   * Maps within maps rather than one map of joined keys: a joined key is a new string per report that V8
   * must write out and hash, where the parts (destination ids, statuses, details) are hashed once.
   */
  add(r: DeliveryReport, detailsPerGroup: number): void {
    this.size++
    const at = r.at.getTime()
    // Reports come in time order: the minute's bucket name is worked out once per minute, not per report.
    if (!(at >= this.#minute && at < this.#minute + 60_000)) {
      this.#minute = at - (at % 60_000)
      this.#bucket = new Date(this.#minute).toISOString().slice(0, 16)
    }
    const bucket = this.#bucket
    const byStatus = branch(branch(this.counts, bucket), r.destinationId)
    const byDetail = branch(byStatus, r.status)
    const c = byDetail.get(r.detail)
    if (c === undefined) byDetail.set(r.detail, { destination_id: r.destinationId, bucket, status: r.status, detail: r.detail, n: 1 })
    else c.n++
    const statuses = branch(this.details, r.destinationId)
    let kept = statuses.get(r.status)
    if (kept === undefined) statuses.set(r.status, (kept = []))
    kept.push(r)
    if (kept.length > detailsPerGroup) kept.shift()
    if (r.status === 'delivered' && r.messageId !== '') {
      const seconds = branch(this.delivered, r.destinationId)
      const second = Math.floor(at / 1000)
      const row = seconds.get(second)
      if (row === undefined) seconds.set(second, { destination_id: r.destinationId, ids: [r.messageId], at })
      else {
        row.ids.push(r.messageId)
        if (at > row.at) row.at = at
      }
    }
  }

  countRows(): CountRow[] {
    return [...this.counts.values()].flatMap((byDestination) => [...byDestination.values()].flatMap((byStatus) => [...byStatus.values()].flatMap((byDetail) => [...byDetail.values()])))
  }
}

interface CountRow {
  destination_id: string
  bucket: string
  status: string
  detail: string
  n: number
}

/** The map under `key`, made when it is missing. */
function branch<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key)
  if (inner === undefined) map.set(key, (inner = new Map()))
  return inner
}

/** One delivery of the log: an event (messageId) delivered to a destination at a time (ms since the epoch). */
export interface Delivery {
  destinationId: string
  messageId: string
  at: number
}

function deliveriesOf(r: { destination_id: string; message_ids: string; at: number | string }): Delivery[] {
  const at = Number(r.at)
  return (JSON.parse(r.message_ids) as string[]).map((messageId) => ({ destinationId: r.destination_id, messageId, at }))
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text // cut at the size limit
  }
}
