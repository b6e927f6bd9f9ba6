// createRuntime(): the entry point of the library. One runtime holds the options, the host fetch and
// the loaded functions; each loaded function has an isolate of its own.
import type { BootInfo, FunctionKind } from './bridge.js'
import { createDefaultFetch } from './default-fetch.js'
import { LoadedFunction } from './loaded-function.js'
import { resolveOptions, type RuntimeOptions, type ResolvedOptions } from './options.js'

/**
 * A run of single events (LoadedFunction.invokeText) starts no event after it has taken this long, ms: an
 * entry holds the thread for about this long plus one event, and each event starts with its whole timeout.
 */
const RUN_SLICE_MS = 10

export interface LoadOptions {
  /** insert (default): the return value is the event to pass on. destination: it is the result. */
  kind?: FunctionKind
  /** Shown in stack traces and load errors; letters, digits, dot, dash and underscore. */
  name?: string
}

export interface Runtime {
  readonly options: ResolvedOptions
  /** Loads code into a new isolate. Rejects with FunctionLoadError when the code does not load. */
  load(code: string, options?: LoadOptions): Promise<LoadedFunction>
  /** Disposes every loaded function and closes the default fetch's connections. */
  close(): Promise<void>
}

let catastrophicHandlerNote = false
function onCatastrophicError(message: string): void {
  // V8 has lost control of an isolate and its memory: nothing in this process can be trusted. The queue's
  // leases bring unfinished work back once a supervisor restarts the process.
  if (!catastrophicHandlerNote) {
    catastrophicHandlerNote = true
    process.stderr.write(`insertfn: fatal sandbox error, exiting: ${message}\n`)
  }
  process.abort()
}

function assertNoNodeSnapshot(): void {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  if (!flags.includes('--no-node-snapshot')) {
    throw new Error(
      'insertfn/runtime needs Node.js started with --no-node-snapshot (an isolated-vm requirement on Node 20 and later): ' +
        'run `node --no-node-snapshot ...` or set NODE_OPTIONS=--no-node-snapshot',
    )
  }
}

const KIND = new Set<FunctionKind>(['insert', 'destination'])

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  assertNoNodeSnapshot()
  const resolved = resolveOptions(options)
  const network = resolved.fetch === undefined ? createDefaultFetch(resolved.allowPrivateNetwork) : undefined
  const fetch = resolved.fetch ?? network!.fetch
  const boot: BootInfo = {
    maxLogBytes: resolved.maxLogBytes,
    maxResultBytes: resolved.maxResultBytes,
    runSliceMs: RUN_SLICE_MS,
  }
  const loaded = new Set<LoadedFunction>()
  let closed = false

  return {
    options: resolved,
    async load(code, loadOptions = {}) {
      if (closed) throw new Error('runtime.load: the runtime is closed')
      if (typeof code !== 'string') throw new TypeError('runtime.load(code): code must be a string of JavaScript')
      const kind = loadOptions.kind ?? 'insert'
      if (!KIND.has(kind)) throw new TypeError(`runtime.load: kind must be "insert" or "destination", not ${String(kind)}`)
      const name = (loadOptions.name ?? 'function').replace(/[^\w.-]/g, '_').slice(0, 100) || 'function'
      const fn = new LoadedFunction({
        code,
        filename: `${name}.js`,
        kind,
        options: resolved,
        fetch,
        boot,
        onCatastrophicError,
        onDispose: (f) => loaded.delete(f),
      })
      loaded.add(fn)
      return fn
    },
    async close() {
      // Closing twice is harmless: the second call finds nothing left to close.
      if (closed) return
      closed = true
      await Promise.all([...loaded].map((fn) => fn.dispose()))
      await network?.close()
    },
  }
}
