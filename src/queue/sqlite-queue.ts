// The embedded queue: a table in a SQLite file (WAL), written in transactions. A lease is a visibility
// time in the future plus a token; an expired lease needs no sweeper, because a job whose visibility time
// has passed is simply due again.
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { checkJob, LeaseLostError, type JobQueue, type LeasedJob, type NewJob, type QueueSettlement } from './queue.js'

export interface SqliteQueueOptions {
  file: string
  /** The clock, ms since the epoch (tests inject one). */
  now?: () => number
  /** 'external': leave checkpoints of the log to a checkpointer thread (src/store/checkpointer.ts). */
  checkpoints?: 'auto' | 'external'
}

interface Row {
  id: number
  destination_id: string
  payload: string
  attempts: number
  enqueued_at: number
  lease_token: string
}

type Settlement = { run: () => boolean; jobId: string; resolve: () => void; reject: (err: Error) => void }

export class SqliteQueue implements JobQueue {
  readonly #db: SQLite.Database
  readonly #now: () => number
  readonly #insert: SQLite.Statement
  readonly #lease: SQLite.Statement
  readonly #ack: SQLite.Statement
  readonly #retry: SQLite.Statement
  readonly #fail: SQLite.Statement
  readonly #depth: SQLite.Statement
  readonly #replay: SQLite.Statement
  /** Settlements made in the same tick share one transaction: one commit instead of one per job. */
  #pending: Settlement[] = []

  private constructor(db: SQLite.Database, now: () => number) {
    this.#db = db
    this.#now = now
    this.#insert = db.prepare('INSERT INTO jobs (destination_id, payload, attempts, enqueued_at, visible_at, state) VALUES (?, ?, 0, ?, ?, 0)')
    this.#lease = db.prepare(
      `UPDATE jobs SET lease_token = ?, visible_at = ?, attempts = attempts + 1
       WHERE id IN (SELECT id FROM jobs WHERE state = 0 AND visible_at <= ? ORDER BY visible_at, id LIMIT ?)
       RETURNING id, destination_id, payload, attempts, enqueued_at, lease_token`,
    )
    this.#ack = db.prepare('DELETE FROM jobs WHERE id = ? AND lease_token = ? AND state = 0')
    this.#retry = db.prepare('UPDATE jobs SET visible_at = ?, lease_token = NULL, last_error = ? WHERE id = ? AND lease_token = ? AND state = 0')
    // visible_at records when a job failed, so replay can choose a time range.
    this.#fail = db.prepare('UPDATE jobs SET state = 1, lease_token = NULL, last_error = ?, visible_at = ? WHERE id = ? AND lease_token = ? AND state = 0')
    this.#replay = db.prepare('UPDATE jobs SET state = 0, visible_at = ?, enqueued_at = ?, attempts = 0, lease_token = NULL WHERE state = 1 AND destination_id = ? AND visible_at >= ?')
    this.#depth = db.prepare('SELECT count(*) AS n FROM jobs WHERE state = 0')
  }

  static open(options: SqliteQueueOptions): SqliteQueue {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true })
    const db = new SQLite(options.file)
    db.pragma('journal_mode = WAL')
    // NORMAL in WAL mode survives a crash of the process (SIGKILL); only a power loss can drop the last commits.
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    if (options.checkpoints === 'external') db.pragma('wal_autocheckpoint = 0')
    db.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      destination_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      enqueued_at INTEGER NOT NULL,
      visible_at INTEGER NOT NULL,
      lease_token TEXT,
      state INTEGER NOT NULL,
      last_error TEXT
    );
    CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, visible_at, id);`)
    return new SqliteQueue(db, options.now ?? Date.now)
  }

  async enqueue(jobs: NewJob[]): Promise<void> {
    const at = this.#now()
    this.#db.transaction((list: NewJob[]) => {
      for (const job of list) {
        checkJob(job)
        this.#insert.run(job.destinationId, job.payload, at, at)
      }
    })(jobs)
  }

  async lease(max: number, leaseMs: number): Promise<LeasedJob[]> {
    const now = this.#now()
    // One token per lease call: settling checks it, so a worker whose lease expired cannot settle a job
    // another worker has leased since.
    const token = randomBytes(9).toString('base64url')
    const rows = this.#db.transaction(() => this.#lease.all(token, now + leaseMs, now, max) as Row[])()
    return rows
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ id: String(r.id), destinationId: r.destination_id, payload: r.payload, attempts: r.attempts, enqueuedAt: r.enqueued_at, leaseToken: r.lease_token }))
  }

  #settle(jobId: string, run: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#flush())
      this.#pending.push({ run, jobId, resolve, reject })
    })
  }

  #flush(): void {
    const batch = this.#pending
    this.#pending = []
    let results: boolean[]
    try {
      results = this.#db.transaction(() => batch.map((s) => s.run()))()
    } catch (err) {
      for (const s of batch) s.reject(err as Error)
      return
    }
    batch.forEach((s, i) => (results[i] ? s.resolve() : s.reject(new LeaseLostError(s.jobId))))
  }

  /**
   * Settles many jobs in one transaction, at once: for the thread that serves a round's settlements (port
   * queue), without a promise per job. Answers per job: undefined when settled, else why not.
   */
  settleAll(list: readonly QueueSettlement[]): (Error | undefined)[] {
    const at = this.#now()
    const run = (s: QueueSettlement): boolean => {
      const id = Number(s.job.id)
      if (s.op === 'ack') return this.#ack.run(id, s.job.leaseToken).changes > 0
      if (s.op === 'retryAt') return this.#retry.run(s.at, s.reason.slice(0, 2000), id, s.job.leaseToken).changes > 0
      return this.#fail.run(s.reason.slice(0, 2000), at, id, s.job.leaseToken).changes > 0
    }
    const done = this.#db.transaction(() => list.map(run))()
    return done.map((ok, i) => (ok ? undefined : new LeaseLostError(list[i]!.job.id)))
  }

  ack(job: LeasedJob): Promise<void> {
    return this.#settle(job.id, () => this.#ack.run(Number(job.id), job.leaseToken).changes > 0)
  }

  retryAt(job: LeasedJob, at: number, reason: string): Promise<void> {
    return this.#settle(job.id, () => this.#retry.run(at, reason.slice(0, 2000), Number(job.id), job.leaseToken).changes > 0)
  }

  fail(job: LeasedJob, reason: string): Promise<void> {
    const at = this.#now()
    return this.#settle(job.id, () => this.#fail.run(reason.slice(0, 2000), at, Number(job.id), job.leaseToken).changes > 0)
  }

  async depth(): Promise<number> {
    return (this.#depth.get() as { n: number }).n
  }

  async replay(destinationId: string, since = 0): Promise<number> {
    const now = this.#now()
    return this.#replay.run(now, now, destinationId, since).changes
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#flush()
    this.#db.close()
  }
}
