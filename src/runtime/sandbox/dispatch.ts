// Runs handlers for the host and turns what they return or throw into SandboxItems (spec sections 2, 3, 6).
// Results leave as JSON text built here, so what the host receives is exactly what a destination would.
import type { FunctionKind, LogLine, RunReport, SandboxItem, ThrownInfo } from '../bridge.js'
import { callsPending, rejectCallsOf } from './calls.js'
import { note } from './console.js'
import { DropEvent, EventNotSupported, describeThrown, isDropEvent } from './errors.js'
import { bootInfo, detached, enter, host, type InvocationState } from './host.js'
import { dropTimersOf, timersSet } from './timers.js'

type Handler = (...args: unknown[]) => unknown

const handlerNames = {
  identify: 'onIdentify',
  track: 'onTrack',
  page: 'onPage',
  screen: 'onScreen',
  group: 'onGroup',
  alias: 'onAlias',
  delete: 'onDelete',
} as const
export const HANDLER_NAMES = [...Object.values(handlerNames), 'onBatch'] as const

const handlers = new Map<string, Handler>()
let installed = false

/**
 * Called once, by the host's resolver script, with whatever the user's code bound to each handler name.
 * Loading ends here: what loading logged is handed over, and its timers will not fire.
 */
export function install(...found: unknown[]): { handlers: string[]; logs: LogLine[] } {
  if (installed) throw new Error('handlers are already installed')
  installed = true
  HANDLER_NAMES.forEach((name, i) => {
    const fn = found[i]
    if (typeof fn === 'function') handlers.set(name, fn as Handler)
  })
  detached.ended = true
  return { handlers: [...handlers.keys()], logs: detached.logs.splice(0) }
}

interface Invocation extends InvocationState {
  readonly kind: FunctionKind
  /** Items finished so far, for a batch run one event at a time. */
  partial?: (string | null)[]
  /** The run the event came in (invokeEach), while the run is still collecting what finishes. */
  run?: Run
}

/**
 * Events the host handed over in one entry (invokeEach), each its own invocation. They run one after
 * another, the next starting when the last one finished, so that what each one logs is its own even
 * when handlers await; what finishes inside the entry is kept here and collected by the host in one more
 * entry, instead of one crossing per event each way.
 */
interface Run {
  readonly base: number
  readonly kind: FunctionKind
  readonly inputs: string[]
  readonly settings: string[]
  readonly startedAt: number
  /** The next event to start. */
  next: number
  /** Items of the events finished while collecting, in order, and what each logged. */
  readonly items: string[]
  readonly logs: (LogLine[] | null)[]
  /** Cleared by collect: from then on an event of the run still going reports through `done` alone. */
  collecting: boolean
  /** Set when the run reports itself (invokeEach with `reports`): answers the run's promise. */
  report?: (report: RunReport) => void
}

const runs = new Map<number, Run>()
/**
 * The last run that reported itself: its entry may still time out after the report (an event that went on
 * and never yielded), and then the host collects it, to name that event and hand back those not started.
 */
let lastReported: Run | undefined

const invocations = new Map<number, Invocation>()

const stringify = JSON.stringify
const parse = JSON.parse
// Captured before user code runs, which may replace them: a run's report must not depend on what the
// function does to Promise (the host also gives up on a run that never reports).
const NativePromise = Promise
const nullObject = Object.create as (proto: null) => Record<string, unknown>
// Captured before user code runs, which may replace Date.now.
const now = Date.now
const sinkForUnknown: InvocationState = { id: -1, logs: [], logBytes: 0, droppedLogBytes: 0, ended: true }

export function enterInvocation(id: number): void {
  enter(invocations.get(id) ?? sinkForUnknown)
}

/** Calls a handler as handler(input, settings); a synchronous throw becomes a rejection. */
function callHandler(name: string | undefined, input: unknown, settings: unknown): Promise<unknown> {
  const fn = name === undefined ? undefined : handlers.get(name)
  if (fn === undefined) {
    const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined
    return Promise.reject(new EventNotSupported(`${String(type)} not supported`))
  }
  try {
    return Promise.resolve(fn(input, settings))
  } catch (err) {
    return Promise.reject(err)
  }
}

function handlerFor(event: unknown): string | undefined {
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined
  return typeof type === 'string' && Object.hasOwn(handlerNames, type) ? handlerNames[type as keyof typeof handlerNames] : undefined
}

