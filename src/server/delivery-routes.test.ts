import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
before(async () => {
  s = await testServer()
})
after(() => s.close())

const call = async (method: 'GET' | 'POST', url: string, body?: unknown, token = s.tokens['Workspace Owner']) => {
  const res = await s.app.inject({ method, url: `/api${url}`, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
  return { status: res.statusCode, body: res.json() as Record<string, any> }
}

it('replays the failed events of a destination, all or since a time; only roles that may write sources can', async () => {
  const source = await s.connections.createSource({ slug: 'r', enabled: true }, 't')
  const d = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
  await s.queue.enqueue([{ destinationId: d.id, payload: '{}' }, { destinationId: d.id, payload: '{}' }])
  for (const job of await s.queue.lease(10, 60_000)) await s.queue.fail(job, 'Bad Request: broken')
  assert.equal(await s.queue.depth(), 0)
  assert.equal((await call('POST', `/destinations/${d.id}/replay`, {}, s.tokens['Functions Read-only'])).status, 403)
  const future = await call('POST', `/destinations/${d.id}/replay`, { since: '2999-01-01T00:00:00Z' })
  assert.deepEqual(future.body, { data: { replayed: 0 } })
  const all = await call('POST', `/destinations/${d.id}/replay`, {})
  assert.deepEqual(all.body, { data: { replayed: 2 } })
  assert.equal(await s.queue.depth(), 2)
  const bad = await call('POST', `/destinations/${d.id}/replay`, { since: 'yesterday' })
  assert.deepEqual([bad.status, bad.body.errors[0].field], [400, 'since'])
  assert.equal((await call('POST', '/destinations/dst_nope/replay', {})).status, 404)
})

it('replays one failed event by its messageId, or those that failed in a range, and says why when there is none', async () => {
  const source = await s.connections.createSource({ slug: 'one', enabled: true }, 't')
  const d = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
  await s.queue.enqueue(['a', 'b'].map((id) => ({ destinationId: d.id, payload: JSON.stringify({ messageId: id, type: 'track' }) })))
  for (const job of await s.queue.lease(10, 60_000)) await s.queue.fail(job, 'Bad Request: broken')
  const one = await call('POST', `/destinations/${d.id}/replay`, { messageId: 'b' })
  assert.deepEqual(one.body, { data: { replayed: 1 } })
  assert.deepEqual((await s.queue.lease(10, 60_000)).map((j) => JSON.parse(j.payload).messageId), ['b'])
  const again = await call('POST', `/destinations/${d.id}/replay`, { messageId: 'b' })
  assert.equal(again.status, 404)
  assert.match(again.body.errors[0].message, /no failed event with messageId b is waiting for replay/)
  const backwards = await call('POST', `/destinations/${d.id}/replay`, { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' })
  assert.deepEqual([backwards.status, backwards.body.errors[0].field, backwards.body.errors[0].message], [400, 'until', 'until: since must be before until'])
  const past = await call('POST', `/destinations/${d.id}/replay`, { until: '2020-01-01T00:00:00Z' })
  assert.deepEqual(past.body, { data: { replayed: 0 } })
  const range = await call('POST', `/destinations/${d.id}/replay`, { since: '2020-01-01T00:00:00Z', until: '2999-01-01T00:00:00Z' })
  assert.deepEqual(range.body, { data: { replayed: 1 } })
})

it('lists delivery records and metrics for a destination, and refuses an unknown status', async () => {
  const source = await s.connections.createSource({ slug: 'm', enabled: true }, 't')
  const d = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
  s.deliveries.report({ destinationId: d.id, messageId: 'm1', status: 'failed', detail: 'Bad Request', reason: 'x', attempt: 1, at: new Date(), event: '{"a":1}' })
  await s.deliveries.flush()
  const events = await call('GET', `/destinations/${d.id}/events?status=failed`)
  assert.deepEqual(events.body.data.events.map((e: { messageId: string }) => e.messageId), ['m1'])
  const metrics = await call('GET', `/destinations/${d.id}/delivery-metrics`)
  assert.deepEqual([metrics.body.data.totals, metrics.body.data.byDetail], [{ failed: 1 }, { failed: { 'Bad Request': 1 } }])
  const bad = await call('GET', `/destinations/${d.id}/events?status=lost`)
  assert.deepEqual([bad.status, bad.body.errors[0].field], [400, 'status'])
})
