// The scale-out queue on NATS JetStream. Jobs are messages in a work-queue stream; every worker pulls
// from one durable consumer, so the server hands each message to one worker at a time, and the
// consumer's ack wait is the lease: a message not settled in time is delivered again. Backoff is a
// negative acknowledgement with a delay; failed jobs move to a second stream, where replay finds them.
//
// Settling exactly once: JetStream accepts an ack for a message whatever delivery it names, so a worker
// must know by itself that its lease is gone. Each lease gets a local deadline, a margin before the
// server's ack wait ends (by this process's monotonic clock, counted from before the pull was sent);
// past it, or once settled, or once this handle was given the message again, settling raises
// LeaseLostError and nothing is sent. docs/queue.md says what is left: an ack that leaves in time but
// reaches the server after the ack wait can settle a delivery made since to another worker.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream'
import { connect, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node'
import { pull } from './jetstream-puller.js'
import { JetStreamPublisher, type Publication, type Stored } from './jetstream-publisher.js'
import { checkJob, failedWithin, LeaseLostError, messageIdOf, type JobLease, type JobQueue, type LeasedJob, type NewJob, type ReplayFilter } from './queue.js'

export interface JetStreamQueueOptions {
  /** NATS servers: one URL (`nats://127.0.0.1:4222`), or several members of a cluster. */
  servers: string | string[]
  user?: string
  pass?: string
  token?: string
  /**
   * Prefix of the streams (`<name>_jobs`, `<name>_failed`), their subjects and the workers' consumer:
   * queues with different names never see each other's jobs. Letters, digits, `_` and `-`.
   * @defaultValue 'insertfn'
   */
  name?: string
  /**
   * The ack wait given to the workers' consumer when this queue creates it, ms: how long a job stays
   * with a worker that died before it comes back. A consumer that exists keeps its own; a longer lease()
   * is kept alive with progress messages. @defaultValue 60000
   */
  ackWaitMs?: number
  /**
   * How long lease() waits for a job when none is waiting, ms: a job published meanwhile is leased at once,
   * where a worker that slept between empty leases would find it only when it woke. @defaultValue 0
   */
  leaseWaitMs?: number
  /** How long the jobs stream remembers dedupe keys, ms. @defaultValue 120000 (JetStream's default) */
  duplicateWindowMs?: number
  /** Copies of each stream in a NATS cluster (3 for high availability). @defaultValue 1 */
  replicas?: number
  /** The clock for enqueuedAt and failure times, ms since the epoch (tests inject one). */
  now?: () => number
}

/** A lease this handle holds: where to settle it and until when it is surely still ours. */
interface Held {
  /** The consumer's delivery sequence: new for every delivery of the message. */
  token: string
  reply: string
  /** performance.now() after which the lease counts as lost. */
  deadline: number
  /** performance.now() when the server's ack wait last started (pull sent, or progress sent). */
  extendedAt: number
}

interface Delivery {
  /** Where to settle it. */
  reply: string
  attempts: number
  streamSeq: number
  deliverySeq: number
  /** When the message was stored, ms since the epoch. */
  storedAt: number
}

const HEADER = { destination: 'Insertfn-Destination', enqueuedAt: 'Insertfn-Enqueued-At', failedAt: 'Insertfn-Failed-At', reason: 'Insertfn-Reason' } as const
const NAME = /^[A-Za-z0-9_-]+$/
const ACK = '+ACK'
const NS_PER_MS = 1_000_000
/** Requests in flight at once (publishes, deletes): enough to fill the pipe, bounded in memory. */
const WINDOW = 1024
const PUBLISH_TIMEOUT_MS = 10_000
const REPLAY_BATCH = 256
const MSG_DELETE_FAILED = 10057

const nanos = (ms: number) => Math.round(ms * NS_PER_MS)

/** Subject tokens cannot hold `.`, `*`, `>` or spaces; ids that do are carried encoded. */
function subjectToken(id: string): string {
  return NAME.test(id) ? id : `~${Buffer.from(id).toString('base64url')}`
}

/**
 * The delivery a message's reply subject describes: `$JS.ACK.<stream>.<consumer>.<delivered>.<stream
 * seq>.<delivery seq>.<ns>.<pending>`, or with a domain and account hash after `$JS.ACK` (and a token at
 * the end) on newer servers.
 */
export function parseAckSubject(reply: string | undefined): Delivery {
  const tokens = reply?.split('.') ?? []
  const at = tokens.length === 9 ? 4 : tokens.length >= 11 ? 6 : -1
  const [attempts = NaN, streamSeq = NaN, deliverySeq = NaN, ns = NaN] = at < 0 ? [] : tokens.slice(at, at + 4).map(Number)
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK' || ![attempts, streamSeq, deliverySeq].every(Number.isSafeInteger) || !(ns > 0)) {
    throw new Error(`not a JetStream delivery: reply subject ${JSON.stringify(reply)}`)
  }
  return { reply: reply!, attempts, streamSeq, deliverySeq, storedAt: Math.floor(ns / NS_PER_MS) }
}

