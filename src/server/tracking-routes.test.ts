// The tracking API, driven by Segment's own @segment/analytics-node over real HTTP, and by raw requests
// for everything a client can get wrong.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Analytics } from '@segment/analytics-node'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
let address: string
let writeKey: string
let destinations: string[]
before(async () => {
  s = await testServer()
  address = await s.app.listen({ port: 0, host: '127.0.0.1' })
  const source = await s.connections.createSource({ slug: 'web', enabled: true }, 'test')
  writeKey = source.writeKeys[0]!
  const hook = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://hooks.example.com/a' } }, 'test')
  const second = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://hooks.example.com/b' } }, 'test')
  // A disabled destination gets no jobs.
  await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', enabled: false, settings: { url: 'https://hooks.example.com/off' } }, 'test')
  destinations = [hook.id, second.id]
})
after(() => s.close())

/** Everything queued since the last drain, as [destinationId, event]. */
async function drain(): Promise<[string, Record<string, unknown>][]> {
  const jobs = await s.queue.lease(10_000, 60_000)
  for (const j of jobs) await s.queue.ack(j)
  return jobs.map((j) => [j.destinationId, JSON.parse(j.payload) as Record<string, unknown>])
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}, raw?: string) {
  const res = await s.app.inject({ method: 'POST', url: `/v1/${path}`, headers: { 'content-type': 'application/json', ...headers }, payload: raw ?? JSON.stringify(body) })
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers }
}
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` })

describe('tracking API', () => {
  it("accepts Segment's own analytics-node unmodified, one job per event and enabled destination", async () => {
    const analytics = new Analytics({ writeKey, host: address, flushAt: 3, flushInterval: 100, maxRetries: 0 })
    analytics.identify({ userId: 'u1', traits: { plan: 'pro' } })
    analytics.track({ userId: 'u1', event: 'Order Completed', properties: { total: 42 } })
    analytics.page({ anonymousId: 'a1', name: 'Pricing' })
    await analytics.closeAndFlush({ timeout: 5000 })
    const jobs = await drain()
    assert.equal(jobs.length, 6)
    assert.deepEqual([...new Set(jobs.map(([d]) => d))].sort(), [...destinations].sort())
    const track = jobs.find(([, e]) => e.type === 'track')![1]
    assert.equal(track.event, 'Order Completed')
    assert.deepEqual((track.context as { library: { name: string } }).library.name, '@segment/analytics-node')
    assert.ok(typeof track.messageId === 'string' && typeof track.receivedAt === 'string' && typeof track.timestamp === 'string')
  })

  it('takes the write key from Basic auth with or without the colon, or from the body', async () => {
    for (const headers of [basic(writeKey), { authorization: `Basic ${Buffer.from(writeKey).toString('base64')}` }, {}]) {
      const r = await post('track', { userId: 'u', event: 'E', ...(Object.keys(headers).length === 0 ? { writeKey } : {}) }, headers)
      assert.deepEqual([r.status, r.body], [200, { success: true }])
    }
    assert.equal((await drain()).length, 6)
  })

  it('analytics.js style: one-letter paths, text/plain bodies, CORS answered', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/v1/t', headers: { 'content-type': 'text/plain', origin: 'https://shop.example.com' }, payload: JSON.stringify({ writeKey, anonymousId: 'a', event: 'Clicked' }) })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['access-control-allow-origin'], '*')
    const preflight = await s.app.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } })
    assert.equal(preflight.statusCode, 204)
    assert.match(String(preflight.headers['access-control-allow-headers']), /Content-Type/)
    assert.equal((await drain()).length, 2)
  })

  it('a batch merges its context and integrations into each item; items refused for their content are named, the rest accepted', async () => {
    const r = await post('batch', {
      batch: [
        { type: 'track', userId: 'u', event: 'A' },
        { type: 'track', event: 'no ids' },
        { type: 'identify', userId: 'u', context: { ip: '1.1.1.1' } },
        { type: 'purchase', userId: 'u' },
      ],
      context: { ip: '9.9.9.9', locale: 'en' },
      integrations: { All: true },
    }, basic(writeKey))
    assert.equal(r.status, 200)
    assert.deepEqual((r.body.rejected as { index: number; field: string }[]).map((p) => [p.index, p.field]), [[1, 'userId'], [3, 'type']])
    const jobs = await drain()
    assert.equal(jobs.length, 4)
    const identify = jobs.find(([, e]) => e.type === 'identify')![1]
    assert.deepEqual(identify.context, { ip: '1.1.1.1', locale: 'en' })
    assert.deepEqual(identify.integrations, { All: true })
  })

  it('keeps keys named __proto__ and constructor as plain data, as any JSON key, and nothing of the server changes', async () => {
    // Valid JSON that a Node parser guarding against prototype pollution would refuse: a Segment client may
    // send it (properties named by users), and refusing it would lose the whole batch.
    const raw = `{"batch":[{"type":"track","userId":"u","event":"E","properties":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"plan":"pro"}},{"type":"identify","userId":"u","traits":{"__proto__":{"admin":true}}}]}`
    const r = await post('batch', undefined, basic(writeKey), raw)
    assert.deepEqual([r.status, r.body], [200, { success: true }])
    const jobs = await drain()
    assert.equal(jobs.length, 4, 'both events, for both destinations')
    const track = jobs.find(([, e]) => e.type === 'track')![1]
    const properties = track.properties as Record<string, unknown>
    assert.deepEqual(Object.getOwnPropertyDescriptor(properties, '__proto__')?.value, { polluted: true }, 'an own key, as sent')
    assert.deepEqual(properties.constructor, { prototype: { polluted: true } })
    assert.equal(properties.plan, 'pro')
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(({} as Record<string, unknown>).admin, undefined)
  })

  for (const [what, path, body, headers, raw, status, message] of [
    ['invalid JSON', 'track', undefined, {}, '{"userId": ', 400, /not valid JSON/],
    ['an unknown write key', 'track', { userId: 'u', event: 'E' }, { authorization: `Basic ${Buffer.from('nope:').toString('base64')}` }, undefined, 401, /not known/],
    ['no write key', 'track', { userId: 'u', event: 'E' }, {}, undefined, 401, /write key/],
    ['an event over 32 KB', 'track', { userId: 'u', event: 'E', properties: { b: 'x'.repeat(33 * 1024) } }, 'key', undefined, 400, /the limit is 32768/],
    ['a batch over 2,500 events', 'batch', { batch: Array.from({ length: 2501 }, () => ({})) }, 'key', undefined, 400, /may hold 2500 events/],
    ['a batch over 500 KB', 'batch', { batch: Array.from({ length: 30 }, () => ({ type: 'track', userId: 'u', event: 'E', properties: { b: 'x'.repeat(20 * 1024) } })) }, 'key', undefined, 400, /the limit is 512000|over 512000/],
    ['a batch without a batch array', 'batch', { events: [] }, 'key', undefined, 400, /needs a "batch" array/],
    ['an unknown endpoint', 'purchase', { userId: 'u' }, 'key', undefined, 404, /no endpoint \/v1\/purchase/],
  ] as const) {
    it(`answers ${status} with a message for ${what}, and enqueues nothing`, async () => {
      const r = await post(path, body, headers === 'key' ? basic(writeKey) : headers, raw)
      assert.equal(r.status, status, JSON.stringify(r.body))
      assert.equal(r.body.success, false)
      assert.match(String(r.body.message), message)
      assert.equal((await drain()).length, 0)
    })
  }
})
