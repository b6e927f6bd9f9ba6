// The queue across a thread boundary: one thread owns the queue (and is the only writer of its SQLite
// file), another uses it through a MessagePort. Two writers on one SQLite file wait on each other's locks
// in sleeps of milliseconds, which is what delivery latency would feel; messages between threads cost
// tens of microseconds.
import type { MessagePort } from 'node:worker_threads'
import { readLeased, readNewJobs, readSettlements, writeLeased, writeNewJobs, writeSettlements, type LeasedWire, type NewJobsWire, type SettlementsWire } from './port-wire.js'
import { WaitingLeases } from './waiting-leases.js'
import { LeaseLostError, settleAll, type BulkSettling, type JobLease, type JobQueue, type LeaseExtending, type LeasedJob, type NewJob, type QueueSettlement, type ReplayFilter } from './queue.js'

type Request =
  | { id: number; op: 'enqueue'; jobs: NewJobsWire }
  | { id: number; op: 'lease'; max: number; leaseMs: number; waitMs?: number; holdMs?: number }
  | { id: number; op: 'settle'; list: SettlementsWire }
  | { id: number; op: 'depth' }
  | { id: number; op: 'replay'; destinationId: string; filter?: ReplayFilter }
/** A settle's answer: the settlements that failed, by their place in the list. */
type SettleAnswer = [number, Failure][]
type Failure = { name: string; message: string; jobId?: string }
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
type Answer = { id: number; ok: true; value: unknown } | ({ id: number; ok: false } & Failure)

function failure(err: Error, job?: JobLease): Failure {
  return { name: err.name, message: err.message, ...(err instanceof LeaseLostError && job !== undefined ? { jobId: job.id } : {}) }
}

function errorFrom(f: Failure): Error {
  return f.name === 'LeaseLostError' ? new LeaseLostError(f.jobId ?? '?') : Object.assign(new Error(f.message), { name: f.name })
}

/**
 * The leases one port's thread holds for longer than the queue's own lease (PortQueue's keepLeasesAliveMs):
 * renewed a lease at a time, every third of it, until they are settled, their hold ends or the port closes.
 * So a live delivery thread keeps the jobs of a round that outlasts the lease (a destination that times
 * out, behind a backlog), where another thread would otherwise lease them again and deliver them twice;
 * and a thread that died lets them go one lease later, as a process killed with them does.
 */
class LeaseKeeper {
  readonly #held = new Map<string, { job: JobLease; holdUntil: number }>()
  #timer: NodeJS.Timeout | undefined

  constructor(
    readonly queue: LeaseExtending,
    readonly leaseMs: number,
  ) {}

  hold(jobs: readonly LeasedJob[], holdMs: number): void {
    const holdUntil = Date.now() + holdMs
    for (const job of jobs) this.#held.set(job.id, { job: { id: job.id, leaseToken: job.leaseToken }, holdUntil })
    if (this.#timer === undefined && this.#held.size > 0) {
      this.#timer = setInterval(() => this.#renew(), Math.max(1, Math.floor(this.leaseMs / 3)))
      this.#timer.unref()
    }
  }

