// One isolate with the prelude booted and the user's code loaded. Every entry is synchronous and bounded
// by a timeout; what isolated-vm throws is turned into a SandboxFault here, once.
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import ivm from 'isolated-vm'
import type { BootInfo, FunctionKind, HostBridge, LogLine, RunReport } from './bridge.js'
import { loadError } from './load-error.js'

// isolated-vm clears V8's semi-space flag when it loads, so that the host's flags cannot loosen a sandbox's
// limits, and then sizes a sandbox's young generation from its memory limit: 2 MB at the default 128 MB.
// A run of events allocates several KB per event, so the sandbox scavenged every ~150 events, a sixth of a
// trivial function's time (docs/runtime.md). So a sandbox is made with the flag at 16 MB, the ceiling V8
// gives a 64-bit Node heap; the memory limit still bounds the old generation, and V8 shrinks an idle
// function's young generation again. The flag is the process's: it is put back at once, so that threads
// started later keep the young generation they ask for (BUSY_THREAD_HEAP). A thread that starts in that
// instant, or a sandbox made on another thread then, gets a different size, not a different behaviour.
const SANDBOX_SEMI_SPACE_MB = 16
function newIsolate(options: ivm.IsolateOptions): ivm.Isolate {
  setFlagsFromString(`--max-semi-space-size=${SANDBOX_SEMI_SPACE_MB}`)
  try {
    return new ivm.Isolate(options)
  } finally {
    setFlagsFromString('--max-semi-space-size=0')
  }
}

const PRELUDE_FILE = new URL('../../sandbox/prelude.js', import.meta.url)
const PRELUDE_NAME = 'insertfn:prelude.js'
const HANDLERS = ['onIdentify', 'onTrack', 'onPage', 'onScreen', 'onGroup', 'onAlias', 'onDelete', 'onBatch']
// Runs after the user's script in the same global scope, so it also sees top-level let, const and class.
const RESOLVER = `__insertfn_install(${HANDLERS.map((h) => `typeof ${h} === 'undefined' ? undefined : ${h}`).join(', ')})`
const RESOLVER_NAME = 'insertfn:resolver.js'

/** Compiled once per process: the prelude source, and V8's code cache for it and the resolver. */
interface CompiledCache {
  prelude: string
  preludeData?: ivm.ExternalCopy<ArrayBuffer>
  resolverData?: ivm.ExternalCopy<ArrayBuffer>
}
let cache: CompiledCache | undefined

type CachedScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean }

function compileCached(isolate: ivm.Isolate, code: string, filename: string, key: 'preludeData' | 'resolverData'): ivm.Script {
  const c = cache!
  const data = c[key]
  if (data !== undefined) {
    const script = isolate.compileScriptSync(code, { filename, cachedData: data }) as CachedScript
    if (script.cachedDataRejected !== true) return script
  }
  const script = isolate.compileScriptSync(code, { filename, produceCachedData: true }) as CachedScript
  if (script.cachedData !== undefined) c[key] = script.cachedData
  return script
}

export type SandboxFault =
  | { kind: 'timeout'; message: string }
  | { kind: 'memory'; message: string }
  | { kind: 'broken'; message: string }

function faultOf(err: unknown, isolate: ivm.Isolate): SandboxFault {
  const message = err instanceof Error ? err.message : String(err)
  if (/memory limit/i.test(message)) return { kind: 'memory', message }
  if (isolate.isDisposed) return { kind: 'memory', message }
  if (/timed out/i.test(message)) return { kind: 'timeout', message }
  return { kind: 'broken', message }
}

export interface SandboxSetup {
  code: string
  filename: string
  memoryMb: number
  loadTimeoutMs: number
  boot: BootInfo
  bridge: HostBridge
  onCatastrophicError: (message: string) => void
}

const COPY = { arguments: { copy: true } } as const
// The hot path passes only primitives (which cross without the copy machinery) and the same timeout
// every time: reuse its options object.
let lastOptions = { timeout: 1 }
function entryOptions(timeoutMs: number): typeof lastOptions {
  const timeout = Math.max(1, Math.ceil(timeoutMs))
  if (lastOptions.timeout !== timeout) lastOptions = { timeout }
  return lastOptions
}
/** How long past its timeout the host waits for a run to report before it counts the sandbox as broken. */
const RUN_REPORT_GRACE_MS = 1000
/** isolated-vm wants whole milliseconds, at least one. */
const ms = (value: number): number => Math.max(1, Math.ceil(value))

