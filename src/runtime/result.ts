// What an invocation produced. Results are data: invoke() resolves with one of these for anything user
// code does, and rejects only when the host itself fails.
import type { LogLine } from './bridge.js'

export type { LogLine, LogLevel, FunctionKind } from './bridge.js'

/** Delivery categories, as Segment's Event Delivery names them (spec section 3.2). */
export type ErrorCategory = 'Bad Request' | 'Message Rejected' | 'Unsupported Event Type' | 'Retry' | 'Timeout'

export interface ErrorInfo {
  /** The thrown value's `name` (for our classes, the class name). */
  name: string
  message: string
  category: ErrorCategory
  /** Whether the event should be tried again later (RetryError, Timeout, and failures of the sandbox itself). */
  retryable: boolean
  /** Stack frames from the user's code only. */
  stack?: string
}

export interface RequestRecord {
  method: string
  /** The URL with credentials and secret-looking query values redacted. */
  url: string
  status?: number
  error?: string
  durationMs: number
}

export type Outcome = 'forwarded' | 'dropped' | 'delivered' | 'error'

/** Why an event was dropped: the handler returned nothing, or threw DropEvent. */
export interface DropInfo {
  by: 'return' | 'DropEvent'
  message?: string
}

export interface EventResult {
  outcome: Outcome
  /** insert kind, forwarded: the event to pass on (it replaces the input). */
  event?: Record<string, unknown>
  /** destination kind, delivered: the handler's JSON-safe return value. */
  value?: unknown
  drop?: DropInfo
  error?: ErrorInfo
}

export interface InvocationResult extends EventResult {
  logs: LogLine[]
  requests: RequestRecord[]
  durationMs: number
}

/** An event's result as the pipeline takes it: a forwarded event as JSON text, ready to send. */
export interface TextEventResult extends Omit<EventResult, 'event'> {
  eventJson?: string
}

export interface TextInvocationResult extends TextEventResult {
  logs: LogLine[]
  requests: RequestRecord[]
  durationMs: number
}

export interface BatchResult {
  /** One result per input event, in input order. */
  results: EventResult[]
  /** Set when the batch failed as a whole (onBatch threw, timed out, or returned something unusable). */
  error?: ErrorInfo
  /** destination kind: what onBatch returned, when it was not one status per event. */
  value?: unknown
  logs: LogLine[]
  requests: RequestRecord[]
  durationMs: number
}