/** The stream, consumer or message asked for is not there. */
function isNotFound(err: unknown): boolean {
  const missing: number[] = [JetStreamApiCodes.StreamNotFound, JetStreamApiCodes.ConsumerNotFound, JetStreamApiCodes.NoMessageFound]
  return err instanceof JetStreamApiError && missing.includes(err.code)
}

/** A message delete found the message gone (10057 is every failed delete; the description says which). */
function isDeletedAlready(err: unknown): boolean {
  return isNotFound(err) || (err instanceof JetStreamApiError && err.code === MSG_DELETE_FAILED && /no message found/i.test(err.message))
}

/** The message id for a dedupe key: the key itself when it is a plain header value, else its digest. */
function messageId(dedupeKey: string): string {
  return /^[\x20-\x7e]{1,200}$/.test(dedupeKey) ? dedupeKey : `sha256:${createHash('sha256').update(dedupeKey).digest('base64url')}`
}

/** Header values are one line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 2000)
}

/** Runs `fn` over `items` a window at a time, and concatenates what it gives. */
async function windowed<T, R>(items: T[], fn: (window: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += WINDOW) results.push(...(await fn(items.slice(i, i + WINDOW))))
  return results
}

export class JetStreamQueue implements JobQueue {
  /** Progress messages (#extend) keep a lease past the ack wait, and stop with this process. */
  readonly keepsLeasesAlive = true
  readonly #nc: NatsConnection
  readonly #publisher: JetStreamPublisher
  readonly #jsm: JetStreamManager
  readonly #name: string
  readonly #ackWaitMs: number
  readonly #leaseWaitMs: number
  readonly #now: () => number
  readonly #held = new Map<string, Held>()
  readonly #extender: NodeJS.Timeout
  /** One flush for the settlements of a tick: the acks go out together and cost one round trip. */
  #flushing: Promise<void> | undefined
  #closing: Promise<void> | undefined

  private constructor(nc: NatsConnection, jsm: JetStreamManager, name: string, ackWaitMs: number, leaseWaitMs: number, now: () => number) {
    this.#nc = nc
    this.#jsm = jsm
    this.#publisher = new JetStreamPublisher(nc)
    this.#name = name
    this.#ackWaitMs = ackWaitMs
    this.#leaseWaitMs = leaseWaitMs
    this.#now = now
    this.#extender = setInterval(() => this.#extend(), Math.max(100, ackWaitMs / 3))
    this.#extender.unref()
  }

  /** Connects, and creates the streams and the workers' consumer if they are not there. */
  static async connect(options: JetStreamQueueOptions): Promise<JetStreamQueue> {
    const name = options.name ?? 'insertfn'
    if (!NAME.test(name)) throw new TypeError(`queue name ${JSON.stringify(name)} can hold only letters, digits, _ and -`)
    const ackWaitMs = options.ackWaitMs ?? 60_000
    const duplicateWindowMs = options.duplicateWindowMs ?? 120_000
    const replicas = options.replicas ?? 1
    const leaseWaitMs = options.leaseWaitMs ?? 0
    for (const [what, value, min] of [['ackWaitMs', ackWaitMs, 1000], ['duplicateWindowMs', duplicateWindowMs, 1000], ['replicas', replicas, 1], ['leaseWaitMs', leaseWaitMs, 0]] as const) {
      if (!Number.isInteger(value) || value < min) throw new TypeError(`${what} must be a whole number of at least ${min}, not ${value}`)
    }
    const servers = options.servers
    let nc: NatsConnection
    try {
      nc = await connect({ servers, user: options.user, pass: options.pass, token: options.token, name: `insertfn queue ${name}`, maxReconnectAttempts: -1 })
    } catch (err) {
      throw new Error(`could not connect to NATS at ${String(servers)}: ${(err as Error).message}`, { cause: err })
    }
    try {
      const jsm = await jetstreamManager(nc)
      const common = { storage: StorageType.File, num_replicas: replicas }
      await ensureStream(jsm, { ...common, name: `${name}_jobs`, subjects: [`${name}.jobs.>`], retention: RetentionPolicy.Workqueue, duplicate_window: nanos(duplicateWindowMs) })
      await ensureStream(jsm, { ...common, name: `${name}_failed`, subjects: [`${name}.failed.>`], retention: RetentionPolicy.Limits })
      const consumer = await ensureWorkersConsumer(jsm, `${name}_jobs`, `${name}_workers`, ackWaitMs)
      return new JetStreamQueue(nc, jsm, name, Math.round(consumer.ackWaitNs / NS_PER_MS), leaseWaitMs, options.now ?? Date.now)
    } catch (err) {
      await nc.close()
      throw new Error(`NATS at ${String(servers)} cannot hold queue ${name} (is JetStream enabled?): ${(err as Error).message}`, { cause: err })
    }
  }

