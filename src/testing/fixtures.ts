// Builders for tests: events with defaults, a host fetch that answers from a table, and a runtime that
// is closed after the test.
import { randomUUID } from 'node:crypto'
import { after } from 'node:test'
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/index.js'

export const FIXED_TIME = '2026-11-27T07:00:00.000Z'

export function testEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'track',
    event: 'Order Completed',
    messageId: randomUUID(),
    userId: 'user-1',
    anonymousId: 'anon-1',
    timestamp: FIXED_TIME,
    properties: { total: 42.5, currency: 'USD' },
    context: { ip: '203.0.113.7', library: { name: 'analytics-node', version: '2.2.0' } },
    ...over,
  }
}

export interface SeenRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: string
}

export type Answer = Response | ((req: SeenRequest) => Response | Promise<Response>)

/** A WHATWG fetch that records what it was asked and answers from routes (exact URL, or prefix ending in *). */
export function mockFetch(routes: Record<string, Answer> = {}) {
  const seen: SeenRequest[] = []
  const fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries())
    const body = init.body === undefined || init.body === null ? '' : Buffer.from(init.body as ArrayBuffer).toString('utf8')
    const req = { url: input, method: init.method ?? 'GET', headers, body }
    seen.push(req)
    const key = Object.keys(routes).find((k) => k === input || (k.endsWith('*') && input.startsWith(k.slice(0, -1))))
    if (key === undefined) throw new TypeError('fetch failed', { cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${new URL(input).hostname}`), { code: 'ENOTFOUND' }) })
    const answer = routes[key]!
    return typeof answer === 'function' ? answer(req) : answer.clone()
  }
  return { fetch, seen }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** A runtime closed when the current test file ends. */
export function testRuntime(options: RuntimeOptions = {}): Runtime {
  const runtime = createRuntime(options)
  after(() => runtime.close())
  return runtime
}