  settled(jobs: readonly QueueSettlement[]): void {
    for (const s of jobs) if (this.#held.get(s.job.id)?.job.leaseToken === s.job.leaseToken) this.#held.delete(s.job.id)
  }

  #renew(): void {
    const now = Date.now()
    const renewing: JobLease[] = []
    for (const [id, { job, holdUntil }] of this.#held) {
      if (holdUntil <= now) this.#held.delete(id)
      else renewing.push(job)
    }
    if (renewing.length > 0) {
      try {
        for (const lost of this.queue.extendLeases(renewing, this.leaseMs)) this.#held.delete(lost.id)
      } catch {
        // The file is busy or gone: the leases run out as they would after a crash, and the jobs come back.
      }
    }
    if (this.#held.size === 0) this.stop()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#held.clear()
  }
}

function extendsLeases(queue: JobQueue): queue is JobQueue & LeaseExtending {
  return typeof (queue as Partial<LeaseExtending>).extendLeases === 'function'
}

/** Leases waiting for jobs, per queue: one queue is served on several ports, and any of them may enqueue. */
const waitingLeases = new WeakMap<JobQueue, WaitingLeases>()

/** Answers the queue operations that arrive on the port with the given queue. */
export function serveQueue(queue: JobQueue & Partial<BulkSettling>, port: MessagePort): void {
  let waiting = waitingLeases.get(queue)
  if (waiting === undefined) waitingLeases.set(queue, (waiting = new WaitingLeases(queue)))
  const leases = waiting
  const answer = (id: number, value: unknown) => port.postMessage({ id, ok: true, value } satisfies Answer)
  const fail = (id: number, err: Error) => port.postMessage({ id, ok: false, ...failure(err) } satisfies Answer)
  const mine = new WeakSet<object>()
  let keeper: LeaseKeeper | undefined
  port.on('close', () => {
    leases.drop((lease) => mine.has(lease))
    keeper?.stop()
  })
  /** Jobs leased for longer than the queue's lease: kept alive while this port is open. */
  const leased = (jobs: LeasedJob[], leaseMs: number, holdMs: number | undefined): LeasedJob[] => {
    if (holdMs !== undefined && holdMs > leaseMs && jobs.length > 0 && extendsLeases(queue)) (keeper ??= new LeaseKeeper(queue, leaseMs)).hold(jobs, holdMs)
    return jobs
  }
  port.on('message', (req: Request) => {
    if (req.op === 'settle') {
      // A round's settlements in one message, and their outcomes in one answer: only the ones that failed.
      const list = readSettlements(req.list)
      keeper?.settled(list)
      void settleAll(queue, list).then((results) => {
        const value: SettleAnswer = []
        results.forEach((err, i) => (err === undefined ? undefined : value.push([i, failure(err, list[i]!.job)])))
        answer(req.id, value)
      })
      return
    }
    if (req.op === 'lease') {
      const { id, max, leaseMs, waitMs = 0, holdMs } = req
      queue.lease(max, leaseMs).then((jobs) => {
        if (jobs.length > 0 || !(waitMs > 0)) return answer(id, writeLeased(leased(jobs, leaseMs, holdMs)))
        const lease = { max, leaseMs, until: performance.now() + waitMs, answer: (later: LeasedJob[]) => answer(id, writeLeased(leased(later, leaseMs, holdMs))), fail: (err: Error) => fail(id, err) }
        mine.add(lease)
        leases.wait(lease)
      }, (err: Error) => fail(id, err))
      return
    }
    const call: Promise<unknown> =
      req.op === 'enqueue' ? Promise.resolve().then(() => queue.enqueue(readNewJobs(req.jobs)))
      : req.op === 'depth' ? queue.depth()
      : queue.replay(req.destinationId, req.filter)
    call.then(
      (value) => {
        answer(req.id, value)
        // New jobs, or failed ones due again: a lease waiting for work takes them now.
        if ((req.op === 'enqueue' || (req.op === 'replay' && Number(value) > 0)) && leases.size > 0) void leases.jobsArrived()
      },
      (err: Error) => fail(req.id, err),
    )
  })
}

/** How long settlements gather before they cross, ms, and how many make a message at once. */
const SETTLE_GATHER_MS = 2
const SETTLE_MESSAGE_MAX = 300

/** A JobQueue whose operations run in the thread that serves the other end of the port. */
export class PortQueue implements JobQueue {
  readonly #port: MessagePort
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #next = 0

  readonly #gatherMs: number
  readonly leaseWaitMs: number
  /** The queue's own lease when the serving thread keeps this thread's longer leases alive (see the constructor). */
  readonly #keepAliveMs: number | undefined

