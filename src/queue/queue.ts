// The durable job queue: one job per (event, destination). Implementations: SQLite (embedded) and
// NATS JetStream (scale-out); both pass queue.contract.ts.

export interface NewJob {
  destinationId: string
  /** The event, as JSON text. */
  payload: string
  /**
   * The job's natural key (the event's messageId with the destinationId): a queue that publishes jobs one
   * by one (JetStream) drops a job whose key it saw within its dedupe window, so a sender's retry of a
   * failed enqueue adds nothing twice. The SQLite queue, atomic, does not need it.
   */
  dedupeKey?: string
}

export interface LeasedJob {
  readonly id: string
  readonly destinationId: string
  readonly payload: string
  /** Leases so far, this one included. */
  readonly attempts: number
  /** When the job was first enqueued, ms since the epoch: the retry window counts from here. */
  readonly enqueuedAt: number
  /** Proves the lease is still ours when the job is settled. */
  readonly leaseToken: string
}

/** What names a lease of a job: all that settling it as done needs. */
export type JobLease = Pick<LeasedJob, 'id' | 'leaseToken'>

export interface JobQueue {
  /**
   * Adds jobs: all of them are durable when this resolves. When it rejects, the SQLite queue added none;
   * the JetStream queue may have added some, and sending the same jobs again (same dedupeKeys) adds the
   * rest without repeats. Either way the caller answers 5xx and the sender retries.
   */
  enqueue(jobs: NewJob[]): Promise<void>
  /**
   * Up to `max` jobs that are due, hidden from other workers for `leaseMs` (JetStream: at least its
   * consumer's ack wait); a job not settled by then comes back.
   */
  lease(max: number, leaseMs: number): Promise<LeasedJob[]>
  /**
   * How long a lease that finds no job due waits for one before it answers empty, ms; absent or 0 when it
   * answers at once. A worker sleeps between empty leases only when they do not wait.
   */
  readonly leaseWaitMs?: number
  /**
   * True when a lease longer than the queue's own lease time (JetStream: its consumer's ack wait; the
   * embedded queue through a port: PortQueue's keepLeasesAliveMs) is kept alive only while the holder
   * runs: a worker may then lease for as long as a round could take, and a crashed worker's jobs still come
   * back after the short lease time. Absent: a lease hides its jobs for exactly leaseMs, crashed or not
   * (SqliteQueue used directly).
   */
  readonly keepsLeasesAlive?: boolean
  /** Done: the job is removed. */
  ack(job: JobLease): Promise<void>
  /** Try again at `at` (ms since the epoch). */
  retryAt(job: LeasedJob, at: number, reason: string): Promise<void>
  /** Give up: the job is kept as failed (for replay), never leased again. */
  fail(job: LeasedJob, reason: string): Promise<void>
  /** Jobs waiting or leased, not failed. */
  depth(): Promise<number>
  /**
   * Replay: failed jobs of a destination are due again, with a fresh retry window: all of them, those that
   * failed in a time range, or one event's. Returns how many.
   */
  replay(destinationId: string, filter?: ReplayFilter): Promise<number>
  close(): Promise<void>
}

/** Which failed jobs a replay takes; every field narrows it. */
export interface ReplayFilter {
  /** Failed at or after, ms since the epoch. */
  since?: number
  /** Failed before, ms since the epoch. */
  until?: number
  /** The event's messageId (one event, one by one). */
  messageId?: string
}

/** Whether a failed job falls in a replay's time range. */
export function failedWithin(filter: ReplayFilter, failedAt: number): boolean {
  return failedAt >= (filter.since ?? 0) && failedAt < (filter.until ?? Infinity)
}

/** The messageId of a job's payload, or undefined when it has none (or is not JSON). */
export function messageIdOf(payload: string): string | undefined {
  try {
    const id = (JSON.parse(payload) as { messageId?: unknown } | null)?.messageId
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

/** One job's settlement, as ack, retryAt and fail take it. */
export type QueueSettlement =
  | { op: 'ack'; job: JobLease }
  | { op: 'retryAt'; job: LeasedJob; at: number; reason: string }
  | { op: 'fail'; job: LeasedJob; reason: string }

/**
 * A queue that can settle many jobs at once: synchronously (the SQLite queue), or with one promise for
 * them all (the queue across a thread's port).
 */
export interface BulkSettling {
  settleAll(list: readonly QueueSettlement[]): (Error | undefined)[]
  settleMany(list: readonly QueueSettlement[]): Promise<(Error | undefined)[]>
}

/**
 * A queue whose leases can be made longer while they are held (the SQLite queue): what lets the thread
 * that serves it keep a live delivery thread's leases (port-queue.ts, LeaseKeeper).
 */
export interface LeaseExtending {
  /** Makes these jobs' leases end `leaseMs` from now (the queue's clock); answers the jobs whose lease was lost. */
  extendLeases(jobs: readonly JobLease[], leaseMs: number): JobLease[]
}

/**
 * Settles the jobs of a round: at once where the queue can, else one by one. Answers per job: undefined
 * when settled, else why not.
 */
export async function settleAll(queue: JobQueue & Partial<BulkSettling>, list: readonly QueueSettlement[]): Promise<(Error | undefined)[]> {
  if (typeof queue.settleAll === 'function') {
    try {
      return queue.settleAll(list)
    } catch (err) {
      return list.map(() => err as Error)
    }
  }
  if (typeof queue.settleMany === 'function') return queue.settleMany(list)
  const results = await Promise.allSettled(list.map((s) => (s.op === 'ack' ? queue.ack(s.job) : s.op === 'retryAt' ? queue.retryAt(s.job, s.at, s.reason) : queue.fail(s.job, s.reason))))
  return results.map((r) => (r.status === 'fulfilled' ? undefined : (r.reason as Error)))
}

/** Settling a job whose lease was settled already, or expired and taken by another worker. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} is no longer leased by this worker (settled already, or its lease expired and it was leased again)`)
    this.name = 'LeaseLostError'
  }
}

/** Throws a TypeError naming what is wrong with a job, for the code that built it. */
export function checkJob(job: NewJob): void {
  if (typeof job.destinationId !== 'string' || job.destinationId === '') throw new TypeError('a job needs a destinationId (a non-empty string)')
  if (/[\u0000-\u001f\u007f]/.test(job.destinationId)) throw new TypeError(`destinationId ${JSON.stringify(job.destinationId)} holds control characters`)
  if (typeof job.payload !== 'string') throw new TypeError(`a job for ${job.destinationId} needs its payload as a JSON string`)
  if (job.dedupeKey !== undefined && (typeof job.dedupeKey !== 'string' || job.dedupeKey === '')) {
    throw new TypeError(`a job for ${job.destinationId} has an empty dedupeKey: leave it out, or give the messageId and destinationId`)
  }
}
