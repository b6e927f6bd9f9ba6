// The delivery worker. Per job: the integrations object, the destination's filters, its insert function
// (pinned to the instance's deployed version, secrets opened only into the sandbox), then the destination.
// Temporary failures go back to the queue with randomized exponential backoff until the retry window
// ends; everything else is settled at once, and every outcome is reported.
import type { InvocationResult, LoadedFunction, LogLine, RequestRecord, Runtime, TextInvocationResult } from '../runtime/index.js'
import { applyFilters, type CompiledFilter } from '../fql/index.js'
import { settleAll, type BulkSettling, type JobQueue, type LeasedJob, type QueueSettlement } from '../queue/queue.js'
import type { ConnectionStore, DestinationRecord } from '../store/connection-store.js'
import type { FilterStore } from '../store/filter-store.js'
import { NotFoundError, type FunctionStore } from '../store/function-store.js'
import type { DeliveryResult, WebhookSettings } from '../destinations/webhook.js'
import { createBackoff } from './backoff.js'
import { QueuedEvent } from './queued-event.js'
import { RecentDeliveries } from './recent-deliveries.js'

export type DeliveryOutcome =
  | { status: 'delivered' }
  | { status: 'filtered'; by: 'integrations' | 'filter' | 'insert function' | 'destination gone' | 'duplicate'; detail?: string }
  | { status: 'retrying'; at: number; reason: string }
  | { status: 'failed'; category: string; reason: string }

/** What the function printed and fetched while handling the event, secrets redacted. */
export interface Trace {
  logs: LogLine[]
  requests: RequestRecord[]
}

export interface OutcomeReport {
  jobId: string
  destinationId: string
  messageId: string
  attempt: number
  outcome: DeliveryOutcome
  /** The event as queued (JSON). */
  event: string
  /** The event as handed to the destination (JSON), when it is not the queued text (an insert function or a filter's action changed it); secrets redacted. */
  sent?: string
  trace?: Trace
  /** Time spent in functions for this event, ms. */
  functionMs?: number
}

/** Per job: what the record of it should hold besides the outcome. */
interface JobContext {
  trace?: Trace
  /** The event's text as changed by a filter's action or the insert function, for the record. */
  sent?: string
  functionMs?: number
  /** The destination's secret values, to redact from the record (its setup's list: never changed). */
  secrets: readonly string[]
}

/** A job's state between the stages of delivery: its outcome once decided, else the event's text to go on with. */
type Step = DeliveryOutcome | string

/** A job on the round path (#runRound): its setup was ready, and its stages run together with the round's. */
interface RoundJob {
  job: LeasedJob
  event: QueuedEvent
  setup: DestinationSetup
  context: JobContext
  step: Step
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text
  // Looking costs less than cutting and joining: most texts hold no secret (a sent event, say).
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('••••')
  return out
}

function redactTrace(trace: Trace, secrets: readonly string[]): Trace {
  if (secrets.length === 0) return trace
  return {
    logs: trace.logs.map((l) => ({ ...l, message: redact(l.message, secrets) })),
    requests: trace.requests.map((r) => ({ ...r, url: redact(r.url, secrets), ...(r.error === undefined ? {} : { error: redact(r.error, secrets) }) })),
  }
}

/** Secret values worth redacting: strings long enough not to match everywhere. */
function secretValues(values: unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v.length >= 4)
}

