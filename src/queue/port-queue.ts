// The queue across a thread boundary: one thread owns the queue (and is the only writer of its SQLite
// file), another uses it through a MessagePort. Two writers on one SQLite file wait on each other's locks
// in sleeps of milliseconds, which is what delivery latency would feel; messages between threads cost
// tens of microseconds.
import type { MessagePort } from 'node:worker_threads'
import { LeaseLostError, type JobQueue, type LeasedJob, type NewJob } from './queue.js'

type Operation = Exclude<keyof JobQueue, 'close'>
type Request = { id: number; op: Operation; args: unknown[] }
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; name: string; message: string; jobId?: string }

/** Answers the queue operations that arrive on the port with the given queue. */
export function serveQueue(queue: JobQueue, port: MessagePort): void {
  port.on('message', (req: Request) => {
    const call = (queue[req.op] as (...args: unknown[]) => Promise<unknown>).apply(queue, req.args)
    call.then(
      (value) => port.postMessage({ id: req.id, ok: true, value } satisfies Answer),
      (err: Error) => port.postMessage({
        id: req.id, ok: false, name: err.name, message: err.message,
        ...(err instanceof LeaseLostError ? { jobId: (req.args[0] as LeasedJob).id } : {}),
      } satisfies Answer),
    )
  })
}

/** A JobQueue whose operations run in the thread that serves the other end of the port. */
export class PortQueue implements JobQueue {
  readonly #port: MessagePort
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #next = 0

  constructor(port: MessagePort) {
    this.#port = port
    port.on('message', (a: Answer) => {
      const waiter = this.#pending.get(a.id)
      if (waiter === undefined) return
      this.#pending.delete(a.id)
      if (a.ok) waiter.resolve(a.value)
      else if (a.name === 'LeaseLostError') waiter.reject(new LeaseLostError(a.jobId ?? '?'))
      else waiter.reject(Object.assign(new Error(a.message), { name: a.name }))
    })
  }

  #call<T>(op: Operation, ...args: unknown[]): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#port.postMessage({ id, op, args } satisfies Request)
    })
  }

  enqueue(jobs: NewJob[]): Promise<void> { return this.#call('enqueue', jobs) }
  lease(max: number, leaseMs: number): Promise<LeasedJob[]> { return this.#call('lease', max, leaseMs) }
  ack(job: LeasedJob): Promise<void> { return this.#call('ack', job) }
  retryAt(job: LeasedJob, at: number, reason: string): Promise<void> { return this.#call('retryAt', job, at, reason) }
  fail(job: LeasedJob, reason: string): Promise<void> { return this.#call('fail', job, reason) }
  depth(): Promise<number> { return this.#call('depth') }
  replay(destinationId: string, since?: number): Promise<number> { return this.#call('replay', destinationId, since) }

  /** The owner closes the queue itself; this end only lets go of the port. */
  async close(): Promise<void> {
    for (const { reject } of this.#pending.values()) reject(new Error('the queue port was closed with the operation unanswered'))
    this.#pending.clear()
    this.#port.close()
  }
}
