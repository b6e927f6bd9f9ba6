// The embedded queue: tables in a SQLite file (WAL), written in transactions. A lease is a visibility time
// in the future plus a token; an expired lease needs no sweeper, because a job whose visibility time has
// passed is simply due again.
//
// Jobs are stored in packs: the jobs one enqueue() call makes for one destination (up to PACK_MAX) share a
// row (and its texts one payload row), so a batch of 100 events is written, leased and deleted once per
// destination rather than a hundred times (the queue's writes were about 40% of the ingesting thread). Each job is still leased,
// settled and retried on its own: a job retried or failed out of a pack moves to a row of its own, and
// the pack's row goes once all its jobs are settled. What this costs: acks within a pack are held in
// this handle's memory until the pack is done, so after a crash a whole pack runs again (at least once,
// as any lease that dies with its worker), and a job must be settled through the handle that leased it.
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { WAL_SIZE_LIMIT } from '../store/checkpointer.js'
import { checkJob, LeaseLostError, messageIdOf, type JobLease, type JobQueue, type LeaseExtending, type LeasedJob, type NewJob, type QueueSettlement, type ReplayFilter } from './queue.js'

export interface SqliteQueueOptions {
  file: string
  /** The clock, ms since the epoch (tests inject one). */
  now?: () => number
  /** 'external': leave checkpoints of the log to a checkpointer thread (src/store/checkpointer.ts). */
  checkpoints?: 'auto' | 'external'
}

/** Most jobs in one pack: a round leases whole packs, so this also bounds how far rounds fall short of their size. */
export const PACK_MAX = 100

/** The layout this code writes (PRAGMA user_version). 0: a file that had one row per job in `jobs`. */
const LAYOUT = 2

interface Due {
  id: number
  n: number
}

interface PackRow {
  id: number
  destination_id: string
  n: number
  attempts: number
  enqueued_at: number
  lease_token: string
}

interface PayloadRow {
  pack_id: number
  lengths: string | null
  payload: string
}

/** A pack of more than one job leased by this handle: which of its jobs are settled so far. */
interface Held {
  token: string
  /** When the lease ends: before then nobody else can hold the pack, so settling need not read its row. */
  until: number
  settled: Uint8Array
  remaining: number
}

type Waiting = { s: QueueSettlement; resolve: () => void; reject: (err: Error) => void }

/** One payload text of a pack: the jobs' texts one after another, and their lengths. */
function packPayload(texts: readonly string[]): { lengths: string | null; payload: string } {
  return texts.length === 1 ? { lengths: null, payload: texts[0]! } : { lengths: texts.map((t) => t.length).join(','), payload: texts.join('') }
}

function unpack(row: PayloadRow): string[] {
  if (row.lengths === null) return [row.payload]
  const out: string[] = []
  let at = 0
  for (const length of row.lengths.split(',')) {
    const end = at + Number(length)
    out.push(row.payload.slice(at, end))
    at = end
  }
  return out
}

/** A job's id is its pack's, and its place in the pack when the pack holds more than one. */
function jobId(packId: number, index: number, n: number): string {
  return n === 1 ? String(packId) : `${packId}.${index}`
}

function placeOf(id: string): { packId: number; index: number } {
  const dot = id.indexOf('.')
  return dot < 0 ? { packId: Number(id), index: 0 } : { packId: Number(id.slice(0, dot)), index: Number(id.slice(dot + 1)) }
}

export class SqliteQueue implements JobQueue, LeaseExtending {
  readonly #db: SQLite.Database
  readonly #now: () => number
  readonly #statements: ReturnType<typeof prepare>
  /** Packs of many jobs leased by this handle and not yet settled in full. */
  readonly #held = new Map<number, Held>()
  /** Settlements made in the same tick share one transaction: one commit instead of one per job. */
  #waiting: Waiting[] = []
  /**
   * Runs a function in a transaction. better-sqlite3's db.transaction(fn) builds a new wrapper each time it
   * is called (about 8 µs here, against 1 µs for the transaction itself), so the wrapper is built once.
   */
  readonly #inTransaction: <T>(fn: () => T) => T
  readonly #tokenPrefix = `${randomBytes(9).toString('base64url')}.`
  #leases = 0

  private constructor(db: SQLite.Database, now: () => number) {
    this.#db = db
    this.#now = now
    this.#statements = prepare(db)
    this.#inTransaction = db.transaction((fn: () => unknown) => fn()) as <T>(fn: () => T) => T
  }