export interface WorkerOptions {
  /** Jobs leased per round. @defaultValue 100 */
  batchSize: number
  /** Lease length, ms: a job not settled by then (the worker died) comes back. @defaultValue 60000 */
  leaseMs: number
  /**
   * On a queue that keeps leases alive only while the worker runs (JetStream), how long a live worker may
   * keep a round's jobs, ms; leaseMs is then how soon a dead worker's jobs come back. A round that outlives
   * leaseMs on a busy machine would otherwise lose its leases, and another worker would deliver its events
   * again (e2e/scale-out.test.ts counted 500 to 850 repeats with 3 s leases and no worker killed).
   * @defaultValue 15 minutes
   */
  holdMs: number
  /** How long a job may keep being retried, ms, from its first enqueue. @defaultValue 4 hours */
  retryWindowMs: number
  /**
   * Rounds in flight at once: while one round waits on destinations, the next is leased and run.
   * @defaultValue 2
   */
  concurrentRounds: number
  /** Wait when the queue is empty, ms (wake() cuts it short). @defaultValue 50 */
  idleMs: number
  /** An event whose messageId was delivered to the destination this recently is not delivered again, ms. @defaultValue 24 hours */
  dedupeWindowMs: number
  /**
   * Deliveries remembered for that dedupe, the most recent (32 bytes of memory each at most: 16 MB at the
   * default): the window is dedupeWindowMs or this many deliveries, whichever is shorter.
   * @defaultValue 500000
   */
  dedupeEntries: number
  /**
   * How long a destination's setup (settings, filters, insert function instance) is reused before it is
   * read again, ms: configuration changes reach the worker within this time. 0 reads it for every job.
   * @defaultValue 1000
   */
  configTtlMs: number
}

/** Everything about a destination a job needs, read from the store once per configTtlMs. */
interface DestinationSetup {
  destination: DestinationRecord
  filters: CompiledFilter[]
  /** The insert function instance; its settings as JSON text, which is how they enter the sandbox. */
  instance?: { id: string; functionId: string; versionId: string; settingsJson: string; loadKey: string } | { invalid: string }
  /** Opened destination settings: webhook url, method, headers; or a function's id, version and settings. */
  opened: Record<string, unknown>
  secrets: string[]
}

export interface WorkerDeps {
  queue: JobQueue & Partial<BulkSettling>
  connections: ConnectionStore
  filters: FilterStore
  functions: FunctionStore
  runtime: Runtime
  deliverWebhook: (settings: WebhookSettings, body: string, now?: number) => Promise<DeliveryResult>
  report?: (r: OutcomeReport) => void
  /** Faults of the worker itself (the store unreachable, say): the loop goes on, the log should know. */
  onError?: (err: unknown) => void
  now?: () => number
  random?: () => number
  options?: Partial<WorkerOptions>
}

/** How long a leased job stays hidden when its worker dies with it, ms: the worker's `--lease`. */
export const DEFAULT_LEASE_MS = 60_000
const DEFAULTS: WorkerOptions = { batchSize: 100, concurrentRounds: 2, leaseMs: DEFAULT_LEASE_MS, holdMs: 15 * 60_000, retryWindowMs: 4 * 3600_000, idleMs: 50, dedupeWindowMs: 24 * 3600_000, dedupeEntries: 500_000, configTtlMs: 1000 }

export class Worker {
  readonly #deps: WorkerDeps
  readonly #options: WorkerOptions
  readonly #now: () => number
  readonly #backoff: (attempt: number) => number
  /**
   * Loaded functions by instance and version: a new deployment loads the new code. `ready` is the function
   * once loaded, so that a job need not wait a turn for a promise that settled long ago.
   */
  readonly #loaded = new Map<string, { fn: Promise<LoadedFunction>; ready?: LoadedFunction }>()
  /** Destinations' setups, as #loaded: `ready` once read (undefined when the destination is gone). */
  readonly #setups = new Map<string, { at: number; setup: Promise<DestinationSetup | undefined>; ready?: { setup: DestinationSetup | undefined } }>()
  /** Webhook batches being filled, per destination: bodies, and the jobs waiting on the request. */
  readonly #batches = new Map<string, { settings: WebhookSettings; bodies: string[]; waiters: ((r: DeliveryResult) => void)[] }>()
  /**
   * The jobs being run, by destination and messageId, to the end of the latest of them. Maps within a
   * map rather than one map of joined keys: a joined key is a new string per job that V8 must write out
   * and hash, while a messageId is hashed once and the hash serves the dedupe's lookups too.
   */
  readonly #inFlight = new Map<string, Map<string, Promise<void>>>()
  /** What was delivered lately, by this worker and (through remember()) by others. */
  readonly #recent: RecentDeliveries
  #running = false
  #loops: Promise<void>[] = []
  /** Ends the idle waits of the loops: work has arrived. */
  readonly #wakeIdle = new Set<() => void>()
  /** wake() calls so far: a loop whose lease came back empty after one goes to the queue again. */
  #wakes = 0

