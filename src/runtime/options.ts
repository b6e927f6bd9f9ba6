// Runtime options: units in the names, defaults documented here, validated once and frozen.
import { z } from 'zod'

/** A WHATWG fetch, as the host provides it. Every request of user code goes through it. */
export type HostFetch = (input: string, init: RequestInit) => Promise<Response>

const OptionsSchema = z.strictObject({
  /** Host-side fetch for user code's requests. @defaultValue the real network, private addresses refused */
  fetch: z.custom<HostFetch>((v) => typeof v === 'function', 'fetch must be a function (a WHATWG fetch)').optional(),
  /** Wall-clock deadline per invocation (one event or one batch), ms. It also bounds any single run of user code. @defaultValue 5000 */
  timeoutMs: z.number().int().min(10).max(600_000).default(5_000),
  /** Heap per isolate, MB. Hostile code can reach 2-3x this before V8 stops it. @defaultValue 128 */
  memoryMb: z.number().int().min(8).max(4096).default(128),
  /** Console output kept per invocation, bytes (characters). @defaultValue 4096 */
  maxLogBytes: z.number().int().min(0).max(1 << 20).default(4096),
  /** Largest JSON an insert function may return per event, bytes. @defaultValue 262144 */
  maxResultBytes: z.number().int().min(1024).max(16 << 20).default(256 * 1024),
  /** Per request of user code, ms; the invocation's deadline applies as well. @defaultValue 10000 */
  fetchTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
  /** Largest response body user code may read, bytes. @defaultValue 10485760 */
  maxResponseBytes: z.number().int().min(0).max(1 << 30).default(10 * 1024 * 1024),
  /** Requests user code may make per event (a batch of n events may make n times this). @defaultValue 20 */
  maxRequestsPerEvent: z.number().int().min(0).max(10_000).default(20),
  /**
   * Lets the default fetch reach loopback, private and link-local addresses. Off by default, as in
   * production; the CLI turns it on for local development. Ignored when `fetch` is given.
   * @defaultValue false
   */
  allowPrivateNetwork: z.boolean().default(false),
  /**
   * Runs of events (LoadedFunction.invokeText, what the pipeline uses) execute on a thread of
   * isolated-vm's pool, so the calling thread goes on with its other work, such as sending the events
   * of the run before. A function that calls the host often (crypto, URL, fetch, timers) runs on the
   * calling thread anyway, where those calls are cheaper. Off: every run blocks the calling thread.
   * @defaultValue true
   */
  offThreadRuns: z.boolean().default(true),
  /**
   * A run of events expected to take less than this, ms of the isolate's CPU (its events times the recent
   * time per event, LoadedFunction.expectedMsPerEvent), stays on the calling thread: handing it over costs
   * more than it frees, and the two hand-offs between threads showed in the latency at light load (p99 of
   * 8.5 to 26.5 ms at 1,000 events/s against 7.6 to 13.1, docs/runtime.md). 0 hands over every run.
   * @defaultValue 1
   */
  offThreadMinRunMs: z.number().min(0).max(60_000).default(1),
})

export type RuntimeOptions = z.input<typeof OptionsSchema>
export type ResolvedOptions = Readonly<z.output<typeof OptionsSchema>>

export class InvalidOptionsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidOptionsError'
  }
}

export function resolveOptions(options: RuntimeOptions = {}): ResolvedOptions {
  const parsed = OptionsSchema.safeParse(options)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')
    throw new InvalidOptionsError(`createRuntime: invalid options: ${problems}`)
  }
  return Object.freeze(parsed.data)
}
