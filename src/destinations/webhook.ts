// The webhook destination: POST (or PUT/PATCH) the event as JSON to a URL with the configured headers
// (or, with batchSize above 1, a JSON array of events).
// The status decides: 2xx delivered; 408, 429 and 5xx retried (honouring Retry-After); other 4xx rejected.
import { Agent } from 'undici'
import { retryAfterMs } from '../pipeline/backoff.js'

export type DeliveryResult =
  | { ok: true; status: number; durationMs: number }
  | { ok: false; retry: boolean; status?: number; retryAfterMs?: number; message: string; durationMs: number }

export interface WebhookSettings {
  url: string
  method: 'POST' | 'PUT' | 'PATCH'
  headers: Record<string, string>
  /** Events per request: 1 sends each event as an object, more send JSON arrays of up to this many. */
  batchSize?: number
}

/** What the destination answered: status, Retry-After, the start of the body. */
interface Answer {
  status: number
  retryAfter?: string
  text: string
}

export function createWebhookDelivery(options: { timeoutMs?: number } = {}) {
  const timeout = options.timeoutMs ?? 10_000
  const agent = new Agent({ headersTimeout: timeout, bodyTimeout: timeout, connections: 64 })
  /** Origins and paths of the URLs seen: parsing a URL costs more than sending a small request. */
  const targets = new Map<string, { origin: string; path: string }>()
  function target(url: string): { origin: string; path: string } {
    let t = targets.get(url)
    if (t === undefined) {
      const u = new URL(url)
      t = { origin: u.origin, path: `${u.pathname}${u.search}` }
      if (targets.size > 1000) targets.clear()
      targets.set(url, t)
    }
    return t
  }
  // undici's dispatch with a handler of our own: request() would wrap every answer in a stream, which
  // measured twice the CPU per request of this (and the answer is read only for its first KB).
  function send(settings: WebhookSettings, body: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const answer: Answer = { status: 0, text: '' }
      const { origin, path } = target(settings.url)
      agent.dispatch(
        { origin, path, method: settings.method, headers: { 'content-type': 'application/json', 'user-agent': 'insertfn', ...settings.headers }, body },
        {
          onConnect() {},
          onHeaders(statusCode, rawHeaders) {
            answer.status = statusCode
            // Raw headers come as name, value, name, value; only Retry-After is of use.
            for (let i = 0; i < rawHeaders.length; i += 2) {
              if (rawHeaders[i]!.toString('latin1').toLowerCase() === 'retry-after') answer.retryAfter = rawHeaders[i + 1]!.toString('latin1')
            }
            return true
          },
          onData(chunk) {
            // Read to the end, so the connection can be reused; keep the first KB.
            if (answer.text.length < 1024) answer.text += chunk.toString('utf8', 0, Math.min(chunk.length, 1024))
            return true
          },
          onComplete: () => resolve(answer),
          onError: (err) => reject(err),
        },
      )
    })
  }
  async function deliver(settings: WebhookSettings, body: string, now = Date.now()): Promise<DeliveryResult> {
    const started = performance.now()
    try {
      const res = await send(settings, body)
      const text = res.text.slice(0, 1024)
      const durationMs = performance.now() - started
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, durationMs }
      const retry = res.status === 408 || res.status === 429 || res.status >= 500
      const after = retryAfterMs(res.retryAfter, now)
      return { ok: false, retry, status: res.status, ...(after === undefined ? {} : { retryAfterMs: after }), message: `webhook answered ${res.status}${text ? `: ${text}` : ''}`, durationMs }
    } catch (err) {
      const e = err as Error & { code?: string }
      return { ok: false, retry: true, message: `webhook unreachable: ${e.code ?? e.name}: ${e.message}`, durationMs: performance.now() - started }
    }
  }
  return { deliver, close: () => agent.close() }
}