  constructor(deps: WorkerDeps) {
    this.#deps = deps
    this.#options = Object.freeze({ ...DEFAULTS, ...deps.options })
    this.#now = deps.now ?? Date.now
    this.#backoff = createBackoff({ random: deps.random ?? Math.random })
    this.#recent = new RecentDeliveries(this.#options.dedupeEntries)
  }

  /** Leases one round of jobs and settles them all. Returns how many there were. */
  async runOnce(): Promise<number> {
    const { queue } = this.#deps
    const { batchSize, leaseMs, holdMs } = this.#options
    const jobs = await queue.lease(batchSize, queue.keepsLeasesAlive === true ? Math.max(leaseMs, holdMs) : leaseMs)
    await this.#runRound(jobs)
    return jobs.length
  }

  /**
   * A round's jobs. Those whose destination is a webhook with its setup (and function) loaded, and whose
   * event is not being run already, take the round path: each stage (checks, function, webhook, settle)
   * runs for all of them at once, with one promise per stage rather than several per job, which was most
   * of the delivery thread's bookkeeping. Every other job (a first event, a repeat in flight, an event
   * that is not JSON, a destination function) runs on its own through #process; both paths share the
   * stages' code.
   */
  async #runRound(jobs: LeasedJob[]): Promise<void> {
    const others: Promise<void>[] = []
    const round: RoundJob[] = []
    let release!: () => void
    const finished = new Promise<void>((resolve) => (release = resolve))
    for (const job of jobs) {
      const event = QueuedEvent.read(job.payload)
      const setup = event?.messageId === undefined ? undefined : this.#roundSetup(job.destinationId)
      if (setup === undefined || !this.#claim(job.destinationId, event!.messageId!, finished)) {
        others.push(this.#process(job, event))
        continue
      }
      round.push({ job, event: event!, setup, context: { secrets: setup.secrets }, step: '' })
    }
    if (round.length > 0) {
      try {
        await this.#runStages(round)
      } finally {
        for (const r of round) this.#unclaim(r.job.destinationId, r.event.messageId!, finished)
        release()
      }
    }
    await Promise.all(others)
  }

