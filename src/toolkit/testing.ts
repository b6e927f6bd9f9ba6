// insertfn/testing: load a function file into the production sandbox and invoke it, with its HTTP
// requests answered by expectations the test declares. Plain promises and thrown errors, so it works
// with node:test, vitest or jest alike. Node must run with --no-node-snapshot (`insertfn test` does).
import { basename, extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRuntime, FunctionLoadError, type BatchResult, type InvocationResult, type LogLine, type RuntimeOptions } from '../runtime/index.js'
import { loadErrorMessage, loadFunctionSource, mapPositions } from './function-source.js'
import { HttpMock } from './http-mock.js'

export { HttpMock, Expectation, UnmatchedRequestError, PendingRequestsError } from './http-mock.js'
export type { RecordedRequest, UrlMatcher, BodyMatcher, ExpectOptions } from './http-mock.js'
export type { InvocationResult, BatchResult, EventResult, ErrorInfo, LogLine, RequestRecord } from '../runtime/index.js'

export interface LoadFunctionOptions {
  /** insert (default): a handler returns the event to pass on. destination: it returns a result. */
  kind?: 'insert' | 'destination'
  /** Settings used when invoke() is given none. @defaultValue {} */
  settings?: Record<string, unknown>
  /** Sandbox limits, as createRuntime takes them (the network is always the mock). */
  limits?: Omit<RuntimeOptions, 'fetch' | 'allowPrivateNetwork'>
}

type Event = Record<string, unknown>

/** A function loaded for a test. Call close() when done (in after/afterAll). */
export interface FunctionUnderTest {
  /** Expected requests; unmatched ones make invoke() reject. */
  readonly http: HttpMock
  /** What the code logged while loading. */
  readonly loadLogs: LogLine[]
  /**
   * Runs one event through its handler. Resolves with the runtime's result for anything the code does
   * (check `outcome`); rejects with UnmatchedRequestError when the code made an undeclared request.
   */
  invoke(event: Event, settings?: Record<string, unknown>): Promise<InvocationResult>
  /** Runs events as a batch (onBatch, or each through its handler). */
  invokeBatch(events: Event[], settings?: Record<string, unknown>): Promise<BatchResult>
  close(): Promise<void>
}

/**
 * Loads a .js or .ts function file (TypeScript is transpiled as `insertfn deploy` does) into a fresh
 * isolate. Rejects with a message naming the line and column when the code does not load.
 */
export async function loadFunction(file: string | URL, options: LoadFunctionOptions = {}): Promise<FunctionUnderTest> {
  const path = typeof file === 'string' ? file : fileURLToPath(file)
  const source = await loadFunctionSource(path)
  const http = new HttpMock()
  const runtime = createRuntime({ ...options.limits, fetch: http.fetch })
  const name = basename(path, extname(path))
  const fn = await runtime.load(source.code, { kind: options.kind ?? 'insert', name }).catch(async (err: unknown) => {
    await runtime.close()
    throw err instanceof FunctionLoadError ? new Error(`${path} does not load: ${loadErrorMessage(err, source)}`) : err
  })
  const defaults = options.settings ?? {}

  function settle<T>(result: T): T {
    const unmatched = http.takeUnmatched()
    if (unmatched !== undefined) throw unmatched
    return source.map === undefined ? result : (JSON.parse(mapPositions(JSON.stringify(result), name, path, source)) as T)
  }

  return {
    http,
    loadLogs: fn.loadLogs,
    invoke: async (event, settings = defaults) => {
      http.assertReady()
      return settle(await fn.invoke(event, settings))
    },
    invokeBatch: async (events, settings = defaults) => {
      http.assertReady()
      return settle(await fn.invokeBatch(events, settings))
    },
    async close() {
      await fn.dispose()
      await runtime.close()
    },
  }
}