export class SandboxIsolate {
  readonly handlers: ReadonlySet<string>
  readonly loadLogs: LogLine[]
  readonly #isolate: ivm.Isolate
  readonly #context: ivm.Context
  readonly #invoke: ivm.Reference<(...a: unknown[]) => void>
  readonly #settle: ivm.Reference<(...a: unknown[]) => void>
  readonly #fire: ivm.Reference<(...a: unknown[]) => boolean>
  readonly #end: ivm.Reference<(...a: unknown[]) => string | undefined>
  readonly #invokeEach: ivm.Reference<(...a: unknown[]) => void>
  readonly #collect: ivm.Reference<(...a: unknown[]) => unknown>

  /** Builds the isolate and loads the code; throws FunctionLoadError when the code does not load. */
  constructor(setup: SandboxSetup) {
    cache ??= { prelude: readFileSync(PRELUDE_FILE, 'utf8') }
    this.#isolate = newIsolate({ memoryLimit: setup.memoryMb, onCatastrophicError: setup.onCatastrophicError })
    try {
      this.#context = this.#isolate.createContextSync()
      compileCached(this.#isolate, cache.prelude, PRELUDE_NAME, 'preludeData').runSync(this.#context)
      const boot = this.#context.global.getSync('__insertfn_boot', { reference: true }) as ivm.Reference<(...a: unknown[]) => unknown>
      const b = setup.bridge
      const entries = boot.applySync(
        undefined,
        [
          new ivm.Callback(b.done),
          new ivm.Callback(b.start),
          new ivm.Callback(b.timer),
          new ivm.Callback(b.cancelTimer),
          new ivm.Callback(b.sync),
          new ivm.ExternalCopy(setup.boot).copyInto(),
        ],
        { result: { reference: true } },
      ) as ivm.Reference<Record<string, unknown>>
      this.#invoke = entries.getSync('0', { reference: true }) as ivm.Reference<(...a: unknown[]) => void>
      this.#settle = entries.getSync('1', { reference: true }) as ivm.Reference<(...a: unknown[]) => void>
      this.#fire = entries.getSync('2', { reference: true }) as ivm.Reference<(...a: unknown[]) => boolean>
      this.#end = entries.getSync('3', { reference: true }) as ivm.Reference<(...a: unknown[]) => string | undefined>
      this.#invokeEach = entries.getSync('4', { reference: true }) as ivm.Reference<(...a: unknown[]) => void>
      this.#collect = entries.getSync('5', { reference: true }) as ivm.Reference<(...a: unknown[]) => unknown>
      entries.release()
      boot.release()
    } catch (err) {
      this.#isolate.dispose()
      throw new Error(`insertfn could not start a sandbox: ${(err as Error).message}`)
    }
    try {
      const script = this.#isolate.compileScriptSync(setup.code, { filename: setup.filename })
      script.runSync(this.#context, { timeout: setup.loadTimeoutMs })
      const found = compileCached(this.#isolate, RESOLVER, RESOLVER_NAME, 'resolverData').runSync(this.#context, {
        timeout: setup.loadTimeoutMs,
        copy: true,
      }) as { handlers: string[]; logs: LogLine[] }
      this.handlers = new Set(found.handlers)
      this.loadLogs = found.logs
    } catch (err) {
      this.dispose()
      throw loadError(err, setup.filename, setup.loadTimeoutMs)
    }
  }

  get disposed(): boolean {
    return this.#isolate.isDisposed
  }

  /**
   * How long the isolate has run, ms of its threads' CPU, all entries together; NaN once disposed. Not
   * isolated-vm's wall time, whose clock starts before the isolate's lock is taken: time spent waiting for
   * the lock is not time the function ran.
   */
  get busyMs(): number {
    if (this.#isolate.isDisposed) return NaN
    return Number(this.#isolate.cpuTime) / 1e6
  }

  /** Each entry returns a fault when the sandbox can no longer be trusted (stuck, out of memory, broken). */
  /** Events and settings enter as JSON text: the function sees exactly what a destination would. */
  invoke(id: number, kind: FunctionKind, batch: boolean, inputJson: string, settingsJson: string, timeoutMs: number): SandboxFault | undefined {
    try {
      this.#invoke.applySync(undefined, [id, kind, batch, inputJson, settingsJson], entryOptions(timeoutMs))
      return undefined
    } catch (err) {
      return faultOf(err, this.#isolate)
    }
  }

  /** Single events as JSON text, run one after another as invocations base, base + 1, ...; collect() tells how far it got. */
  invokeEach(base: number, kind: FunctionKind, inputsJson: string[], settingsJson: string[], timeoutMs: number): SandboxFault | undefined {
    try {
      this.#invokeEach.applySync(undefined, [base, kind, inputsJson, settingsJson, false], { ...COPY, timeout: ms(timeoutMs) })
      return undefined
    } catch (err) {
      return faultOf(err, this.#isolate)
    }
  }

  /**
   * invokeEach on a thread of isolated-vm's pool, answering what collect would: the run reports itself
   * inside its entry, so its items are copied out on that thread and the calling thread makes no second
   * entry. The calling thread goes on with other work until it settles, and makes no other entry into
   * this isolate meanwhile (it would block on the isolate's lock while the run may be waiting for that
   * thread to answer a host call). A fault (the run timed out, say) leaves the run to collect.
   */
  async invokeEachOffThread(base: number, kind: FunctionKind, inputsJson: string[], settingsJson: string[], timeoutMs: number): Promise<RunReport | SandboxFault> {
    const run = this.#invokeEach.apply(undefined, [base, kind, inputsJson, settingsJson, true], { ...COPY, timeout: ms(timeoutMs), result: { promise: true, copy: true } }) as Promise<RunReport | undefined>
    // A run reports before its entry ends, whatever its events await; one that has not by the end of its
    // time (the function broke the sandbox's promises, say) is a broken sandbox, not a wait.
    let watchdog: NodeJS.Timeout | undefined
    const gaveUp = new Promise<SandboxFault>((resolve) => {
      watchdog = setTimeout(() => resolve({ kind: 'broken', message: 'a run of events did not report its end' }), ms(timeoutMs) + RUN_REPORT_GRACE_MS)
    })
    try {
      const report = await Promise.race([run, gaveUp])
      if (report === undefined) return { kind: 'broken', message: `the sandbox did not report run ${base}` }
      return report
    } catch (err) {
      return faultOf(err, this.#isolate)
    } finally {
      clearTimeout(watchdog)
      // The run's promise may still settle (rejected, once the isolate is disposed): nothing waits on it.
      run.catch(() => {})
    }
  }

  /** What an invokeEach run finished and how many of its events it started; it still answers after the run timed out. */
  collect(base: number, timeoutMs: number): RunReport | SandboxFault {
    try {
      const value = this.#collect.applySync(undefined, [base], { timeout: ms(timeoutMs), result: { copy: true } }) as RunReport | undefined
      return value ?? { kind: 'broken', message: `the sandbox knows no run ${base}` }
    } catch (err) {
      return faultOf(err, this.#isolate)
    }
  }

  settle(id: number, callId: number, ok: boolean, value: unknown, timeoutMs: number): SandboxFault | undefined {
    try {
      this.#settle.applySync(undefined, [id, callId, ok, value], { ...COPY, timeout: ms(timeoutMs) })
      return undefined
    } catch (err) {
      return faultOf(err, this.#isolate)
    }
  }

  fire(id: number, timerId: number, timeoutMs: number): boolean | SandboxFault {
    try {
      return this.#fire.applySync(undefined, [id, timerId], { timeout: ms(timeoutMs) }) === true
    } catch (err) {
      return faultOf(err, this.#isolate)
    }
  }

  end(id: number, timeoutMs: number): string | undefined | SandboxFault {
    try {
      const partial = this.#end.applySync(undefined, [id], { timeout: ms(timeoutMs) })
      return typeof partial === 'string' ? partial : undefined
    } catch (err) {
      return faultOf(err, this.#isolate)
    }
  }

  dispose(): void {
    if (!this.#isolate.isDisposed) this.#isolate.dispose()
  }
}

export function isFault(value: unknown): value is SandboxFault {
  return typeof value === 'object' && value !== null && 'kind' in value && 'message' in value
}
