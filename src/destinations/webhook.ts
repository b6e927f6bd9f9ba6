// The webhook destination: POST (or PUT/PATCH) the event as JSON to a URL with the configured headers
// (or, with batchSize above 1, a JSON array of events).
// The status decides: 2xx delivered; 408, 429 and 5xx retried (honouring Retry-After); other 4xx rejected.
import { Agent, request } from 'undici'
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

export function createWebhookDelivery(options: { timeoutMs?: number } = {}) {
  const timeout = options.timeoutMs ?? 10_000
  const agent = new Agent({ headersTimeout: timeout, bodyTimeout: timeout, connections: 64 })
  async function deliver(settings: WebhookSettings, body: string, now = Date.now()): Promise<DeliveryResult> {
    const started = performance.now()
    try {
      const res = await request(settings.url, {
        method: settings.method,
        headers: { 'content-type': 'application/json', 'user-agent': 'insertfn', ...settings.headers },
        body,
        dispatcher: agent,
      })
      // Read (and cap) the answer so the connection can be reused.
      const text = (await res.body.text()).slice(0, 1024)
      const durationMs = performance.now() - started
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode, durationMs }
      const retry = res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500
      const after = retryAfterMs(res.headers['retry-after'], now)
      return { ok: false, retry, status: res.statusCode, ...(after === undefined ? {} : { retryAfterMs: after }), message: `webhook answered ${res.statusCode}${text ? `: ${text}` : ''}`, durationMs }
    } catch (err) {
      const e = err as Error & { code?: string }
      return { ok: false, retry: true, message: `webhook unreachable: ${e.code ?? e.name}: ${e.message}`, durationMs: performance.now() - started }
    }
  }
  return { deliver, close: () => agent.close() }
}
