// Under overload, ingestion pushes back before the queue grows without bound.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
let writeKey: string
before(async () => {
  s = await testServer({ maxQueueDepth: 50 })
  const source = await s.connections.createSource({ slug: 'busy', enabled: true }, 't')
  await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
  writeKey = source.writeKeys[0]!
})
after(() => s.close())

it('answers 429 with Retry-After once the queue is full, and accepts again once it drains', async () => {
  const post = () => s.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ writeKey, batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: 'u', event: `E${i}` })) }) })
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) {
    statuses.push((await post()).statusCode)
    await new Promise((r) => setTimeout(r, 110)) // the depth is read at most every 100 ms
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429])
  const refused = await post()
  assert.equal(refused.headers['retry-after'], '5')
  assert.match(String((refused.json() as { message: string }).message), /insertfn is behind/)
  assert.equal(await s.queue.depth(), 60) // nothing was enqueued once full
  for (const job of await s.queue.lease(1000, 60_000)) await s.queue.ack(job)
  await new Promise((r) => setTimeout(r, 110))
  assert.equal((await post()).statusCode, 200)
})
