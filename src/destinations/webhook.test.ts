import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createWebhookDelivery } from './webhook.js'

describe('the webhook destination', () => {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = []
  let answer: { status: number; headers?: Record<string, string>; body?: string } = { status: 200 }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '')
    })
  })
  let url = ''
  const webhook = createWebhookDelivery({ timeoutMs: 2000 })
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?k=v`
  })
  after(async () => {
    await webhook.close()
    server.close()
  })

  it('sends the body as JSON with the configured method and headers, and a 2xx is delivered', async () => {
    answer = { status: 204 }
    const r = await webhook.deliver({ url, method: 'PUT', headers: { authorization: 'Bearer t' } }, '{"a":1}')
    assert.deepEqual([r.ok, r.ok && r.status], [true, 204])
    const last = seen.at(-1)!
    assert.deepEqual([last.method, last.url, last.headers['content-type'], last.headers.authorization, last.body], ['PUT', '/hook?k=v', 'application/json', 'Bearer t', '{"a":1}'])
  })

  it('retries 5xx, 408 and 429 (with Retry-After), rejects other 4xx, and quotes the first KB of the answer', async () => {
    answer = { status: 503, body: 'x'.repeat(5000) }
    const busy = await webhook.deliver({ url, method: 'POST', headers: {} }, '{}')
    assert.ok(!busy.ok && busy.retry && busy.status === 503)
    assert.ok(!busy.ok && busy.message.length < 1100 && busy.message.startsWith('webhook answered 503: xxx'))
    answer = { status: 429, headers: { 'retry-after': '7' } }
    const limited = await webhook.deliver({ url, method: 'POST', headers: {} }, '{}', 1_000)
    assert.deepEqual(!limited.ok && [limited.retry, limited.retryAfterMs], [true, 7000])
    answer = { status: 400, body: 'bad email' }
    const rejected = await webhook.deliver({ url, method: 'POST', headers: {} }, '{}')
    assert.deepEqual(!rejected.ok && [rejected.retry, rejected.message], [false, 'webhook answered 400: bad email'])
  })

  it('a destination that cannot be reached is retried, with the reason', async () => {
    const r = await webhook.deliver({ url: 'http://127.0.0.1:1/nothing', method: 'POST', headers: {} }, '{}')
    assert.ok(!r.ok && r.retry)
    assert.match(!r.ok ? r.message : '', /^webhook unreachable: ECONNREFUSED/)
  })
})
