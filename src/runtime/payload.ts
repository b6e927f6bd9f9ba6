// Reads what the sandbox reported and turns it into public results. The text came out of user-controlled
// territory, so its shape is checked, and `__proto__` keys are dropped so no later merge can pollute
// the host's prototypes.
import type { SandboxItem, ThrownInfo } from './bridge.js'
import { errorInfo } from './outcomes.js'
import type { BatchResult, ErrorInfo, EventResult, LogLine, RequestRecord, TextEventResult, TextInvocationResult } from './result.js'

export type ParsedPayload =
  | { kind: 'item'; item: SandboxItem }
  | ForwardedText
  | { kind: 'batch'; items: (SandboxItem | null)[]; value?: unknown; missing?: ErrorInfo }
  | { kind: 'batchError'; error: ThrownInfo }
  | { kind: 'malformed'; message: string }

function dropProto(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value
}

function parseJson(text: string): unknown {
  // The reviver costs a few times the parse, so it runs only when the key can be there at all.
  return text.includes('"__proto__"') ? JSON.parse(text, dropProto) : JSON.parse(text)
}

function isThrown(v: unknown): v is ThrownInfo {
  const t = v as ThrownInfo
  return typeof v === 'object' && v !== null && typeof t.type === 'string' && typeof t.name === 'string' && typeof t.message === 'string'
}

function isItem(v: unknown): v is SandboxItem {
  if (typeof v !== 'object' || v === null) return false
  const item = v as Record<string, unknown>
  switch (item.o) {
    case 'f':
      return typeof item.e === 'object' && item.e !== null && !Array.isArray(item.e)
    case 'v':
      return true
    case 'd':
      return item.by === 'return' || item.by === 'DropEvent'
    case 'x':
      return isThrown(item.err)
    default:
      return false
  }
}

export function parseSandboxPayload(payload: unknown): ParsedPayload {
  if (typeof payload !== 'string') return { kind: 'malformed', message: 'the sandbox reported no result' }
  let value: unknown
  try {
    value = parseJson(payload)
  } catch (err) {
    return { kind: 'malformed', message: `the sandbox reported unreadable JSON (${(err as Error).message})` }
  }
  if (isItem(value)) return { kind: 'item', item: value }
  const v = value as { items?: unknown; value?: unknown; err?: unknown }
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(v.items) && v.items.every((i) => i === null || isItem(i))) {
      return { kind: 'batch', items: v.items as (SandboxItem | null)[], ...('value' in v ? { value: v.value } : {}) }
    }
    if (isThrown(v.err)) return { kind: 'batchError', error: v.err }
  }
  return { kind: 'malformed', message: 'the sandbox reported a result of an unknown shape' }
}

// The two objects the pipeline's path makes per forwarded event are classes, not object literals. A run's
// answers are all alive at once while they are collected, and when a scavenge comes then, V8's
// allocation-site pretenuring (which follows object literals) may decide to allocate every later one of
// them straight into the old generation. There a dead one keeps its answer text reachable through
// scavenges until the next full collection: in most runs of `npm run bench:worker` that promoted 650 to
// 1,350 more bytes per event (docs/runtime.md).

/** A forwarded event's JSON text, read off the sandbox's answer. */
export class ForwardedText {
  readonly kind = 'forwarded'
  constructor(readonly json: string) {}
}

/**
 * A forwarded event's result for the pipeline. Its logs, requests and duration are set by the one caller
 * (LoadedFunction) right after; they are declared here so that every such result has the same shape.
 */
class ForwardedResult implements TextInvocationResult {
  readonly outcome = 'forwarded'
  logs!: LogLine[]
  requests!: RequestRecord[]
  durationMs!: number
  constructor(readonly eventJson: string) {}
}

/** How the sandbox writes a forwarded event: this envelope around JSON.stringify's text of the event. */
const FORWARDED_HEAD = '{"o":"f","e":{'