  static open(options: SqliteQueueOptions): SqliteQueue {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true })
    const db = new SQLite(options.file)
    db.pragma('journal_mode = WAL')
    // NORMAL in WAL mode survives a crash of the process (SIGKILL); only a power loss can drop the last commits.
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    if (options.checkpoints === 'external') db.pragma('wal_autocheckpoint = 0')
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`)
    migrate(db)
    return new SqliteQueue(db, options.now ?? Date.now)
  }

  async enqueue(jobs: NewJob[]): Promise<void> {
    for (const job of jobs) checkJob(job)
    // In order, per destination: a destination's jobs are leased in the order they came.
    const byDestination = new Map<string, string[]>()
    for (const job of jobs) {
      const texts = byDestination.get(job.destinationId)
      if (texts === undefined) byDestination.set(job.destinationId, [job.payload])
      else texts.push(job.payload)
    }
    const at = this.#now()
    const { insertPack, insertPayload } = this.#statements
    this.#inTransaction(() => {
      for (const [destinationId, texts] of byDestination) {
        for (let i = 0; i < texts.length; i += PACK_MAX) {
          const part = texts.slice(i, i + PACK_MAX)
          const id = Number(insertPack.run(destinationId, part.length, 0, at, at, 0, null).lastInsertRowid)
          const { lengths, payload } = packPayload(part)
          insertPayload.run(id, lengths, payload)
        }
      }
    })
  }

  async lease(max: number, leaseMs: number): Promise<LeasedJob[]> {
    if (max < 1) return []
    const now = this.#now()
    // One token per lease call: settling checks it, so a worker whose lease expired cannot settle a job
    // another worker has leased since. Unique across handles by the handle's random prefix (randomBytes
    // per lease cost 4 µs, a tenth of a lease at light load).
    const token = `${this.#tokenPrefix}${(++this.#leases).toString(36)}`
    const until = now + leaseMs
    const { due, leasePack, payloadOf } = this.#statements
    const leased = this.#inTransaction(() => {
      // Whole packs while they fit; a first pack bigger than the round is split, so a lease never gives more than max.
      const candidates = due.all(now, max) as Due[]
      const chosen: number[] = []
      let total = 0
      for (const c of candidates) {
        if (total + c.n > max) break
        chosen.push(c.id)
        total += c.n
      }
      if (chosen.length === 0 && candidates.length > 0) chosen.push(this.#split(candidates[0]!.id, max))
      // One statement per pack rather than one for the list (`IN (SELECT value FROM json_each(?))`): SQLite
      // builds a temporary index and a Bloom filter for such a list, which made a lease of one or two packs
      // three times as costly, and a round has only a few packs.
      return chosen.map((id) => ({ pack: leasePack.get(token, until, id) as PackRow, texts: unpack(payloadOf.get(id) as PayloadRow) }))
    })
    const jobs: LeasedJob[] = []
    for (const { pack, texts } of leased.sort((a, b) => a.pack.id - b.pack.id)) {
      if (pack.n > 1) this.#held.set(pack.id, { token, until, settled: new Uint8Array(pack.n), remaining: pack.n })
      texts.forEach((payload, i) => jobs.push({ id: jobId(pack.id, i, pack.n), destinationId: pack.destination_id, payload, attempts: pack.attempts, enqueuedAt: pack.enqueued_at, leaseToken: token }))
    }
    return jobs
  }

  /**
   * Moves the first `keep` jobs of a pack to a new pack, due as it was, and returns the new pack's id. The
   * rest stay in the old row, so they keep their place in the order.
   */
  #split(packId: number, keep: number): number {
    const { packById, payloadOf, insertPack, insertPayload, setPack } = this.#statements
    const pack = packById.get(packId) as PackRow & { visible_at: number }
    const texts = unpack(payloadOf.get(packId) as PayloadRow)
    const firstId = Number(insertPack.run(pack.destination_id, keep, pack.attempts, pack.enqueued_at, pack.visible_at, 0, null).lastInsertRowid)
    const first = packPayload(texts.slice(0, keep))
    insertPayload.run(firstId, first.lengths, first.payload)
    const rest = packPayload(texts.slice(keep))
    setPack.run(texts.length - keep, packId)
    insertPayload.run(packId, rest.lengths, rest.payload)
    return firstId
  }

  /**
   * Settles many jobs in one transaction, at once: for the thread that serves a round's settlements (port
   * queue), without a promise per job. Answers per job: undefined when settled, else why not.
   */
  settleAll(list: readonly QueueSettlement[]): (Error | undefined)[] {
    const now = this.#now()
    try {
      return this.#inTransaction(() => list.map((s) => (this.#settleOne(s, now) ? undefined : new LeaseLostError(s.job.id))))
    } catch (err) {
      // The rows went back, but the marks of settled jobs in memory did not: a pack marked done would be
      // deleted when its last job settles, losing a retry or a failure that was rolled back. So this handle
      // lets go of every pack of the list; their rows stay, and when the leases end every job runs again.
      for (const s of list) this.#held.delete(placeOf(s.job.id).packId)
      throw err
    }
  }

  #settleOne(s: QueueSettlement, now: number): boolean {
    const st = this.#statements
    const { packId, index } = placeOf(s.job.id)
    const token = s.job.leaseToken
    const reason = s.op === 'ack' ? '' : s.reason.slice(0, 2000)
    if (!s.job.id.includes('.')) {
      // A pack of one job: its row is the job's, and each statement checks the lease.
      if (s.op === 'retryAt') return st.retrySingle.run(s.at, reason, packId, token).changes > 0
      if (s.op === 'fail') return st.failSingle.run(reason, now, packId, token).changes > 0
      return this.#deletePack(packId, token)
    }
    const held = this.#held.get(packId)
    if (held === undefined || held.token !== token || !(index < held.settled.length) || held.settled[index] !== 0) return false
    // Past the lease's end another handle may have leased the pack: only its row can say.
    if (now >= held.until && (st.tokenOf.get(packId) as { lease_token: string | null } | undefined)?.lease_token !== token) {
      this.#held.delete(packId)
      return false
    }
    if (s.op !== 'ack') {
      // Out of the pack into a row of its own: due later, or failed (kept for replay).
      const failed = s.op === 'fail'
      const id = Number(st.insertPack.run(s.job.destinationId, 1, s.job.attempts, s.job.enqueuedAt, failed ? now : s.at, failed ? 1 : 0, reason).lastInsertRowid)
      st.insertPayload.run(id, null, s.job.payload)
    }
    held.settled[index] = 1
    if (--held.remaining > 0) return true
    this.#held.delete(packId)
    return this.#deletePack(packId, token)
  }

  extendLeases(jobs: readonly JobLease[], leaseMs: number): JobLease[] {
    const until = this.#now() + leaseMs
    const tokens = new Map<number, string>()
    for (const job of jobs) tokens.set(placeOf(job.id).packId, job.leaseToken)
    const lost = new Set<number>()
    this.#inTransaction(() => {
      for (const [packId, token] of tokens) {
        if (this.#statements.extendPack.run(until, packId, token).changes === 0) {
          lost.add(packId)
          continue
        }
        const held = this.#held.get(packId)
        if (held !== undefined && held.token === token) held.until = until
      }
    })
    return lost.size === 0 ? [] : jobs.filter((job) => lost.has(placeOf(job.id).packId))
  }

  #deletePack(packId: number, token: string): boolean {
    if (this.#statements.deletePack.run(packId, token).changes === 0) return false
    this.#statements.deletePayload.run(packId)
    return true
  }

  #settle(s: QueueSettlement): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) setImmediate(() => this.#flush())
      this.#waiting.push({ s, resolve, reject })
    })
  }

  #flush(): void {
    const batch = this.#waiting
    this.#waiting = []
    let results: (Error | undefined)[]
    try {
      results = this.settleAll(batch.map((w) => w.s))
    } catch (err) {
      for (const w of batch) w.reject(err as Error)
      return
    }
    batch.forEach((w, i) => (results[i] === undefined ? w.resolve() : w.reject(results[i]!)))
  }

  ack(job: JobLease): Promise<void> {
    return this.#settle({ op: 'ack', job })
  }

  retryAt(job: LeasedJob, at: number, reason: string): Promise<void> {
    return this.#settle({ op: 'retryAt', job, at, reason })
  }

  fail(job: LeasedJob, reason: string): Promise<void> {
    return this.#settle({ op: 'fail', job, reason })
  }

  async depth(): Promise<number> {
    return (this.#statements.depth.get() as { n: number }).n
  }

  async replay(destinationId: string, filter: ReplayFilter = {}): Promise<number> {
    const now = this.#now()
    const { replay, failedOf } = this.#statements
    const since = filter.since ?? 0
    const until = filter.until ?? Number.MAX_SAFE_INTEGER
    if (filter.messageId === undefined) return replay.run(now, now, destinationId, since, until).changes
    // One event's: failed jobs are few, and their texts are read only here.
    const wanted = (failedOf.all(destinationId, since, until) as { id: number; payload: string }[]).filter((r) => messageIdOf(r.payload) === filter.messageId)
    return this.#inTransaction(() => wanted.reduce((n, r) => n + this.#statements.replayOne.run(now, now, r.id).changes, 0))
  }

  async close(): Promise<void> {
    if (this.#waiting.length > 0) this.#flush()
    this.#held.clear()
    this.#db.close()
  }
}

function prepare(db: SQLite.Database) {
  return {
    insertPack: db.prepare('INSERT INTO packs (destination_id, n, attempts, enqueued_at, visible_at, state, last_error) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertPayload: db.prepare('INSERT OR REPLACE INTO pack_payloads (pack_id, lengths, payload) VALUES (?, ?, ?)'),
    due: db.prepare('SELECT id, n FROM packs WHERE state = 0 AND visible_at <= ? ORDER BY visible_at, id LIMIT ?'),
    leasePack: db.prepare('UPDATE packs SET lease_token = ?, visible_at = ?, attempts = attempts + 1 WHERE id = ? RETURNING id, destination_id, n, attempts, enqueued_at, lease_token'),
    payloadOf: db.prepare('SELECT pack_id, lengths, payload FROM pack_payloads WHERE pack_id = ?'),
    packById: db.prepare('SELECT id, destination_id, n, attempts, enqueued_at, visible_at FROM packs WHERE id = ?'),
    setPack: db.prepare('UPDATE packs SET n = ? WHERE id = ?'),
    tokenOf: db.prepare('SELECT lease_token FROM packs WHERE id = ? AND state = 0'),
    extendPack: db.prepare('UPDATE packs SET visible_at = ? WHERE id = ? AND lease_token = ? AND state = 0'),
    deletePack: db.prepare('DELETE FROM packs WHERE id = ? AND lease_token = ? AND state = 0'),
    deletePayload: db.prepare('DELETE FROM pack_payloads WHERE pack_id = ?'),
    retrySingle: db.prepare('UPDATE packs SET visible_at = ?, lease_token = NULL, last_error = ? WHERE id = ? AND lease_token = ? AND state = 0'),
    // visible_at records when a job failed, so replay can choose a time range.
    failSingle: db.prepare('UPDATE packs SET state = 1, lease_token = NULL, last_error = ?, visible_at = ? WHERE id = ? AND lease_token = ? AND state = 0'),
    // Failed jobs are packs of one: a job fails alone.
    replay: db.prepare('UPDATE packs SET state = 0, visible_at = ?, enqueued_at = ?, attempts = 0, lease_token = NULL WHERE state = 1 AND destination_id = ? AND visible_at >= ? AND visible_at < ?'),
    failedOf: db.prepare('SELECT p.id, d.payload FROM packs p JOIN pack_payloads d ON d.pack_id = p.id WHERE p.state = 1 AND p.destination_id = ? AND p.visible_at >= ? AND p.visible_at < ?'),
    replayOne: db.prepare('UPDATE packs SET state = 0, visible_at = ?, enqueued_at = ?, attempts = 0, lease_token = NULL WHERE id = ? AND state = 1'),
    depth: db.prepare('SELECT coalesce(sum(n), 0) AS n FROM packs WHERE state = 0'),
  }
}

/** Creates the tables, or moves a file of the one-row-per-job layout into packs of one, in one transaction. */
function migrate(db: SQLite.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) >= LAYOUT) return
  db.transaction(() => {
    // The payload has a table of its own, so that leasing a pack rewrites a small row, not the events.
    db.exec(`CREATE TABLE IF NOT EXISTS packs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      destination_id TEXT NOT NULL,
      n INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      enqueued_at INTEGER NOT NULL,
      visible_at INTEGER NOT NULL,
      lease_token TEXT,
      state INTEGER NOT NULL,
      last_error TEXT
    );
    CREATE INDEX IF NOT EXISTS packs_due ON packs (state, visible_at, id, n);
    CREATE TABLE IF NOT EXISTS pack_payloads (pack_id INTEGER PRIMARY KEY, lengths TEXT, payload TEXT NOT NULL);`)
    const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get()
    if (old !== undefined) {
      db.exec(`INSERT INTO packs (id, destination_id, n, attempts, enqueued_at, visible_at, lease_token, state, last_error)
        SELECT id, destination_id, 1, attempts, enqueued_at, visible_at, lease_token, state, last_error FROM jobs;
      INSERT INTO pack_payloads (pack_id, lengths, payload) SELECT id, NULL, payload FROM jobs;
      DROP TABLE jobs;`)
    }
    db.pragma(`user_version = ${LAYOUT}`)
  })()
}