  /**
   * `leaseWaitMs`: how long a lease that finds no job waits in the queue's thread for one (0: it answers
   * at once). A worker whose leases wait does not sleep between them.
   * `keepLeasesAliveMs`: the queue's lease, ms, for a lease asked for longer (JobQueue.keepsLeasesAlive):
   * the jobs are leased for this long, and the serving thread renews the lease while this port is open,
   * for as long as was asked. A thread that dies with the jobs lets them go this long after.
   */
  constructor(port: MessagePort, options: { settleGatherMs?: number; leaseWaitMs?: number; keepLeasesAliveMs?: number } = {}) {
    this.#port = port
    this.#gatherMs = options.settleGatherMs ?? SETTLE_GATHER_MS
    this.leaseWaitMs = options.leaseWaitMs ?? 0
    this.#keepAliveMs = options.keepLeasesAliveMs
    port.on('message', (a: Answer) => {
      const waiter = this.#pending.get(a.id)
      if (waiter === undefined) return
      this.#pending.delete(a.id)
      if (a.ok) waiter.resolve(a.value)
      else waiter.reject(errorFrom(a))
    })
    // The queue's thread is gone (it failed, or the process is stopping): nothing will answer.
    port.on('close', () => {
      for (const { reject } of this.#pending.values()) reject(new Error('the queue is gone: the thread that serves it closed the port with the operation unanswered'))
      this.#pending.clear()
    })
  }

  get keepsLeasesAlive(): boolean {
    return this.#keepAliveMs !== undefined
  }

  #call<T>(request: DistributiveOmit<Request, 'id'>): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#port.postMessage({ id, ...request } as Request)
    })
  }

  /**
   * Settlements made within SETTLE_GATHER_MS travel together. A message costs more than the settlements in
   * it (waking the other thread, and a transaction there), and with one POST per event a round's jobs
   * settle one by one as their answers come: gathered per tick, a round of 300 made about 18 messages of
   * its settlements; gathered for 2 ms, about 10. In CPU profiles (whose figures run high) that was 12 µs
   * less per event on the delivery thread and 6 µs on the thread that served the queue (then the
   * server's). Nothing waits on an ack but the round that holds the job.
   */
  #settlements: QueueSettlement[] = []
  /** Who waits on the gathered settlements: one entry per call, for `count` settlements from `from`. */
  #settleWaiters: { from: number; count: number; done: (results: (Error | undefined)[]) => void }[] = []

  #settle(s: QueueSettlement): Promise<void> {
    return this.settleMany([s]).then(([err]) => {
      if (err !== undefined) throw err
    })
  }

  /**
   * Settles a round's jobs with one promise for them all (the worker's round path): they join the gathered
   * settlements like single ones. Answers per job: undefined when settled, else why not.
   */
  settleMany(list: readonly QueueSettlement[]): Promise<(Error | undefined)[]> {
    return new Promise((done) => {
      if (this.#settlements.length === 0) setTimeout(() => this.#sendSettlements(), this.#gatherMs)
      this.#settleWaiters.push({ from: this.#settlements.length, count: list.length, done })
      for (const s of list) this.#settlements.push(s)
      if (this.#settlements.length >= SETTLE_MESSAGE_MAX) this.#sendSettlements()
    })
  }

  #sendSettlements(): void {
    const batch = this.#settlements
    const waiters = this.#settleWaiters
    // Sent already: the batch filled up, or the port was closed.
    if (batch.length === 0) return
    this.#settlements = []
    this.#settleWaiters = []
    this.#call<SettleAnswer>({ op: 'settle', list: writeSettlements(batch) }).then(
      (failures) => {
        const results: (Error | undefined)[] = new Array<Error | undefined>(batch.length).fill(undefined)
        for (const [i, f] of failures) results[i] = errorFrom(f)
        for (const w of waiters) w.done(results.slice(w.from, w.from + w.count))
      },
      (err: Error) => {
        for (const w of waiters) w.done(new Array<Error>(w.count).fill(err))
      },
    )
  }

  enqueue(jobs: NewJob[]): Promise<void> { return this.#call({ op: 'enqueue', jobs: writeNewJobs(jobs) }) }
  lease(max: number, leaseMs: number): Promise<LeasedJob[]> {
    const held = this.#keepAliveMs !== undefined && leaseMs > this.#keepAliveMs ? { leaseMs: this.#keepAliveMs, holdMs: leaseMs } : { leaseMs }
    return this.#call<LeasedWire>({ op: 'lease', max, ...held, ...(this.leaseWaitMs > 0 ? { waitMs: this.leaseWaitMs } : {}) }).then(readLeased)
  }
  // Only what names the lease crosses: the event's text would be copied for nothing.
  ack(job: JobLease): Promise<void> { return this.#settle({ op: 'ack', job: { id: job.id, leaseToken: job.leaseToken } }) }
  retryAt(job: LeasedJob, at: number, reason: string): Promise<void> { return this.#settle({ op: 'retryAt', job, at, reason }) }
  fail(job: LeasedJob, reason: string): Promise<void> { return this.#settle({ op: 'fail', job, reason }) }
  depth(): Promise<number> { return this.#call({ op: 'depth' }) }
  replay(destinationId: string, filter?: ReplayFilter): Promise<number> { return this.#call({ op: 'replay', destinationId, ...(filter === undefined ? {} : { filter }) }) }

  /** The owner closes the queue itself; this end only lets go of the port. */
  async close(): Promise<void> {
    if (this.#settlements.length > 0) this.#sendSettlements()
    // Let answers on their way arrive (a stopping worker has settled everything it held by now).
    const end = Date.now() + 5000
    while (this.#pending.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    for (const { reject } of this.#pending.values()) reject(new Error('the queue port was closed with the operation unanswered'))
    this.#pending.clear()
    this.#port.close()
  }
}
