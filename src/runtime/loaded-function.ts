// One loaded function: its isolate (rebuilt when it faults), the invocations in flight, and the host side
// of their timers and requests. The host drives every entry into the sandbox, so each is bounded by the
// invocation's deadline; nothing runs in the isolate unless the host let it in.
import type { AsyncCallKind, BootInfo, FunctionKind, HostBridge, LogLine } from './bridge.js'
import { checkRequest, performFetch, BridgeError } from './fetch-bridge.js'
import { HostServices } from './host-services.js'
import { InvocationTable } from './invocation-table.js'
import type { ResolvedOptions, HostFetch } from './options.js'
import { hostError } from './outcomes.js'
import { parseSandboxPayload, parseSandboxText, toBatchResult, toEventResult, toTextResult, type ParsedPayload } from './payload.js'
import type { BatchResult, ErrorInfo, InvocationResult, RequestRecord, TextInvocationResult } from './result.js'
import type { RunReport } from './bridge.js'
import { SandboxIsolate, isFault, type SandboxFault } from './sandbox-isolate.js'

const MAX_TIMERS_PER_INVOCATION = 1000
/** Budget for the small entries the host makes on its own behalf (abandoning an invocation). */
const HOUSEKEEPING_MS = 100
/** Events handed to the sandbox in one entry, at most. */
const MAX_RUN = 256

/**
 * A function that calls the host (crypto, URL, fetch, timers) at least this often per event runs on the
 * calling thread: from a run on another thread each host call is a round trip between threads, about
 * ten times its cost on the calling thread.
 */
const OFF_THREAD_MAX_HOST_CALLS = 0.25

/**
 * invokeText calls made together (invokeTextAll), answered together once the last of them is settled: one
 * promise for a worker's round rather than one per event, with what each allocates and keeps alive.
 */
interface CallGroup {
  readonly results: TextInvocationResult[]
  left: number
  readonly resolve: (results: TextInvocationResult[]) => void
}

/** An event waiting for the next run. `alone`: it must run in a run of its own (after a fault). */
interface TextCall {
  readonly eventJson: string
  readonly settingsJson: string
  readonly group: CallGroup
  readonly index: number
  alone?: boolean
}

function answer(call: TextCall, result: TextInvocationResult): void {
  const group = call.group
  group.results[call.index] = result
  if (--group.left === 0) group.resolve(group.results)
}

const failedCall = (error: ErrorInfo): TextInvocationResult => ({ outcome: 'error', error, logs: [], requests: [], durationMs: 0 })

/** A run of invokeText calls, made ready for the isolate. */
interface PreparedRun {
  calls: TextCall[]
  invs: Invocation[]
  base: number
  startedAt: number
  sandbox: SandboxIsolate
  hostCallsBefore: number
  /** The isolate's running time before the run (SandboxIsolate.busyMs). */
  busyBefore: number
}

/** Host-side state of one invocation. Allocations are lazy: most invocations never fetch or set a timer. */
class Invocation {
  readonly deadlineAt: number
  readonly requests: RequestRecord[] = []
  timersStarted = 0
  requestsInFlight = 0
  deadline: NodeJS.Timeout | undefined
  result: InvocationResult | BatchResult | TextInvocationResult | undefined
  resolve: ((result: InvocationResult | BatchResult | TextInvocationResult) => void) | undefined
  /** The call it answers, for an event of a run (invokeText). */
  call: TextCall | undefined
  #abort: AbortController | undefined
  #timers: Map<number, NodeJS.Timeout> | undefined

  constructor(
    readonly id: number,
    readonly batch: boolean,
    /** The event or events; undefined when they came as JSON text (invokeText). */
    readonly input: unknown,
    timeoutMs: number,
    readonly requestLimit: number,
    /** The isolate generation the invocation runs in; a rebuilt isolate knows nothing of it. */
    readonly generation: number,
    /** The event came, and a forwarded event goes back, as JSON text (invokeText). */
    readonly text = false,
    readonly startedAt = performance.now(),
  ) {
    this.deadlineAt = this.startedAt + timeoutMs
  }

