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
