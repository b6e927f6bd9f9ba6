// Leases that found no job and wait for one, in the thread that owns the queue (port-queue.ts). Without
// them, a job enqueued while the delivery thread idled reached it in four hand-offs between threads: the
// queue's answer to the ingesting thread, that thread's wake-up call to the delivery thread, its lease,
// and the lease's answer. With them the queue's thread answers the waiting lease as soon as the jobs are
// committed: one hand-off, and one thread fewer that must be scheduled on the way (at 1,000 events/s on
// two cores, the p99 was decided by threads waiting for a core; BENCHMARKS.md).
import type { JobQueue, LeasedJob } from './queue.js'

export interface WaitingLease {
  max: number
  leaseMs: number
  /** When the wait ends with no jobs, ms (performance.now()). */
  until: number
  answer(jobs: LeasedJob[]): void
  fail(err: Error): void
}

export class WaitingLeases {
  readonly #queue: JobQueue
  /** In the order they came: the first to wait is the first served. */
  readonly #waiting = new Map<WaitingLease, NodeJS.Timeout>()
  #serving = false
  #again = false

  constructor(queue: JobQueue) {
    this.#queue = queue
  }

  get size(): number {
    return this.#waiting.size
  }

  /** Holds an empty lease until jobs arrive or its wait ends (then it is answered with none). */
  wait(lease: WaitingLease): void {
    const timer = setTimeout(() => {
      this.#waiting.delete(lease)
      lease.answer([])
    }, Math.max(0, lease.until - performance.now()))
    this.#waiting.set(lease, timer)
  }

  /** Forgets the leases `which` picks (their port closed: nobody would read the answer). */
  drop(which: (lease: WaitingLease) => boolean): void {
    for (const [lease, timer] of this.#waiting) {
      if (!which(lease)) continue
      clearTimeout(timer)
      this.#waiting.delete(lease)
    }
  }

  /** Jobs were added or made due: waiting leases take them, first come first served, until one finds none. */
  async jobsArrived(): Promise<void> {
    if (this.#serving) {
      this.#again = true
      return
    }
    this.#serving = true
    try {
      do {
        this.#again = false
        for (const [lease, timer] of [...this.#waiting]) {
          // Out of the map while it leases, so that its timer cannot answer it as well.
          clearTimeout(timer)
          this.#waiting.delete(lease)
          let jobs: LeasedJob[]
          try {
            jobs = await this.#queue.lease(lease.max, lease.leaseMs)
          } catch (err) {
            lease.fail(err as Error)
            continue
          }
          if (jobs.length > 0) {
            lease.answer(jobs)
            continue
          }
          this.wait(lease)
          break
        }
      } while (this.#again)
    } finally {
      this.#serving = false
    }
  }
}
