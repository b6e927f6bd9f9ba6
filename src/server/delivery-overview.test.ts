// The Delivery Overview, read with Segment's own SDK over real HTTP, from delivery records written the way
// the worker writes them.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import segment from '@segment/public-api-sdk-typescript'
import { recordTo } from '../pipeline/delivery-records.js'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
let overview: InstanceType<typeof segment.DeliveryOverviewApi>
let address: string
before(async () => {
  s = await testServer()
  address = await s.app.listen({ port: 0, host: '127.0.0.1' })
  overview = new segment.DeliveryOverviewApi(`${address}/api`)
  overview.accessToken = s.tokens['Workspace Owner']
})
after(() => s.close())

// Two minutes of records: delivered (one after a retry), failed for two reasons, filtered twice.
const t0 = new Date(Math.floor(Date.now() / 3600_000) * 3600_000 - 3600_000) // the start of the previous hour
const at = (minute: number) => t0.getTime() + minute * 60_000 + 5_000

async function recordSample(destinationId: string) {
  const clock = { t: 0 }
  const record = recordTo(s.deliveries, () => clock.t)
  const report = (minute: number, attempt: number, outcome: Parameters<typeof record>[0]['outcome']) => {
    clock.t = at(minute)
    record({ jobId: 'j', destinationId, messageId: `m${minute}-${attempt}`, attempt, outcome, event: '{}' })
  }
  report(0, 1, { status: 'delivered' })
  report(0, 1, { status: 'delivered' })
  report(1, 3, { status: 'delivered' })
  report(0, 1, { status: 'failed', category: 'Bad Request', reason: 'x' })
  report(1, 1, { status: 'failed', category: 'Retry exhausted', reason: 'y' })
  report(1, 1, { status: 'failed', category: 'Bad Request', reason: 'z' })
  report(1, 1, { status: 'filtered', by: 'insert function' })
  report(0, 1, { status: 'filtered', by: 'filter', detail: 'DROP' })
  await s.deliveries.flush()
}

it('answers successful-delivery, failed-delivery and filtered-at-destination in Segment\'s shapes, per minute, hour or day', async () => {
  const source = await s.connections.createSource({ slug: 'overview', enabled: true }, 't')
  const d = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
  await recordSample(d.id)
  const start = t0.toISOString()
  const end = new Date(t0.getTime() + 3 * 60_000).toISOString()

  const ok = (await overview.getEgressSuccessMetricsFromDeliveryOverview(source.id, d.id, start, end, 'minute', { count: 10 })).body.data!
  assert.equal(ok.total, 3)
  // The SDK's models carry every optional field as undefined; compare what was on the wire.
  assert.deepEqual(JSON.parse(JSON.stringify(ok.dataset)), [{
    total: 3, totalRetryCount: 1,
    series: [0, 1, 2].map((m) => ({ time: new Date(t0.getTime() + m * 60_000).toISOString(), count: [2, 1, 0][m], retryCount: [0, 1, 0][m] })),
  }])

  const failed = (await overview.getEgressFailedMetricsFromDeliveryOverview(source.id, d.id, start, end, 'minute', { count: 10 }, ['discardReason'])).body.data!
  assert.equal(failed.total, 3)
  assert.deepEqual(failed.dataset.map((x) => [x.discardReason, x.total, x.series.map((p) => p.count)]), [['Bad Request', 2, [1, 1, 0]], ['Retry exhausted', 1, [0, 1, 0]]])
  assert.deepEqual(JSON.parse(JSON.stringify(failed.pagination)), { current: '', totalEntries: 2 })

  const onlyBad = (await overview.getEgressFailedMetricsFromDeliveryOverview(source.id, d.id, start, end, 'minute', { count: 10 }, undefined, { discardReason: ['Retry exhausted'] })).body.data!
  assert.equal(onlyBad.total, 1)

  const hourly = (await overview.getFilteredAtDestinationMetricsFromDeliveryOverview(source.id, d.id, start, new Date(t0.getTime() + 2 * 3600_000).toISOString(), 'hour', { count: 1 }, ['discardReason'])).body.data!
  assert.equal(hourly.total, 2)
  assert.deepEqual(hourly.dataset.map((x) => [x.discardReason, x.series.map((p) => p.count)]), [['filter', [1, 0]]], 'one dataset per page')
  const second = (await overview.getFilteredAtDestinationMetricsFromDeliveryOverview(source.id, d.id, start, new Date(t0.getTime() + 2 * 3600_000).toISOString(), 'hour', { count: 1, cursor: hourly.pagination.next! }, ['discardReason'])).body.data!
  assert.deepEqual(second.dataset.map((x) => x.discardReason), ['insert function'])
  assert.equal(second.pagination.next, undefined)
})

it('refuses what it cannot answer, saying why', async () => {
  const source = await s.connections.createSource({ slug: 'overview-bad', enabled: true }, 't')
  const other = await s.connections.createSource({ slug: 'overview-other', enabled: true }, 't')
  const d = await s.connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
  const now = Date.now()
  const iso = (ms: number) => new Date(ms).toISOString()
  const call = async (query: string) => {
    const res = await fetch(`${address}/api/delivery-overview/failed-delivery?${query}`, { headers: { authorization: `Bearer ${s.tokens['Workspace Owner']}` } })
    const body = (await res.json()) as { errors: { message: string; field?: string }[] }
    return [res.status, body.errors[0]!.field, body.errors[0]!.message] as const
  }
  const base = `sourceId=${source.id}&destinationConfigId=${d.id}&granularity=minute`
  assert.deepEqual((await call(`${base}&startTime=${iso(now - 5 * 3600_000)}&endTime=${iso(now)}`)).slice(0, 2), [400, 'endTime'], 'minute buckets over more than 4 hours')
  assert.deepEqual((await call(`${base}&startTime=${iso(now - 60_000)}&endTime=${iso(now)}&groupBy=eventName`)).slice(0, 2), [400, 'groupBy'])
  assert.match((await call(`${base}&startTime=${iso(now - 60_000)}&endTime=${iso(now)}&groupBy=eventName`))[2], /not per eventName/)
  assert.deepEqual((await call(`${base}&startTime=yesterday&endTime=${iso(now)}`)).slice(0, 2), [400, 'startTime'])
  assert.deepEqual((await call(`sourceId=${other.id}&destinationConfigId=${d.id}&granularity=minute&startTime=${iso(now - 60_000)}&endTime=${iso(now)}`)).slice(0, 2), [400, 'destinationConfigId'])
  assert.deepEqual((await call(`${base.replace('minute', 'week')}&startTime=${iso(now - 60_000)}&endTime=${iso(now)}`)).slice(0, 2), [400, 'granularity'])
  const readOnly = await fetch(`${address}/api/delivery-overview/failed-delivery?${base}&startTime=${iso(now - 60_000)}&endTime=${iso(now)}`, { headers: { authorization: `Bearer ${s.tokens['Functions Read-only']}` } })
  assert.equal(readOnly.status, 200, 'reading records needs sources:read, which read-only has')
})