function failure(type: string, message: string): ThrownInfo {
  return { type, name: type, message }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** JSON text of a value, or why it cannot be sent. */
function toJson(value: unknown): { json: string } | { problem: string } {
  let json: string | undefined
  try {
    json = stringify(value)
  } catch (err) {
    return { problem: `it cannot be encoded as JSON (${describeThrown(err).message})` }
  }
  if (json === undefined) return { problem: 'it has no JSON form' }
  const max = bootInfo().maxResultBytes
  if (json.length > max) return { problem: `its JSON is ${json.length} bytes, over the limit of ${max}` }
  return { json }
}

/**
 * An insert function's answer for one event: one event object, or nothing to drop it. An event returned
 * without a messageId keeps the input's (spec 2.2), so dedupe still works; it is added here, to the text,
 * because the pipeline takes a forwarded event as the text this writes.
 */
function insertItem(handler: string, value: unknown, inputMessageId?: unknown): string {
  if (value === undefined || value === null) return '{"o":"d","by":"return"}'
  if (typeof value !== 'object' || Array.isArray(value)) {
    return itemJson({
      o: 'x',
      err: failure('InvalidReturnValue', `${handler} returned ${describe(value)}; an insert function must return one event object, or nothing to drop the event`),
    })
  }
  const encoded = toJson(value)
  if ('problem' in encoded) return itemJson({ o: 'x', err: failure('InvalidReturnValue', `${handler} returned an event that cannot be forwarded: ${encoded.problem}`) })
  if (encoded.json.charCodeAt(0) !== 123 /* { */) {
    return itemJson({ o: 'x', err: failure('InvalidReturnValue', `${handler} returned an object whose JSON form is not an object`) })
  }
  const json = encoded.json
  if (inputMessageId !== undefined && (value as { messageId?: unknown }).messageId === undefined) {
    const id = stringify(inputMessageId)
    if (id !== undefined) return '{"o":"f","e":{"messageId":' + id + (json === '{}' ? '' : ',') + json.slice(1) + '}'
  }
  return '{"o":"f","e":' + json + '}'
}

/** A destination function's return value is informational, so one that cannot be recorded is noted, not fatal. */
function destinationValue(inv: InvocationState, handler: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  const encoded = toJson(value)
  if ('problem' in encoded) {
    note(inv, 'warn', `[insertfn] the value ${handler} returned was not recorded: ${encoded.problem}`)
    return undefined
  }
  return encoded.json
}

function destinationItem(inv: InvocationState, handler: string, value: unknown): string {
  const json = destinationValue(inv, handler, value)
  return json === undefined ? '{"o":"v"}' : '{"o":"v","v":' + json + '}'
}

function thrownItem(thrown: unknown): string {
  const info = describeThrown(thrown)
  if (isDropEvent(info)) return itemJson({ o: 'd', by: 'DropEvent', m: info.message })
  return itemJson({ o: 'x', err: info })
}

function itemJson(item: SandboxItem): string {
  return stringify(item)
}

/** Runs one event and hands its item to `then`, in the same microtask (one promise per event). */
function runOne(inv: Invocation, event: unknown, settings: unknown, then: (item: string) => void): void {
  const name = handlerFor(event)
  callHandler(name, event, settings).then(
    (value) => then(inv.kind === 'insert' ? insertItem(name!, value, messageIdOf(event)) : destinationItem(inv, name!, value)),
    (thrown) => then(thrownItem(thrown)),
  )
}

function messageIdOf(event: unknown): unknown {
  return typeof event === 'object' && event !== null ? (event as { messageId?: unknown }).messageId : undefined
}

function pairByIndex(events: unknown[], output: unknown[]): string[] {
  return events.map((_, i) => insertItem(`onBatch (output ${i})`, output[i]))
}

/** Output shorter or longer than the input: pair by messageId; an output that pairs with nothing is a bug. */
function pairByMessageId(events: unknown[], output: unknown[]): string[] | ThrownInfo {
  const index = new Map<unknown, number>()
  events.forEach((e, i) => {
    const id = typeof e === 'object' && e !== null ? (e as { messageId?: unknown }).messageId : undefined
    if (id !== undefined) index.set(id, i)
  })
  const items: string[] = events.map(() => '{"o":"d","by":"return"}')
  const taken = new Set<number>()
  for (let k = 0; k < output.length; k++) {
    const out = output[k]
    if (out === undefined || out === null) continue
    const id = typeof out === 'object' ? (out as { messageId?: unknown }).messageId : undefined
    const i = index.get(id)
    if (i === undefined || taken.has(i)) {
      return failure(
        'InvalidReturnValue',
        `onBatch returned ${output.length} entries for ${events.length} events, so entries are paired with events by messageId, ` +
          `and entry ${k} (messageId ${stringify(id) ?? 'missing'}) ${i === undefined ? 'matches no event' : 'pairs with an event already paired'}`,
      )
    }
    taken.add(i)
    items[i] = insertItem(`onBatch (entry ${k})`, out)
  }
  return items
}

function insertBatch(events: unknown[], output: unknown): string {
  if (output === undefined || output === null) return batchJson(events.map(() => '{"o":"d","by":"return"}'))
  if (!Array.isArray(output)) {
    return stringify({ err: failure('InvalidReturnValue', `onBatch returned ${describe(output)}; an insert function's onBatch must return an array of events`) })
  }
  const paired = output.length === events.length ? pairByIndex(events, output) : pairByMessageId(events, output)
  return Array.isArray(paired) ? batchJson(paired) : stringify({ err: paired })
}

/** Destination onBatch may answer one {status, errormessage} per event; otherwise every event was delivered. */
function destinationBatch(inv: InvocationState, events: unknown[], output: unknown): string {
  const perEvent =
    Array.isArray(output) &&
    output.length === events.length &&
    output.every((o) => typeof o === 'object' && o !== null && typeof (o as { status?: unknown }).status === 'number')
  if (!perEvent) {
    return batchJson(events.map(() => '{"o":"v"}'), destinationValue(inv, 'onBatch', output))
  }
  const items = (output as { status: number; errormessage?: unknown }[]).map((o) => {
    const status = o.status
    if (status >= 200 && status < 300) return destinationItem(inv, 'onBatch', o)
    const message = `status ${status}${o.errormessage === undefined ? '' : `: ${String(o.errormessage)}`}`
    const retry = status === 429 || status >= 500
    return itemJson({ o: 'x', err: failure(retry ? 'RetryError' : 'BatchItemRejected', message) })
  })
  return batchJson(items)
}

function batchJson(items: string[], valueJson?: string): string {
  return '{"items":[' + items.join(',') + ']' + (valueJson === undefined ? '' : ',"value":' + valueJson) + '}'
}

function finish(inv: Invocation, payload: string): void {
  if (inv.ended) return
  inv.ended = true
  invocations.delete(inv.id)
  dropTimersOf(inv)
  if (inv.droppedLogBytes > 0) {
    inv.logs.push({ level: 'warn', message: `[insertfn] ${inv.droppedLogBytes} more bytes of log output were dropped (limit ${bootInfo().maxLogBytes} bytes per invocation)` })
  }
  const run = inv.run
  if (run !== undefined && run.collecting) {
    // Not push: user code may have replaced Array.prototype.push.
    const k = run.items.length
    run.items[k] = payload
    run.logs[k] = inv.logs.length > 0 ? inv.logs : null
    startNext(run)
    return
  }
  host().done(inv.id, payload, inv.logs.length > 0 ? inv.logs : undefined)
}

/**
 * Host entry: run single events, given as JSON text with their settings, as invocations base, base + 1,
 * and so on. With `reports`, the run answers how far it got itself (watch); otherwise the host collects it
 * right after (collect). Events the run did not start by then are the host's to hand over again.
 */
export function invokeEach(base: number, kind: FunctionKind, inputs: string[], settings: string[], reports: boolean): Promise<RunReport> | undefined {
  const run: Run = { base, kind, inputs, settings, startedAt: now(), next: 0, items: [], logs: [], collecting: true }
  runs.set(base, run)
  if (!reports) {
    startNext(run)
    return undefined
  }
  const answer = new NativePromise<RunReport>((resolve) => (run.report = resolve))
  startNext(run)
  void watch(run)
  return answer
}

/**
 * Microtask turns in a row in which a run's event neither finished nor started another, after which the
 * run reports with that event still going: few while a host call or timer is outstanding (the event is
 * most likely awaiting it, which takes another entry), many otherwise (the event takes more turns, as
 * each await is one; or it awaits a promise nothing will settle). An event that outlives its run's report
 * reports through `done`, so this decides how many events a run takes, not what they answer.
 */
const PATIENCE_AWAITING_HOST = 8
const PATIENCE = 4096

/**
 * Watches a run that reports itself, one microtask turn at a time, from the back of the queue: so each
 * look comes after the turn's work. The run reports once every event it started has finished (it starts
 * no more: all done, or its time slice used), or once it has stopped making progress. JS cannot ask
 * whether the microtask queue is empty, which is what the host's separate collect entry relied on; a run
 * that reports inside its own entry saves the host that second entry, and its items are copied out on
 * the thread that ran the run.
 */
async function watch(run: Run): Promise<void> {
  let mark = -1
  let still = 0
  while (run.collecting) {
    // Awaiting a value that is not a promise takes one turn and consults nothing user code can replace
    // (no `then`, no species), unlike Promise.prototype.then.
    await undefined
    if (!run.collecting) return
    // Both only grow, so their sum moves whenever either does.
    const progress = run.next + run.items.length
    if (progress !== mark) {
      mark = progress
      still = 0
    } else still++
    if (run.items.length === run.next || still >= (callsPending() || timersSet() ? PATIENCE_AWAITING_HOST : PATIENCE)) return report(run)
  }
}

/** Ends a run's collecting and answers its promise; a null-prototype object, so no `then` of the user's is consulted. */
function report(run: Run): void {
  runs.delete(run.base)
  lastReported = run
  run.collecting = false
  const answer = nullObject(null)
  answer.items = run.items
  answer.logs = run.logs
  answer.started = run.next
  run.report!(answer as unknown as RunReport)
}

function startNext(run: Run): void {
  const i = run.next
  if (i >= run.inputs.length || (i > 0 && now() - run.startedAt >= bootInfo().runSliceMs)) return
  run.next++
  const inv: Invocation = { id: run.base + i, kind: run.kind, logs: [], logBytes: 0, droppedLogBytes: 0, ended: false, run }
  invocations.set(inv.id, inv)
  enter(inv)
  let input: unknown
  let settings: unknown
  try {
    input = parse(run.inputs[i]!)
    settings = parse(run.settings[i]!)
  } catch (err) {
    // Inside a microtask a throw would only stop the run: the event fails, and the next one starts.
    finish(inv, itemJson({ o: 'x', err: failure('InvalidEventPayload', `the event or its settings are not valid JSON: ${describeThrown(err).message}`) }))
    return
  }
  runOne(inv, input, settings, (item) => finish(inv, item))
}

/**
 * Host entry, right after invokeEach (also after it timed out): the items of the events that finished, in
 * order, what each logged, and how many events were started. An event started and not finished is still
 * going (it awaits a request or a timer) and will report through `done`.
 */
export function collect(base: number): RunReport | undefined {
  const run = runs.get(base) ?? (lastReported?.base === base ? lastReported : undefined)
  if (run === undefined) return undefined
  runs.delete(base)
  lastReported = undefined
  run.collecting = false
  return { items: run.items, logs: run.logs, started: run.next }
}

/** Host entry: run one event, or a batch, through the handlers. The result arrives through `done`. */
export function invoke(id: number, kind: FunctionKind, batch: boolean, inputJson: string, settingsJson: string): void {
  const input: unknown = parse(inputJson)
  const settings: unknown = parse(settingsJson)
  const inv: Invocation = { id, kind, logs: [], logBytes: 0, droppedLogBytes: 0, ended: false }
  invocations.set(id, inv)
  enter(inv)
  if (!batch) {
    runOne(inv, input, settings, (item) => finish(inv, item))
    return
  }
  const events = input as unknown[]
  if (handlers.has('onBatch')) {
    callHandler('onBatch', events, settings).then(
      (output) => finish(inv, kind === 'insert' ? insertBatch(events, output) : destinationBatch(inv, events, output)),
      (thrown) => {
        const info = describeThrown(thrown)
        finish(inv, isDropEvent(info) ? batchJson(events.map(() => thrownItem(thrown))) : stringify({ err: info }))
      },
    )
    return
  }
  const partial: (string | null)[] = events.map(() => null)
  inv.partial = partial
  let left = events.length
  if (left === 0) finish(inv, batchJson([]))
  events.forEach((event, i) => {
    runOne(inv, event, settings, (item) => {
      partial[i] = item
      if (--left === 0) finish(inv, batchJson(partial as string[]))
    })
  })
}

/** Host entry: the invocation's deadline passed. Returns the per-event items finished so far, if any. */
export function end(id: number): string | undefined {
  const inv = invocations.get(id)
  if (inv === undefined) return undefined
  inv.ended = true
  invocations.delete(id)
  dropTimersOf(inv)
  rejectCallsOf(id, () => new Error('the invocation ran past its deadline'))
  return inv.partial === undefined ? undefined : '[' + inv.partial.map((p) => p ?? 'null').join(',') + ']'
}

export { DropEvent }
