// Every request of user code passes here: the request is checked, the per-invocation count and the
// response size are capped, the deadline aborts it, and it is recorded (never with bodies or secrets).
import { z } from 'zod'
import type { BridgeFailure, BridgeResponse } from './bridge.js'
import type { ResolvedOptions } from './options.js'
import type { RequestRecord } from './result.js'

const BridgeRequestSchema = z.object({
  url: z.string().max(64 * 1024),
  method: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'method must be an HTTP token'),
  headers: z.array(z.tuple([z.string(), z.string()])).max(1000),
  body: z.instanceof(ArrayBuffer).optional(),
  redirect: z.enum(['follow', 'manual', 'error']),
})
export type CheckedRequest = z.infer<typeof BridgeRequestSchema>

export class BridgeError extends Error {
  readonly code: string | undefined
  constructor(message: string, code?: string) {
    super(message)
    this.name = 'FetchError'
    this.code = code
  }
  toFailure(): BridgeFailure {
    return { name: this.name, message: this.message, ...(this.code === undefined ? {} : { code: this.code }) }
  }
}

const SECRET_PARAM = /key|token|secret|pass|auth|sig|credential/i

/** The URL as it may be shown to people: no credentials, and no values of secret-looking parameters. */
export function redactUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return raw.slice(0, 200)
  }
  if (url.username !== '' || url.password !== '') {
    url.username = 'REDACTED'
    url.password = ''
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, 'REDACTED')
  }
  return url.href
}

export function checkRequest(payload: unknown): CheckedRequest {
  const parsed = BridgeRequestSchema.safeParse(payload)
  if (!parsed.success) throw new BridgeError(`invalid request: ${parsed.error.issues[0]?.message ?? 'malformed'}`)
  const protocol = /^([a-z][a-z0-9+.-]*):/i.exec(parsed.data.url)?.[1]?.toLowerCase()
  if (protocol !== 'http' && protocol !== 'https') {
    throw new BridgeError(`only http and https URLs can be fetched, not ${parsed.data.url.slice(0, 100)}`)
  }
  return parsed.data
}

async function readCapped(res: Response, max: number, url: string): Promise<ArrayBuffer> {
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) {
    // Not awaited: cancelling one branch of a teed body settles only when the other branch is done too.
    void res.body?.cancel().catch(() => undefined)
    throw new BridgeError(`response body from ${url} is ${declared} bytes, over the limit of ${max}`, 'EMAXSIZE')
  }
  if (res.body === null) return new ArrayBuffer(0)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      void reader.cancel().catch(() => undefined)
      throw new BridgeError(`response body from ${url} exceeds the limit of ${max} bytes`, 'EMAXSIZE')
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out.buffer
}

function describeFailure(err: unknown, url: string, signal: AbortSignal, timedOut: () => boolean): BridgeError {
  if (err instanceof BridgeError) return err
  if (timedOut()) return new BridgeError(`network timeout at: ${url}`, 'ETIMEDOUT')
  if (signal.aborted) return new BridgeError(`request to ${url} was cancelled: the invocation ended`, 'EABORTED')
  const e = err as Error & { cause?: Error & { code?: string } }
  const cause = e.cause ?? e
  const code = (cause as { code?: string }).code
  return new BridgeError(`request to ${url} failed, reason: ${cause.message}`, code)
}

/** Performs one request for user code. Resolves with the response or rejects with a BridgeError. */
export async function performFetch(
  fetch: (input: string, init: RequestInit) => Promise<Response>,
  req: CheckedRequest,
  options: ResolvedOptions,
  invocationSignal: AbortSignal,
  record: (r: RequestRecord) => void,
): Promise<BridgeResponse> {
  const started = performance.now()
  const shownUrl = redactUrl(req.url)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.fetchTimeoutMs)
  const controller = new AbortController()
  const onAbort = () => controller.abort()
  invocationSignal.addEventListener('abort', onAbort, { once: true })
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      redirect: req.redirect,
      signal: controller.signal,
    })
    const body = await readCapped(res, options.maxResponseBytes, shownUrl)
    record({ method: req.method, url: shownUrl, status: res.status, durationMs: performance.now() - started })
    return {
      url: res.url || req.url,
      status: res.status,
      statusText: res.statusText,
      redirected: res.redirected,
      headers: [...res.headers.entries()],
      body,
    }
  } catch (err) {
    const failure = describeFailure(err, shownUrl, invocationSignal, () => timedOut)
    record({ method: req.method, url: shownUrl, error: failure.message, durationMs: performance.now() - started })
    throw failure
  } finally {
    clearTimeout(timer)
    invocationSignal.removeEventListener('abort', onAbort)
  }
}