  /** The setup of a destination the round path can serve now: a webhook, its setup and function loaded. */
  #roundSetup(destinationId: string): DestinationSetup | undefined {
    const cached = this.#setup(destinationId)
    const setup = 'ready' in cached ? cached.ready.setup : undefined
    if (setup === undefined || setup.destination.metadataId !== 'webhook') return undefined
    const instance = setup.instance
    if (instance === undefined || 'invalid' in instance) return setup
    // Not loaded yet: the first job waits for it on its own path; the load starts here.
    return this.#function(instance.loadKey, instance.functionId, instance.versionId, 'insert').ready === undefined ? undefined : setup
  }

  async #runStages(round: RoundJob[]): Promise<void> {
    for (const r of round) r.step = this.#check(r.job, r.event, r.setup, r.context)
    // The function, for every job that got past the checks: one call per function and settings, whose
    // events enter the sandbox as one run and are answered together.
    const calling = new Map<LoadedFunction, Map<string, RoundJob[]>>()
    for (const r of round) {
      const instance = r.setup.instance
      if (typeof r.step !== 'string' || instance === undefined || 'invalid' in instance) continue
      const fn = this.#function(instance.loadKey, instance.functionId, instance.versionId, 'insert').ready!
      let bySettings = calling.get(fn)
      if (bySettings === undefined) calling.set(fn, (bySettings = new Map()))
      const jobs = bySettings.get(instance.settingsJson)
      if (jobs === undefined) bySettings.set(instance.settingsJson, [r])
      else jobs.push(r)
    }
    if (calling.size > 0) {
      const calls: Promise<void>[] = []
      for (const [fn, bySettings] of calling) {
        for (const [settingsJson, jobs] of bySettings) {
          calls.push(fn.invokeTextAll(jobs.map((r) => r.step as string), settingsJson).then(
            (results) => jobs.forEach((r, i) => (r.step = this.#afterFunction(r.job, results[i]!, r.context))),
            (err: unknown) => jobs.forEach((r) => (r.step = this.#fault(r.job, err))),
          ))
        }
      }
      await Promise.all(calls)
    }
    // Jobs settle as soon as their outcome is known, those of one turn of the event loop together: a job
    // delivered long before the round's slowest request would otherwise wait for it unsettled, and run
    // again after a crash (the end-to-end SIGKILL test counted twice the repeats).
    const settling: Promise<void>[] = []
    let ready: RoundJob[] = []
    const settleReady = () => {
      if (ready.length === 0) return
      settling.push(this.#settleRound(ready))
      ready = []
    }
    const decided = (r: RoundJob) => {
      if (ready.length === 0) setImmediate(settleReady)
      ready.push(r)
    }
    // The webhook: per destination, batched where it batches.
    const sends: Promise<void>[] = []
    const batched = new Map<string, RoundJob[]>()
    for (const r of round) {
      if (typeof r.step !== 'string') {
        decided(r)
        continue
      }
      const settings = r.setup.opened as unknown as WebhookSettings
      if ((settings.batchSize ?? 1) > 1) {
        const group = batched.get(r.job.destinationId)
        if (group === undefined) batched.set(r.job.destinationId, [r])
        else group.push(r)
      } else {
        const step = (outcome: DeliveryOutcome) => {
          r.step = outcome
          decided(r)
        }
        sends.push(this.#deps.deliverWebhook(settings, r.step, this.#now()).then((result) => step(this.#afterWebhook(r.job, result)), (err: unknown) => step(this.#fault(r.job, err))))
      }
    }
    for (const [destinationId, group] of batched) {
      const settings = group[0]!.setup.opened as unknown as WebhookSettings
      sends.push(this.#sendBodies(destinationId, settings, group.map((r) => r.step as string)).then((results) => group.forEach((r, i) => {
        r.step = this.#afterWebhook(r.job, results[i]!)
        decided(r)
      })))
    }
    if (sends.length > 0) await Promise.all(sends)
    settleReady()
    await Promise.all(settling)
  }

  /** Settles jobs of a round whose outcomes are known, in one call, and reports those whose lease held. */
  async #settleRound(jobs: RoundJob[]): Promise<void> {
    const outcomes = jobs.map((r) => this.#finalOutcome(r.step as DeliveryOutcome, r.context))
    const answers = await settleAll(this.#deps.queue, jobs.map((r, i) => this.#settlement(r.job, outcomes[i]!)))
    jobs.forEach((r, i) => {
      // A lease lost (it expired and another worker has the job): that worker reports it.
      if (answers[i] === undefined) this.#settled(r.job, r.event, outcomes[i]!, r.context)
    })
  }

  /** Marks an event as being run for a destination; false when it is already (it waits on #process's path). */
  #claim(destinationId: string, messageId: string, until: Promise<void>): boolean {
    let running = this.#inFlight.get(destinationId)
    if (running === undefined) this.#inFlight.set(destinationId, (running = new Map()))
    if (running.has(messageId)) return false
    running.set(messageId, until)
    return true
  }

  #unclaim(destinationId: string, messageId: string, mine: Promise<void>): void {
    const running = this.#inFlight.get(destinationId)
    if (running === undefined || running.get(messageId) !== mine) return
    running.delete(messageId)
    if (running.size === 0) this.#inFlight.delete(destinationId)
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#loops = Array.from({ length: this.#options.concurrentRounds }, async () => {
      while (this.#running) {
        const wakesBefore = this.#wakes
        let failed = false
        const n = await this.runOnce().catch((err: unknown) => {
          this.#deps.onError?.(err)
          failed = true
          return 0
        })
        // A lease that waits for work (JobQueue.leaseWaitMs) has done the waiting. A wake that came while
        // the lease was on its way (the embedded queue answers leases and sends wakes on different
        // channels) found this loop busy: the lease may have missed that work.
        const waited = !failed && (this.#deps.queue.leaseWaitMs ?? 0) > 0
        if (n === 0 && this.#running && this.#wakes === wakesBefore && !waited) {
          await new Promise<void>((resume) => {
            const done = () => {
              clearTimeout(timer)
              this.#wakeIdle.delete(done)
              resume()
            }
            const timer = setTimeout(done, this.#options.idleMs)
            this.#wakeIdle.add(done)
          })
        }
      }
    })
  }

  /** Work was enqueued: idle loops look at the queue now rather than at the end of their wait. */
  wake(): void {
    this.#wakes++
    for (const done of [...this.#wakeIdle]) done()
  }

  /** Stops leasing and waits for the round in flight to settle (what SIGTERM does). */
  async stop(): Promise<void> {
    this.#running = false
    this.wake()
    await Promise.all(this.#loops)
    for (const { fn } of this.#loaded.values()) await (await fn.catch(() => undefined))?.dispose()
    this.#loaded.clear()
  }

  /**
   * A delivery made elsewhere (another worker, or before a restart, as the delivery records tell): a repeat
   * of it within the dedupe window is not delivered again.
   */
  remember(destinationId: string, messageId: string, at: number): void {
    if (at >= this.#now() - this.#options.dedupeWindowMs) this.#recent.remember(destinationId, messageId, at)
  }

  /**
   * Jobs of one event for one destination (a client's resend) run one after another, in one round or in
   * rounds in flight together, so the later one sees the earlier delivered; everything else runs at once.
   */
  async #process(job: LeasedJob, event: QueuedEvent | undefined): Promise<void> {
    if (event === undefined) {
      return this.#settle(job, undefined, { status: 'failed', category: 'Bad Request', reason: 'the queued event is not a JSON object' })
    }
    const messageId = event.messageId
    if (messageId === undefined) return this.#run(job, event)
    let running = this.#inFlight.get(job.destinationId)
    if (running === undefined) this.#inFlight.set(job.destinationId, (running = new Map()))
    const earlier = running.get(messageId)
    let done!: () => void
    const mine = new Promise<void>((resolve) => (done = resolve))
    running.set(messageId, mine)
    try {
      if (earlier !== undefined) await earlier
      await this.#run(job, event)
    } finally {
      done()
      this.#unclaim(job.destinationId, messageId, mine)
    }
  }

  async #run(job: LeasedJob, event: QueuedEvent): Promise<void> {
    const context: JobContext = { secrets: [] }
    let outcome: DeliveryOutcome
    try {
      outcome = await this.#deliver(job, event, context)
    } catch (err) {
      outcome = this.#fault(job, err)
    }
    await this.#settle(job, event, this.#finalOutcome(outcome, context), context)
  }

  /** A fault of ours (the store unreachable, say): try again later rather than lose the event. */
  #fault(job: LeasedJob, err: unknown): DeliveryOutcome {
    return this.#retry(job, `insertfn could not process the event: ${(err as Error).message}`)
  }

  /** The outcome as recorded: secret values redacted from its reason. */
  #finalOutcome(outcome: DeliveryOutcome, context: JobContext): DeliveryOutcome {
    return context.secrets.length > 0 && 'reason' in outcome ? { ...outcome, reason: redact(outcome.reason, context.secrets) } : outcome
  }

  #keepTrace(context: JobContext, r: Pick<InvocationResult, 'durationMs' | 'logs' | 'requests'>): void {
    context.functionMs = (context.functionMs ?? 0) + r.durationMs
    // Most functions neither log nor fetch: their events carry no trace at all.
    if (r.logs.length === 0 && r.requests.length === 0) return
    context.trace = { logs: [...(context.trace?.logs ?? []), ...r.logs], requests: [...(context.trace?.requests ?? []), ...r.requests] }
  }

  /**
   * The destination's setup, or undefined when the destination is gone. Cached for configTtlMs; while it
   * is, `ready` answers without a promise.
   */
  #setup(destinationId: string): { ready: { setup: DestinationSetup | undefined } } | { pending: Promise<DestinationSetup | undefined> } {
    const cached = this.#setups.get(destinationId)
    if (cached !== undefined && performance.now() - cached.at < this.#options.configTtlMs) return cached.ready === undefined ? { pending: cached.setup } : { ready: cached.ready }
    const setup = this.#readSetup(destinationId)
    const entry: { at: number; setup: typeof setup; ready?: { setup: DestinationSetup | undefined } } = { at: performance.now(), setup }
    this.#setups.set(destinationId, entry)
    setup.then((value) => (entry.ready = { setup: value }), () => this.#setups.delete(destinationId))
    return { pending: setup }
  }

  async #readSetup(destinationId: string): Promise<DestinationSetup | undefined> {
    const { connections, filters } = this.#deps
    let destination: DestinationRecord
    try {
      destination = await connections.getDestination(destinationId)
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
    const opened = connections.openDestinationSettings(destination)
    const secrets = destination.metadataId === 'webhook'
      ? secretValues(Object.values(opened.headers as Record<string, unknown>))
      : secretValues(Object.keys((destination.settings.secrets ?? {}) as Record<string, string>).map((k) => (opened.settings as Record<string, unknown>)[k]))
    const record = await connections.instanceForDestination(destination.id)
    let instance: DestinationSetup['instance']
    if (record !== undefined && record.enabled) {
      try {
        const settings = connections.openInstanceSettings(record)
        secrets.push(...secretValues(Object.keys(record.encryptedSettings).map((k) => settings[k])))
        instance = { id: record.id, functionId: record.functionId, versionId: record.versionId, settingsJson: JSON.stringify(settings), loadKey: `${record.id}:${record.versionId}` }
      } catch (err) {
        instance = { invalid: `the instance's settings cannot be used: ${(err as Error).message}` }
      }
    }
    return { destination, filters: await filters.compiled(destination.id), opened, secrets, ...(instance === undefined ? {} : { instance }) }
  }

  async #deliver(job: LeasedJob, queued: QueuedEvent, context: JobContext): Promise<DeliveryOutcome> {
    const cached = this.#setup(job.destinationId)
    const setup = 'ready' in cached ? cached.ready.setup : await cached.pending
    if (setup === undefined) return { status: 'filtered', by: 'destination gone', detail: 'the destination was deleted' }
    let step = this.#check(job, queued, setup, context)
    if (typeof step !== 'string') return step

    const instance = setup.instance
    if (instance !== undefined && !('invalid' in instance)) {
      const loaded = this.#function(instance.loadKey, instance.functionId, instance.versionId, 'insert')
      const fn = loaded.ready ?? await loaded.fn
      // Settings cross into the sandbox as JSON text, so one job's handler cannot change another's.
      step = this.#afterFunction(job, await fn.invokeText(step, instance.settingsJson), context)
      if (typeof step !== 'string') return step
    }

    const { destination } = setup
    if (destination.metadataId === 'webhook') {
      const settings = setup.opened as unknown as WebhookSettings
      const result = (settings.batchSize ?? 1) > 1 ? (await this.#sendBodies(destination.id, settings, [step]))[0]! : await this.#deps.deliverWebhook(settings, step, this.#now())
      return this.#afterWebhook(job, result)
    }
    const opened = setup.opened as { functionId: string; versionId: string; settings: Record<string, unknown> }
    const fn = await this.#function(`${destination.id}:${opened.versionId}`, opened.functionId, opened.versionId, 'destination').fn
    const r = await fn.invokeText(step, JSON.stringify(opened.settings))
    this.#keepTrace(context, r)
    if (r.outcome === 'delivered') return { status: 'delivered' }
    if (r.outcome === 'dropped') return { status: 'filtered', by: 'insert function', detail: 'the destination function dropped it' }
    return r.error!.retryable ? this.#retry(job, `${r.error!.name}: ${r.error!.message}`) : { status: 'failed', category: r.error!.category, reason: `${r.error!.name}: ${r.error!.message}` }
  }

  /**
   * The checks before any function runs: the destination enabled, the integrations object, the dedupe, the
   * destination's filters, the instance's settings. Returns the outcome, or the event's text to go on with.
   */
  #check(job: LeasedJob, queued: QueuedEvent, setup: DestinationSetup, context: JobContext): Step {
    const { destination } = setup
    context.secrets = setup.secrets
    if (!destination.enabled) return { status: 'filtered', by: 'destination gone', detail: 'the destination is disabled' }
    if (!queued.routedTo(destination.name)) return { status: 'filtered', by: 'integrations' }
    if (this.#duplicate(destination.id, queued.messageId)) {
      return { status: 'filtered', by: 'duplicate', detail: `messageId ${String(queued.messageId)} was delivered to this destination within the dedupe window` }
    }
    // The event travels as JSON text: the queued text while nothing changed it, so that neither the sandbox
    // nor the webhook needs it encoded again.
    let body = queued.text
    if (setup.filters.length > 0) {
      const input = queued.object
      const filtered = applyFilters(setup.filters, input)
      if (!filtered.kept) return { status: 'filtered', by: 'filter', detail: `${filtered.by}: ${filtered.reason}${filtered.detail ? ` (${filtered.detail})` : ''}` }
      if (filtered.event !== input) body = context.sent = JSON.stringify(filtered.event)
    }
    const instance = setup.instance
    if (instance !== undefined && 'invalid' in instance) return { status: 'failed', category: 'Invalid Settings', reason: instance.invalid }
    return body
  }

  /** What the insert function's answer makes of a job: its outcome, or the event's text to deliver. */
  #afterFunction(job: LeasedJob, r: TextInvocationResult, context: JobContext): Step {
    this.#keepTrace(context, r)
    if (r.outcome === 'dropped') return { status: 'filtered', by: 'insert function', ...(r.drop?.message ? { detail: r.drop.message } : {}) }
    if (r.outcome === 'error') return r.error!.retryable ? this.#retry(job, `${r.error!.name}: ${r.error!.message}`) : { status: 'failed', category: r.error!.category, reason: `${r.error!.name}: ${r.error!.message}` }
    // Kept for the record when it is not the queued text again (a function that returns its input unchanged).
    if (r.eventJson !== job.payload) context.sent = r.eventJson!
    return r.eventJson!
  }

  #afterWebhook(job: LeasedJob, result: DeliveryResult): DeliveryOutcome {
    if (result.ok) return { status: 'delivered' }
    if (!result.retry) return { status: 'failed', category: `Destination ${result.status ?? 'error'}`, reason: result.message }
    return this.#retry(job, result.message, result.retryAfterMs)
  }

  /**
   * Events of one destination that reach delivery in the same tick share a request: a JSON array of up to
   * batchSize events. Each event's answer is its request's.
   */
  #sendBodies(destinationId: string, settings: WebhookSettings, bodies: readonly string[]): Promise<DeliveryResult[]> {
    const size = settings.batchSize ?? 1
    const parts: Promise<DeliveryResult[]>[] = []
    let at = 0
    while (at < bodies.length) {
      let batch = this.#batches.get(destinationId)
      if (batch === undefined) {
        const made = { settings, bodies: [] as string[], waiters: [] as ((r: DeliveryResult) => void)[] }
        this.#batches.set(destinationId, (batch = made))
        setImmediate(() => this.#flushBatch(destinationId, made))
      }
      // As many as fit in the batch being filled: they share its answer.
      const n = Math.min(bodies.length - at, Math.max(1, size - batch.bodies.length))
      for (let i = at; i < at + n; i++) batch.bodies.push(bodies[i]!)
      const target = batch
      parts.push(new Promise<DeliveryResult>((resolve) => target.waiters.push(resolve)).then((r) => new Array<DeliveryResult>(n).fill(r)))
      at += n
      if (batch.bodies.length >= size) this.#flushBatch(destinationId, batch)
    }
    return parts.length === 1 ? parts[0]! : Promise.all(parts).then((answers) => answers.flat())
  }

  #flushBatch(destinationId: string, batch: { settings: WebhookSettings; bodies: string[]; waiters: ((r: DeliveryResult) => void)[] }): void {
    if (this.#batches.get(destinationId) !== batch) return // sent already, when it filled up
    this.#batches.delete(destinationId)
    const send = this.#deps.deliverWebhook(batch.settings, '[' + batch.bodies.join(',') + ']', this.#now())
    send.then(
      (result) => batch.waiters.forEach((w) => w(result)),
      (err: Error) => batch.waiters.forEach((w) => w({ ok: false, retry: true, message: `webhook batch failed: ${err.message}`, durationMs: 0 })),
    )
  }

  #function(key: string, functionId: string, versionId: string, kind: 'insert' | 'destination'): { fn: Promise<LoadedFunction>; ready?: LoadedFunction } {
    let entry = this.#loaded.get(key)
    if (entry === undefined) {
      const fn = this.#deps.functions.version(functionId, versionId).then((v) => this.#deps.runtime.load(v.code, { kind, name: functionId }))
      const made: { fn: Promise<LoadedFunction>; ready?: LoadedFunction } = { fn }
      fn.then((loaded) => (made.ready = loaded), () => this.#loaded.delete(key))
      this.#loaded.set(key, (entry = made))
    }
    return entry
  }

  #duplicate(destinationId: string, messageId: string | undefined): boolean {
    if (messageId === undefined || messageId === '') return false
    const seen = this.#recent.at(destinationId, messageId)
    return seen !== undefined && seen >= this.#now() - this.#options.dedupeWindowMs
  }

  #retry(job: LeasedJob, reason: string, retryAfterMs?: number): DeliveryOutcome {
    const now = this.#now()
    const delay = Math.max(this.#backoff(job.attempts), retryAfterMs ?? 0)
    if (now + delay - job.enqueuedAt > this.#options.retryWindowMs) return { status: 'failed', category: 'Retry exhausted', reason }
    return { status: 'retrying', at: now + delay, reason }
  }

  #settlement(job: LeasedJob, outcome: DeliveryOutcome): QueueSettlement {
    if (outcome.status === 'retrying') return { op: 'retryAt', job, at: outcome.at, reason: outcome.reason }
    if (outcome.status === 'failed') return { op: 'fail', job, reason: `${outcome.category}: ${outcome.reason}` }
    return { op: 'ack', job }
  }

  async #settle(job: LeasedJob, event: QueuedEvent | undefined, outcome: DeliveryOutcome, context?: JobContext): Promise<void> {
    const s = this.#settlement(job, outcome)
    const q = this.#deps.queue
    try {
      await (s.op === 'retryAt' ? q.retryAt(job, s.at, s.reason) : s.op === 'fail' ? q.fail(job, s.reason) : q.ack(job))
    } catch {
      // The lease was lost (it expired and another worker has the job): that worker reports it.
      return
    }
    this.#settled(job, event, outcome, context)
  }

  /** A job settled: remembered for the dedupe if delivered, and reported. */
  #settled(job: LeasedJob, event: QueuedEvent | undefined, outcome: DeliveryOutcome, context: JobContext | undefined): void {
    const messageId = event?.messageId
    if (outcome.status === 'delivered' && messageId !== undefined) this.#recent.remember(job.destinationId, messageId, this.#now())
    const trace = context?.trace === undefined ? undefined : redactTrace(context.trace, context.secrets)
    const functionMs = context?.functionMs
    const sent = context?.sent === undefined ? undefined : redact(context.sent, context.secrets)
    this.#deps.report?.({ jobId: job.id, destinationId: job.destinationId, messageId: messageId ?? '', attempt: job.attempts, outcome, event: job.payload, ...(sent === undefined ? {} : { sent }), ...(trace === undefined ? {} : { trace }), ...(functionMs === undefined ? {} : { functionMs }) })
  }
}
