// The one narrow boundary between the host and the sandbox. Both sides compile against these types;
// only copied values cross (strings, numbers, plain objects, ArrayBuffers), never references.
// This file must stay free of imports and runtime code: the sandbox bundle includes it as types only.

/** An invocation's kind decides what a handler's return value means. */
export type FunctionKind = 'insert' | 'destination'

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug'
export interface LogLine {
  level: LogLevel
  message: string
}

/** A thrown value, flattened inside the sandbox. `type` is the error class used for classification. */
export interface ThrownInfo {
  type: string
  name: string
  message: string
  stack?: string
}

/**
 * One event's outcome as the sandbox reports it (JSON-encoded inside `done`).
 * f: forwarded (insert), v: delivered with a value (destination), d: dropped, x: failed.
 */
export type SandboxItem =
  | { o: 'f'; e: unknown }
  | { o: 'v'; v?: unknown }
  | { o: 'd'; by: 'return' | 'DropEvent'; m?: string }
  | { o: 'x'; err: ThrownInfo }

/** Outcome of a whole onBatch call: its items, or one error that fails the batch. */
export type SandboxBatch = { items: (SandboxItem | null)[] } | { err: ThrownInfo }

/** What user code asks the host to fetch. */
export interface BridgeRequest {
  url: string
  method: string
  headers: [string, string][]
  body?: ArrayBuffer
  redirect: 'follow' | 'manual' | 'error'
}
export interface BridgeResponse {
  url: string
  status: number
  statusText: string
  redirected: boolean
  headers: [string, string][]
  body: ArrayBuffer
}
export interface BridgeFailure {
  name: string
  message: string
  code?: string
}

/** Parsed URL components as Node's URL reports them. */
export interface UrlParts {
  href: string
  origin: string
  protocol: string
  username: string
  password: string
  host: string
  hostname: string
  port: string
  pathname: string
  search: string
  hash: string
}

/** A host answer that may have failed: never a thrown host error (it would carry host stack frames). */
export type HostAnswer<T> = { ok: true; value: T } | { ok: false; name: string; message: string }

export type AsyncCallKind = 'fetch' | 'subtle'

/** Host functions the sandbox may call. Each is an ivm.Callback the prelude keeps in a closure. */
export interface HostBridge {
  /** Reports an invocation's result: a JSON-encoded SandboxItem or SandboxBatch, and its captured logs. */
  done(invocationId: number, payloadJson: string, logs: LogLine[] | undefined): void
  /** Starts an asynchronous host call; the host later enters `settle`. Returns an error message when refused. */
  start(invocationId: number, callId: number, kind: AsyncCallKind, payload: unknown): string | undefined
  /** Starts a host timer; the host later enters `fire`. Returns an error message when refused. */
  timer(invocationId: number, timerId: number, delayMs: number): string | undefined
  cancelTimer(timerId: number): void
  /** Synchronous host services: URL parsing, hashing, ciphers, randomness. */
  sync(op: string, args: unknown[]): HostAnswer<unknown>
}

/** Entry points the sandbox gives the host, in this order, from its boot function. */
export interface SandboxEntries {
  invoke(invocationId: number, kind: FunctionKind, batch: boolean, inputJson: string, settingsJson: string): void
  settle(invocationId: number, callId: number, ok: boolean, value: unknown): void
  fire(invocationId: number, timerId: number): boolean
  /** Abandons an invocation (its deadline passed); returns the items of a per-event batch finished so far. */
  end(invocationId: number): string | undefined
  /**
   * Runs single events (JSON text, with their settings) as invocations base, base + 1, ..., one after another.
   * With `reports`, answers a promise of what collect would answer, settled in the same entry once the run
   * has gone as far as it can (see dispatch.ts); without, the host calls collect.
   */
  invokeEach(base: number, kind: FunctionKind, inputsJson: string[], settingsJson: string[], reports: boolean): Promise<RunReport> | undefined
  /** Right after invokeEach: the items (as `done` would carry them) and logs of the events that finished, and how many started. */
  collect(base: number): RunReport | undefined
}

/** How far a run of single events got: the items of those finished (in order), their logs, how many started. */
export interface RunReport {
  items: string[]
  logs: (LogLine[] | null)[]
  started: number
}

/** Facts the host tells the sandbox at boot. */
export interface BootInfo {
  maxLogBytes: number
  maxResultBytes: number
  /** A run of single events (invokeEach) starts no event after it has taken this long, ms. */
  runSliceMs: number
}