  get #jobsStream() {
    return `${this.#name}_jobs`
  }

  get #failedStream() {
    return `${this.#name}_failed`
  }

  #subject(kind: 'jobs' | 'failed', destinationId: string): string {
    return `${this.#name}.${kind}.${subjectToken(destinationId)}`
  }

  #jobHeaders(destinationId: string, enqueuedAt: number, dedupeKey?: string): MsgHdrs {
    const h = headers()
    h.set(HEADER.destination, destinationId)
    h.set(HEADER.enqueuedAt, String(enqueuedAt))
    if (dedupeKey !== undefined) h.set('Nats-Msg-Id', messageId(dedupeKey))
    return h
  }

  #publish(publications: Publication[]): Promise<PromiseSettledResult<Stored>[]> {
    return windowed(publications, (window) => this.#publisher.publishAll(window, PUBLISH_TIMEOUT_MS))
  }

  async enqueue(jobs: NewJob[]): Promise<void> {
    for (const job of jobs) checkJob(job)
    const at = this.#now()
    const results = await this.#publish(jobs.map((job) => ({ subject: this.#subject('jobs', job.destinationId), payload: job.payload, headers: this.#jobHeaders(job.destinationId, at, job.dedupeKey) })))
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (refused.length > 0) {
      const first = refused[0]!.reason as Error
      throw new Error(`JetStream stored ${jobs.length - refused.length} of ${jobs.length} jobs (${first.message}); send them again: jobs with a dedupeKey are not added twice`, { cause: first })
    }
  }

  /** How long an empty lease waits on the server for a job (JobQueue.leaseWaitMs). */
  get leaseWaitMs(): number {
    return this.#leaseWaitMs
  }

  async lease(max: number, leaseMs: number): Promise<LeasedJob[]> {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`lease at least one job, not ${max}`)
    if (!(leaseMs > 0)) throw new RangeError(`a lease lasts more than 0 ms, not ${leaseMs}`)
    const start = performance.now()
    const deadline = start + leaseMs - Math.min(2000, leaseMs / 10)
    const jobs: LeasedJob[] = []
    const consumer = `${this.#name}_workers`
    let msgs = await pull(this.#nc, this.#jobsStream, consumer, max)
    if (msgs.length === 0 && this.#leaseWaitMs > 0) {
      // Wait for one job, then take whatever else has come with it.
      msgs = await pull(this.#nc, this.#jobsStream, consumer, 1, this.#leaseWaitMs)
      if (msgs.length > 0 && max > 1) msgs.push(...(await pull(this.#nc, this.#jobsStream, consumer, max - 1).catch(() => [])))
    }
    for (const msg of msgs) {
      const d = parseAckSubject(msg.reply)
      const destinationId = msg.headers?.get(HEADER.destination)
      if (!destinationId) {
        // Not published by a queue: nothing could deliver it, and it must not come back forever.
        this.#nc.publish(d.reply, '+TERM')
        continue
      }
      const id = String(d.streamSeq)
      const token = String(d.deliverySeq)
      this.#held.set(id, { token, reply: d.reply, deadline, extendedAt: start })
      jobs.push({ id, destinationId, payload: msg.string(), attempts: d.attempts, enqueuedAt: Number(msg.headers?.get(HEADER.enqueuedAt)) || d.storedAt, leaseToken: token })
    }
    return jobs.sort((a, b) => Number(a.id) - Number(b.id))
  }

  /** Progress messages for leases longer than the ack wait, so the server keeps them until their deadline. */
  #extend(): void {
    const now = performance.now()
    const period = this.#ackWaitMs / 3
    for (const [id, held] of this.#held) {
      if (now > held.deadline) this.#held.delete(id)
      // Only where the server's lease would end before ours; sent a period in, well before it ends.
      else if (held.extendedAt + this.#ackWaitMs <= held.deadline && now - held.extendedAt >= period) {
        held.extendedAt = now
        this.#nc.publish(held.reply, '+WPI')
      }
    }
  }

  /** Claims the lease for settling: synchronous, so two settlements of one lease cannot both pass. */
  #take(job: JobLease): Held {
    const held = this.#held.get(job.id)
    if (held === undefined || held.token !== job.leaseToken) throw new LeaseLostError(job.id)
    this.#held.delete(job.id)
    if (performance.now() > held.deadline) throw new LeaseLostError(job.id)
    return held
  }

  #flushSoon(): Promise<void> {
    this.#flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#flushing = undefined
      return this.#nc.flush()
    })
    return this.#flushing
  }

  async ack(job: JobLease): Promise<void> {
    this.#nc.publish(this.#take(job).reply, ACK)
    await this.#flushSoon()
  }

  async retryAt(job: LeasedJob, at: number, _reason: string): Promise<void> {
    const held = this.#take(job)
    // The reason is not kept here: a message cannot be changed, and the delivery records have it.
    const delayMs = Math.max(0, Math.round(at - this.#now()))
    this.#nc.publish(held.reply, delayMs > 0 ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : '-NAK')
    await this.#flushSoon()
  }

  async fail(job: LeasedJob, reason: string): Promise<void> {
    const held = this.#take(job)
    // Stored as failed before it leaves the jobs stream; the message id keeps a repeated fail single.
    const h = this.#jobHeaders(job.destinationId, job.enqueuedAt, `${this.#jobsStream}:${job.id}`)
    h.set(HEADER.failedAt, String(this.#now()))
    h.set(HEADER.reason, oneLine(reason))
    const [stored] = await this.#publish([{ subject: this.#subject('failed', job.destinationId), payload: job.payload, headers: h }])
    if (stored?.status === 'rejected') throw new Error(`job ${job.id} could not be stored as failed (it comes back after its lease): ${(stored.reason as Error).message}`, { cause: stored.reason })
    this.#nc.publish(held.reply, ACK)
    await this.#flushSoon()
  }

  async depth(): Promise<number> {
    return (await this.#jsm.streams.info(this.#jobsStream)).state.messages
  }

  async replay(destinationId: string, filter: ReplayFilter = {}): Promise<number> {
    const reader = await this.#jsm.consumers.add(this.#failedStream, {
      filter_subject: this.#subject('failed', destinationId),
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      mem_storage: true,
      inactive_threshold: nanos(60_000),
    })
    let replayed = 0
    try {
      for (;;) {
        const batch = await pull(this.#nc, this.#failedStream, reader.name, REPLAY_BATCH)
        const due = batch
          .filter((m) => failedWithin(filter, Number(m.headers?.get(HEADER.failedAt))) && (filter.messageId === undefined || messageIdOf(m.string()) === filter.messageId))
          .map((m) => ({ msg: m, seq: parseAckSubject(m.reply).streamSeq }))
        const at = this.#now()
        // Published before it is deleted from the failed stream, so a crash in between repeats a job
        // rather than losing it; the message id makes a second replay in the window add nothing.
        const published = await this.#publish(due.map(({ msg, seq }) => ({ subject: this.#subject('jobs', destinationId), payload: msg.data, headers: this.#jobHeaders(destinationId, at, `replay:${this.#failedStream}:${seq}`) })))
        const refused = published.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (refused) throw new Error(`replay of ${destinationId} stopped after ${replayed} jobs: ${(refused.reason as Error).message}`, { cause: refused.reason })
        replayed += published.filter((r) => r.status === 'fulfilled' && !r.value.duplicate).length
        const deleted = await windowed(due, (window) => Promise.allSettled(window.map(({ seq }) => this.#jsm.streams.deleteMessage(this.#failedStream, seq, false))))
        const lost = deleted.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isDeletedAlready(r.reason))
        if (lost) throw new Error(`replay of ${destinationId} could not remove a replayed job from ${this.#failedStream}: ${(lost.reason as Error).message}`, { cause: lost.reason })
        if (batch.length < REPLAY_BATCH) break
      }
    } finally {
      await this.#jsm.consumers.delete(this.#failedStream, reader.name).catch(() => undefined)
    }
    return replayed
  }

  /** Hands back the leases still held (they are due again at once), then disconnects. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#extender)
      for (const held of this.#held.values()) this.#nc.publish(held.reply, '-NAK')
      this.#held.clear()
      await this.#flushing
      this.#publisher.close()
      await this.#nc.drain()
    })()
    return this.#closing
  }

}

async function ensureStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0] & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name)
    return
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
  try {
    await jsm.streams.add(config)
  } catch (err) {
    // Another process created it in the meantime: use that one.
    await jsm.streams.info(config.name).catch(() => Promise.reject(err))
  }
}

async function ensureWorkersConsumer(jsm: JetStreamManager, stream: string, durable: string, ackWaitMs: number): Promise<{ ackWaitNs: number }> {
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    deliver_policy: DeliverPolicy.All,
    // Retries are ours to count (the retry window), and a job waiting out its backoff is still pending
    // on the consumer: any limit here would stall every worker once that many jobs wait.
    max_deliver: -1,
    max_ack_pending: -1,
  }
  const existing = await jsm.consumers.info(stream, durable).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)))
  const info = existing ?? (await jsm.consumers.add(stream, config).catch(() => jsm.consumers.info(stream, durable)))
  return { ackWaitNs: info.config.ack_wait ?? nanos(ackWaitMs) }
}