/**
 * Reads a single event's payload for the pipeline, which wants the forwarded event as JSON text: it is
 * taken out of its envelope unparsed. The prelude wrote it with the JSON.stringify it captured before user
 * code ran, so it is JSON; the envelope is checked, and anything else is read as parseSandboxPayload does.
 */
export function parseSandboxText(payload: unknown): ParsedPayload {
  if (typeof payload === 'string' && payload.startsWith(FORWARDED_HEAD) && payload.endsWith('}}')) {
    return new ForwardedText(payload.slice(FORWARDED_HEAD.length - 1, -1))
  }
  return parseSandboxPayload(payload)
}

function malformed(message: string): ErrorInfo {
  return { name: 'SandboxReset', message: `${message}; try again`, category: 'Retry', retryable: true }
}

function itemResult(item: SandboxItem, input: Record<string, unknown> | undefined, filename: string): EventResult {
  switch (item.o) {
    case 'f': {
      const event = item.e as Record<string, unknown>
      // Spec 2.2: an event returned without its messageId keeps the input's, so dedupe still works.
      if (event.messageId === undefined && input?.messageId !== undefined) event.messageId = input.messageId
      return { outcome: 'forwarded', event }
    }
    case 'v':
      return 'v' in item ? { outcome: 'delivered', value: item.v } : { outcome: 'delivered' }
    case 'd':
      return { outcome: 'dropped', drop: item.m === undefined ? { by: item.by } : { by: item.by, message: item.m } }
    case 'x':
      return { outcome: 'error', error: errorInfo(item.err, filename) }
  }
}

/** A single event's result with the forwarded event as JSON text (see parseSandboxText). */
export function toTextResult(payload: ParsedPayload | ErrorInfo, filename: string): TextEventResult {
  if (!isErrorInfo(payload) && payload.kind === 'forwarded') return new ForwardedResult(payload.json)
  const { event, ...rest } = toEventResult(payload, undefined, filename)
  return event === undefined ? rest : { ...rest, eventJson: JSON.stringify(event) }
}

function isErrorInfo(v: ParsedPayload | ErrorInfo): v is ErrorInfo {
  return !('kind' in v)
}

export function toEventResult(payload: ParsedPayload | ErrorInfo, input: Record<string, unknown> | undefined, filename: string): EventResult {
  if (isErrorInfo(payload)) return { outcome: 'error', error: payload }
  if (payload.kind === 'item') return itemResult(payload.item, input, filename)
  if (payload.kind === 'forwarded') return { outcome: 'forwarded', event: parseJson(payload.json) as Record<string, unknown> }
  return { outcome: 'error', error: malformed(payload.kind === 'malformed' ? payload.message : 'the sandbox reported a batch for one event') }
}

export function toBatchResult(
  payload: ParsedPayload | ErrorInfo,
  inputs: Record<string, unknown>[],
  filename: string,
): Omit<BatchResult, 'logs' | 'requests' | 'durationMs'> {
  const failAll = (error: ErrorInfo) => ({ results: inputs.map((): EventResult => ({ outcome: 'error', error })), error })
  if (isErrorInfo(payload)) return failAll(payload)
  switch (payload.kind) {
    case 'batchError':
      return failAll(errorInfo(payload.error, filename))
    case 'malformed':
      return failAll(malformed(payload.message))
    case 'item':
    case 'forwarded':
      return failAll(malformed('the sandbox reported one event for a batch'))
    case 'batch': {
      if (payload.items.length !== inputs.length) return failAll(malformed('the sandbox reported a batch of the wrong length'))
      const missing = payload.missing ?? malformed('the sandbox reported no result for an event')
      const results = payload.items.map((item, i): EventResult => (item === null ? { outcome: 'error', error: missing } : itemResult(item, inputs[i], filename)))
      return 'value' in payload ? { results, value: payload.value } : { results }
    }
  }
}