  get finished(): boolean {
    return this.result !== undefined
  }
  get signal(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal
  }
  get aborted(): boolean {
    return this.#abort?.signal.aborted === true
  }
  /** Cancels its requests: the invocation was abandoned. */
  abort(): void {
    ;(this.#abort ??= new AbortController()).abort()
  }
  get timers(): Map<number, NodeJS.Timeout> {
    return (this.#timers ??= new Map())
  }
  get hasTimers(): boolean {
    return this.#timers !== undefined && this.#timers.size > 0
  }
  remainingMs(): number {
    return Math.max(1, this.deadlineAt - performance.now())
  }
  /** Its deadline passed, for instance while another function held the thread its timer or answer waited for. */
  get overdue(): boolean {
    return this.deadlineAt <= performance.now()
  }
}

export interface FunctionContext {
  code: string
  filename: string
  kind: FunctionKind
  options: ResolvedOptions
  fetch: HostFetch
  boot: BootInfo
  onCatastrophicError: (message: string) => void
  onDispose: (fn: LoadedFunction) => void
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export class LoadedFunction {
  readonly kind: FunctionKind
  readonly name: string
  readonly #ctx: FunctionContext
  readonly #services = new HostServices()
  readonly #invocations = new InvocationTable<Invocation>()
  /** Host timer id -> invocation, so cancelTimer from the sandbox finds its timer. */
  readonly #timerOwners = new Map<number, Invocation>()
  #sandbox: SandboxIsolate | undefined
  #handlers: ReadonlySet<string>
  #loadLogs: LogLine[]
  #generation = 0
  #nextId = 1
  #disposed = false
  /** Set while loading: host calls made then belong to no invocation. */
  #loading = false
  /** invokeText calls made since the last run: they go into the sandbox together. */
  #textCalls: TextCall[] = []
  /** Events the next run may take (see #finishRun). */
  #runLimit = MAX_RUN
  /** A run is in the isolate on a thread of isolated-vm's pool: other entries wait in #deferred. */
  #offThread = false
  #deferred: (() => void)[] = []
  /** Calls the sandbox made to the host, and per event in the last run. */
  #hostCalls = 0
  #hostCallsPerEvent = 0
  #handedOver = 0
  /** Time per event of recent runs, ms (an average that halves the weight of each older run); NaN before the first. */
  #msPerEvent = NaN

  constructor(ctx: FunctionContext) {
    this.#ctx = ctx
    this.kind = ctx.kind
    this.name = ctx.filename.replace(/\.js$/, '')
    this.#sandbox = this.#build()
    this.#handlers = this.#sandbox.handlers
    this.#loadLogs = this.#sandbox.loadLogs
  }

  /** Handler names the code defines, such as onTrack and onBatch. */
  get handlers(): string[] {
    return [...this.#handlers]
  }

  /** What the code logged while loading (the first time). */
  get loadLogs(): LogLine[] {
    return this.#loadLogs
  }

  /**
   * Whether runs of invokeText calls may go to a thread of isolated-vm's pool (RuntimeOptions.offThreadRuns,
   * and this function's last run did not call the host often). A run expected to be short stays on the
   * calling thread regardless.
   */
  get runsOffThread(): boolean {
    return this.#ctx.options.offThreadRuns && this.#hostCallsPerEvent < OFF_THREAD_MAX_HOST_CALLS
  }

  /** Whether a run of n events goes off the calling thread. Unknown cost (the first run) counts as long. */
  #offThreadFor(n: number): boolean {
    return this.runsOffThread && !(n * this.#msPerEvent < this.#ctx.options.offThreadMinRunMs)
  }

  /**
   * The isolate's CPU time per event, ms, as recent runs measured it (each run weighs half, the ones before
   * it the other half); NaN before the first run. What decides whether a run is worth another thread.
   */
  get expectedMsPerEvent(): number {
    return this.#msPerEvent
  }

  /** How many runs went to a thread of isolated-vm's pool (for tests and metrics). */
  get runsHandedOver(): number {
    return this.#handedOver
  }

  /** How many times the isolate was rebuilt after a fault (for tests and metrics). */
  get rebuilds(): number {
    return this.#generation - 1
  }

  #build(): SandboxIsolate {
    this.#loading = true
    try {
      const sandbox = new SandboxIsolate({
        code: this.#ctx.code,
        filename: this.#ctx.filename,
        memoryMb: this.#ctx.options.memoryMb,
        loadTimeoutMs: this.#ctx.options.timeoutMs,
        boot: this.#ctx.boot,
        bridge: this.#bridge(),
        onCatastrophicError: this.#ctx.onCatastrophicError,
      })
      this.#generation++
      return sandbox
    } finally {
      this.#loading = false
    }
  }

  #bridge(): HostBridge {
    // Each callback returns, never throws: a host exception would carry host stack frames into the sandbox.
    return {
      done: (id, payload, logs) => this.#done(id, payload, logs),
      start: (id, callId, kind, payload) => (this.#hostCalls++, this.#start(id, callId, kind, payload)),
      timer: (id, timerId, delayMs) => (this.#hostCalls++, this.#timer(id, timerId, delayMs)),
      cancelTimer: (timerId) => this.#cancelTimer(timerId),
      sync: (op, args) => (this.#hostCalls++, this.#services.sync(op, args)),
    }
  }

  /** Runs one event through its handler. Resolves for anything user code does. */
  invoke(event: Record<string, unknown>, settings: Record<string, unknown> = {}): Promise<InvocationResult> {
    if (!isPlainObject(event)) return Promise.reject(new TypeError(`invoke(event, settings): event must be an object, not ${describe(event)}`))
    if (!isPlainObject(settings)) return Promise.reject(new TypeError(`invoke(event, settings): settings must be an object, not ${describe(settings)}`))
    return this.#run(false, event, settings, 1) as Promise<InvocationResult>
  }

  /**
   * Runs one event given as JSON text, with settings as JSON text, and answers a forwarded event as JSON
   * text: the pipeline holds events as text (queued, then sent), so this spares it parsing and encoding
   * each event on the host. The text must be a JSON object; the sandbox parses it.
   */
  invokeText(eventJson: string, settingsJson: string): Promise<TextInvocationResult> {
    return this.#invokeTexts('invokeText(eventJson, settingsJson)', 'eventJson', [eventJson], settingsJson).then((results) => results[0]!)
  }

  /**
   * invokeText for several events with the same settings, answered together, in order, once all are
   * settled: what a worker's round asks of a function. Each event is still its own invocation.
   */
  invokeTextAll(eventsJson: readonly string[], settingsJson: string): Promise<TextInvocationResult[]> {
    return this.#invokeTexts('invokeTextAll(eventsJson, settingsJson)', 'each of eventsJson', eventsJson, settingsJson)
  }

  /** `call` and `events` name the method and its events' argument, for the errors that refuse them. */
  #invokeTexts(call: string, events: string, eventsJson: readonly string[], settingsJson: string): Promise<TextInvocationResult[]> {
    if (!Array.isArray(eventsJson) || !eventsJson.every((e) => typeof e === 'string' && e.charCodeAt(0) === 123 /* { */)) {
      return Promise.reject(new TypeError(`${call}: ${events} must be the JSON text of an event object`))
    }
    if (typeof settingsJson !== 'string' || settingsJson.charCodeAt(0) !== 123) return Promise.reject(new TypeError(`${call}: settingsJson must be the JSON text of an object`))
    if (this.#disposed) return Promise.reject(new Error(`function ${this.name} was disposed`))
    if (eventsJson.length === 0) return Promise.resolve([])
    // Calls made before this turn's microtasks run out enter the sandbox together, one crossing each way
    // for all of them instead of one per event; a worker's rounds reach here within the same few awaits,
    // so their jobs make one run.
    return new Promise((resolve) => {
      const group: CallGroup = { results: new Array<TextInvocationResult>(eventsJson.length), left: eventsJson.length, resolve }
      if (this.#textCalls.length === 0) queueMicrotask(() => this.#runTextCalls())
      for (let index = 0; index < eventsJson.length; index++) this.#textCalls.push({ eventJson: eventsJson[index]!, settingsJson, group, index })
    })
  }

  #runTextCalls(): void {
    while (this.#textCalls.length > 0 && !this.#offThread) {
      const calls = this.#textCalls
      let size = 1
      if (calls[0]!.alone !== true) while (size < this.#runLimit && size < calls.length && calls[size]!.alone !== true) size++
      const run = this.#prepareRun(calls.slice(0, size))
      this.#textCalls = calls.slice(size)
      if (run === undefined) continue
      const { timeoutMs } = this.#ctx.options
      const inputs = run.calls.map((c) => c.eventJson)
      const settings = run.calls.map((c) => c.settingsJson)
      const runTimeoutMs = timeoutMs + this.#ctx.boot.runSliceMs + 1
      if (this.#offThreadFor(run.calls.length)) {
        this.#offThread = true
        this.#handedOver++
        void run.sandbox.invokeEachOffThread(run.base, this.kind, inputs, settings, runTimeoutMs).then((answer) => {
          this.#offThread = false
          if (isFault(answer)) this.#finishRun(run, answer)
          else this.#finishRun(run, undefined, answer)
          for (const entry of this.#deferred.splice(0)) entry()
          this.#runTextCalls()
        })
        return
      }
      this.#finishRun(run, run.sandbox.invokeEach(run.base, this.kind, inputs, settings, runTimeoutMs))
    }
  }

  /**
   * Entries into the isolate wait while a run holds it on another thread, and go first, in order, once it
   * ends. True when the entry was put off.
   */
  #putOff(entry: () => void): boolean {
    if (!this.#offThread) return false
    this.#deferred.push(entry)
    return true
  }

  /** The isolate, rebuilt if a fault disposed it; or why it could not be, as a retryable error. */
  #usableSandbox(): SandboxIsolate | ErrorInfo {
    if (this.#sandbox !== undefined && !this.#sandbox.disposed) return this.#sandbox
    try {
      return (this.#sandbox = this.#build())
    } catch (err) {
      // Code that loaded once and now does not (it depends on time or randomness at load): retry later.
      return hostError('SandboxReset', `the function could not be reloaded: ${(err as Error).message}`)
    }
  }

  /** A run's invocations, registered before it starts so that the host calls its events make find them. */
  #prepareRun(calls: TextCall[]): PreparedRun | undefined {
    const settleAll = (error: ErrorInfo) => calls.forEach((c) => answer(c, failedCall(error)))
    if (this.#disposed) {
      settleAll(hostError('SandboxReset', 'the function was disposed before this invocation started'))
      return undefined
    }
    const sandbox = this.#usableSandbox()
    if (!(sandbox instanceof SandboxIsolate)) {
      settleAll(sandbox)
      return undefined
    }
    const { timeoutMs, maxRequestsPerEvent } = this.#ctx.options
    const startedAt = performance.now()
    const base = this.#nextId
    this.#nextId += calls.length
    const invs = calls.map((c, i) => {
      const inv = new Invocation(base + i, false, undefined, timeoutMs, maxRequestsPerEvent, this.#generation, true, startedAt)
      inv.call = c
      return inv
    })
    this.#invocations.addRun(invs)
    return { calls, invs, base, startedAt, sandbox, hostCallsBefore: this.#hostCalls, busyBefore: sandbox.busyMs }
  }

  /**
   * Settles what a run finished and hands back the calls it did not start, to go first in the next run: so
   * runs shrink to what the function gets through in one (its time slice used, or an event awaiting I/O),
   * and grow back when whole runs finish.
   */
  #finishRun(run: PreparedRun, fault: SandboxFault | undefined, report?: RunReport): void {
    const rest = this.#collectRun(run, fault, report)
    const started = Math.max(1, run.calls.length - rest.length)
    this.#hostCallsPerEvent = (this.#hostCalls - run.hostCallsBefore) / started
    // The time the isolate ran, not the time until the calling thread took the run back: a run handed over
    // to a busy calling thread would otherwise look long, and keep the next runs going over for nothing
    // (off-thread.test.ts: after one run taken back 300 ms late, runs of four quick events all went over).
    const ms = (run.sandbox.busyMs - run.busyBefore) / started
    if (Number.isFinite(ms)) this.#msPerEvent = Number.isNaN(this.#msPerEvent) ? ms : (this.#msPerEvent + ms) / 2
    this.#runLimit = rest.length === 0 ? Math.min(MAX_RUN, this.#runLimit * 2) : Math.max(1, 2 * (run.calls.length - rest.length))
    if (rest.length > 0) this.#textCalls = [...rest, ...this.#textCalls]
  }

  /** Settles a run's finished events from its report, or from collect (a run on the calling thread, or one that faulted). */
  #collectRun({ calls, invs, base, startedAt, sandbox }: PreparedRun, fault: SandboxFault | undefined, report: RunReport | undefined): TextCall[] {
    // Disposed while the run was on another thread: dispose() has settled its invocations.
    if (this.#disposed || sandbox !== this.#sandbox) return []
    // Asked even after a timeout: the isolate still answers, and says which event was running.
    const progress = readProgress(report ?? sandbox.collect(base, HOUSEKEEPING_MS), calls.length)
    const finished = isFault(progress) ? 0 : progress.items.length
    const started = isFault(progress) ? 0 : progress.started
    if (!isFault(progress)) {
      const durationMs = (performance.now() - startedAt) / Math.max(1, finished)
      progress.items.forEach((item, i) => this.#settle(invs[i]!, parseSandboxText(item), progress.logs[i] ?? undefined, durationMs))
    }
    const unstarted = calls.slice(started)
    for (const inv of invs.slice(started)) this.#invocations.delete(inv.id)
    if (fault === undefined && !isFault(progress)) {
      // One event may still be going, awaiting a request or a timer: it reports through `done` (and may
      // have already, from a run that reported itself before that event's last turn).
      if (started > finished && !invs[finished]!.finished) {
        const inv = invs[finished]!
        inv.deadline = setTimeout(() => this.#expire(inv), inv.remainingMs())
      }
      return unstarted
    }
    if (!isFault(progress)) {
      // The event that was running when the run faulted is the culprit; the rest run in the rebuilt sandbox.
      this.#fault(fault!, started > finished ? invs[finished] : undefined)
      return unstarted
    }
    // The sandbox is gone (out of memory, broken) and took with it what had finished: each event of the
    // run goes again alone, so the next fault names its culprit. A run of one is its own culprit.
    if (calls.length === 1) {
      this.#fault(progress, invs[0]!)
      return []
    }
    for (const inv of invs) this.#invocations.delete(inv.id)
    this.#fault(progress)
    return calls.map((c) => ({ ...c, alone: true }))
  }

  /** Runs a batch through onBatch, or through the single-event handlers when there is no onBatch. */
  invokeBatch(events: Record<string, unknown>[], settings: Record<string, unknown> = {}): Promise<BatchResult> {
    if (!Array.isArray(events) || !events.every(isPlainObject)) {
      return Promise.reject(new TypeError('invokeBatch(events, settings): events must be an array of event objects'))
    }
    if (!isPlainObject(settings)) return Promise.reject(new TypeError(`invokeBatch(events, settings): settings must be an object, not ${describe(settings)}`))
    return this.#run(true, events, settings, Math.max(1, events.length)) as Promise<BatchResult>
  }

  #run(batch: boolean, input: unknown, settings: unknown, eventCount: number): Promise<InvocationResult | BatchResult> {
    if (this.#offThread) return new Promise((resolve) => this.#putOff(() => resolve(this.#run(batch, input, settings, eventCount))))
    if (this.#disposed) return Promise.reject(new Error(`function ${this.name} was disposed`))
    let inputJson: string
    let settingsJson: string
    try {
      inputJson = JSON.stringify(input)
      settingsJson = JSON.stringify(settings)
    } catch (err) {
      return Promise.reject(new TypeError(`the event and settings must be JSON values: ${(err as Error).message}`))
    }
    const sandbox = this.#usableSandbox()
    if (!(sandbox instanceof SandboxIsolate)) return Promise.resolve(this.#failedResult(batch, input, sandbox))
    const inv = new Invocation(
      this.#nextId++,
      batch,
      input,
      this.#ctx.options.timeoutMs,
      this.#ctx.options.maxRequestsPerEvent * eventCount,
      this.#generation,
    )
    this.#invocations.addRun([inv])
    const fault = sandbox.invoke(inv.id, this.kind, batch, inputJson, settingsJson, this.#ctx.options.timeoutMs)
    if (fault !== undefined) this.#fault(fault, inv)
    // Handlers that finish without real I/O are done by now: no promise to wait on, no deadline timer.
    if (inv.result !== undefined) return Promise.resolve(inv.result)
    inv.deadline = setTimeout(() => this.#expire(inv), inv.remainingMs())
    return new Promise((resolve) => {
      inv.resolve = resolve
    })
  }

  /** Settles an invocation once: later reports (a late `done`, a fault) are ignored. */
  #settle(inv: Invocation, payload: ParsedPayload | ErrorInfo, logs: LogLine[] | undefined, durationMs?: number): void {
    if (inv.result !== undefined) return
    this.#release(inv)
    inv.result = this.#result(inv, payload, logs ?? [], durationMs)
    if (inv.call !== undefined) answer(inv.call, inv.result as TextInvocationResult)
    else inv.resolve?.(inv.result)
  }

  #result(inv: Invocation, payload: ParsedPayload | ErrorInfo, logs: LogLine[], durationMs = performance.now() - inv.startedAt): InvocationResult | BatchResult | TextInvocationResult {
    const r = (inv.text
      ? toTextResult(payload, this.#ctx.filename)
      : inv.batch
      ? toBatchResult(payload, inv.input as Record<string, unknown>[], this.#ctx.filename)
      : toEventResult(payload, inv.input as Record<string, unknown>, this.#ctx.filename)) as InvocationResult & BatchResult
    r.logs = logs
    r.requests = inv.requests
    r.durationMs = durationMs
    return r
  }

  #failedResult(batch: boolean, input: unknown, error: ErrorInfo): InvocationResult | BatchResult {
    const common = { logs: [], requests: [], durationMs: 0 }
    if (batch) return { ...toBatchResult(error, input as Record<string, unknown>[], this.#ctx.filename), ...common }
    return { outcome: 'error', error, ...common }
  }

  #done(id: number, payload: unknown, logs: unknown): void {
    const inv = this.#invocations.get(id)
    if (inv === undefined) return
    this.#settle(inv, inv.text ? parseSandboxText(payload) : parseSandboxPayload(payload), Array.isArray(logs) ? (logs as LogLine[]) : undefined)
  }

  /** The deadline passed while the invocation waited (on a request or a timer): abandon it, keep the isolate. */
  #expire(inv: Invocation): void {
    if (inv.finished || this.#putOff(() => this.#expire(inv))) return
    const timeout = hostError('Timeout', `the function did not finish within ${this.#ctx.options.timeoutMs} ms`)
    const sandbox = this.#sandbox
    let partial: string | undefined
    if (sandbox !== undefined && inv.generation === this.#generation && !sandbox.disposed) {
      const ended = sandbox.end(inv.id, HOUSEKEEPING_MS)
      if (isFault(ended)) this.#fault(ended, inv)
      else partial = ended
    }
    inv.abort()
    if (inv.finished) return
    const parsed = partial !== undefined && inv.batch ? parseSandboxPayload(`{"items":${partial}}`) : undefined
    this.#settle(inv, parsed?.kind === 'batch' ? { ...parsed, missing: timeout } : timeout, undefined)
  }

  /**
   * The isolate is stuck, out of memory or broken: it is disposed and rebuilt on next use. The invocation
   * that was running gets the fault; every other one in flight is told to retry.
   */
  #fault(fault: SandboxFault, culprit?: Invocation): void {
    this.#sandbox?.dispose()
    this.#sandbox = undefined
    // Ciphers and keys belonged to the old isolate's objects, which are gone with it.
    this.#services.dispose()
    const limit = this.#ctx.options
    const own =
      fault.kind === 'timeout'
        ? hostError('Timeout', `the function ran for more than ${limit.timeoutMs} ms without yielding (a CPU-bound loop?); its sandbox was rebuilt`)
        : fault.kind === 'memory'
          ? hostError('MemoryLimitExceeded', `the function used more than its ${limit.memoryMb} MB memory limit; its sandbox was rebuilt`)
          : hostError('SandboxReset', `the sandbox failed (${fault.message}); it was rebuilt`)
    if (culprit !== undefined) {
      culprit.abort()
      this.#settle(culprit, own, undefined)
    }
    const reset = hostError('SandboxReset', `the function's sandbox was rebuilt because another invocation ${fault.kind === 'memory' ? 'ran out of memory' : 'was stuck'}; try again`)
    for (const inv of this.#invocations.values()) {
      inv.abort()
      this.#settle(inv, reset, undefined)
    }
  }

  #release(inv: Invocation): void {
    this.#invocations.delete(inv.id)
    if (inv.deadline !== undefined) clearTimeout(inv.deadline)
    if (!inv.hasTimers) return
    for (const [timerId, handle] of inv.timers) {
      clearTimeout(handle)
      this.#timerOwners.delete(timerId)
    }
    inv.timers.clear()
  }

  #active(id: number): Invocation | string {
    if (this.#loading) return 'this cannot be used while the function loads; use it inside a handler'
    const inv = this.#invocations.get(id)
    return inv === undefined ? 'the invocation has already ended' : inv
  }

  #start(id: number, callId: number, kind: AsyncCallKind, payload: unknown): string | undefined {
    const inv = this.#active(id)
    if (typeof inv === 'string') return inv
    let work: Promise<unknown>
    if (kind === 'fetch') {
      if (inv.requests.length + inv.requestsInFlight >= inv.requestLimit) {
        return `too many requests: an invocation may make ${inv.requestLimit} (maxRequestsPerEvent × events)`
      }
      let req
      try {
        req = checkRequest(payload)
      } catch (err) {
        return (err as Error).message
      }
      inv.requestsInFlight++
      work = performFetch(this.#ctx.fetch, req, this.#ctx.options, inv.signal, (r) => inv.requests.push(r)).finally(() => {
        inv.requestsInFlight--
      })
    } else if (kind === 'subtle') {
      work = this.#services.subtle(payload)
    } else {
      return `unknown host call ${String(kind)}`
    }
    work.then(
      (value) => this.#settleCall(inv, callId, true, value),
      (err: unknown) => {
        const failure = err instanceof BridgeError ? err.toFailure() : { name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) }
        this.#settleCall(inv, callId, false, failure)
      },
    )
    return undefined
  }

  /**
   * A host call finished. It is delivered even after its invocation returned (fire-and-forget requests
   * complete), but not after the invocation was abandoned or its isolate rebuilt.
   */
  #settleCall(inv: Invocation, callId: number, ok: boolean, value: unknown): void {
    if (this.#putOff(() => this.#settleCall(inv, callId, ok, value))) return
    const sandbox = this.#sandbox
    if (sandbox === undefined || sandbox.disposed || inv.generation !== this.#generation) return
    if (inv.finished && inv.aborted) return
    if (!inv.finished && inv.overdue) return this.#expire(inv) // as a late timer does (#schedule)
    const budget = inv.finished ? this.#ctx.options.timeoutMs : inv.remainingMs()
    const fault = sandbox.settle(inv.id, callId, ok, value, budget)
    if (fault !== undefined) this.#fault(fault, inv)
  }

  #timer(id: number, timerId: number, delayMs: number): string | undefined {
    const inv = this.#active(id)
    // Timers set while loading are accepted and never fire: loading ends before they could.
    if (typeof inv === 'string') return this.#loading ? undefined : inv
    if (++inv.timersStarted > MAX_TIMERS_PER_INVOCATION) return `too many timers: an invocation may start ${MAX_TIMERS_PER_INVOCATION}`
    this.#schedule(inv, timerId, Number.isFinite(delayMs) ? Math.min(Math.max(0, delayMs), 2 ** 31 - 1) : 0)
    return undefined
  }

  #schedule(inv: Invocation, timerId: number, delayMs: number): void {
    const fire = (): void => {
      // Cancelled while it waited for a run on another thread to end.
      if (this.#timerOwners.get(timerId) !== inv) return
      inv.timers.delete(timerId)
      this.#timerOwners.delete(timerId)
      if (inv.finished) return
      const sandbox = this.#sandbox
      if (sandbox === undefined || sandbox.disposed || inv.generation !== this.#generation) return
      // Late because the thread was held (a runaway elsewhere): entering with a 1 ms budget could fault
      // the isolate and fail its neighbours; the deadline has passed, so it times out like any other.
      if (inv.overdue) return this.#expire(inv)
      const repeat = sandbox.fire(inv.id, timerId, inv.remainingMs())
      if (isFault(repeat)) this.#fault(repeat, inv)
      else if (repeat && !inv.finished) this.#schedule(inv, timerId, Math.max(1, delayMs))
    }
    const handle = setTimeout(() => this.#putOff(fire) || fire(), delayMs)
    inv.timers.set(timerId, handle)
    this.#timerOwners.set(timerId, inv)
  }

  #cancelTimer(timerId: number): void {
    const inv = this.#timerOwners.get(timerId)
    if (inv === undefined) return
    const handle = inv.timers.get(timerId)
    if (handle !== undefined) clearTimeout(handle)
    inv.timers.delete(timerId)
    this.#timerOwners.delete(timerId)
  }

  /** Disposes the isolate. Invocations still in flight resolve with a retryable error. */
  async dispose(): Promise<void> {
    if (this.#disposed) return
    this.#disposed = true
    const reset = hostError('SandboxReset', 'the function was disposed before this invocation finished')
    for (const inv of this.#invocations.values()) {
      inv.abort()
      this.#settle(inv, reset, undefined)
    }
    for (const call of this.#textCalls.splice(0)) answer(call, failedCall(reset))
    this.#sandbox?.dispose()
    this.#sandbox = undefined
    this.#services.dispose()
    this.#ctx.onDispose(this)
  }
}

/** collect()'s answer came out of the sandbox: anything but the expected shape is a broken sandbox. */
function readProgress(value: RunReport | SandboxFault, size: number): RunReport | SandboxFault {
  if (isFault(value)) return value
  const { items, logs, started } = value
  // Events run one after another, so at most one can have started and not finished.
  const fits = Array.isArray(items) && Array.isArray(logs) && items.length === logs.length && Number.isInteger(started) && started - items.length <= 1 && started >= items.length && started <= size
  return fits ? value : { kind: 'broken', message: 'the sandbox reported the progress of a run in an unknown shape' }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
