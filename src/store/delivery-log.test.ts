import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DeliveryLog } from './delivery-log.js'
import { retainedMb } from '../testing/heap.js'
import { DIALECTS, openTestStore, type TestStore } from '../testing/stores.js'

for (const dialect of DIALECTS) {
  describe(`${dialect}: delivery records`, () => {
    let store: TestStore
    before(async () => {
      store = await openTestStore(dialect)
    })
    after(() => store.destroy())

    it('counts outcomes per minute, status and detail across flushes, and keeps the recent events newest first', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0 })
      const at = new Date('2026-11-27T07:00:30Z')
      log.report({ destinationId: 'd1', messageId: 'm1', status: 'delivered', detail: '', attempt: 1, at, event: '{"n":1}', sent: '{"n":1,"enriched":true}' })
      log.report({ destinationId: 'd1', messageId: 'm2', status: 'failed', detail: 'Message Rejected', reason: 'ValidationError: no email', attempt: 1, at: new Date('2026-11-27T07:00:31Z'), event: '{"n":2}', trace: { logs: [{ level: 'log', message: 'hi' }], requests: [] } })
      await log.flush()
      log.report({ destinationId: 'd1', messageId: 'm3', status: 'delivered', detail: '', attempt: 2, at: new Date('2026-11-27T07:00:45Z'), event: '{"n":3}' })
      log.report({ destinationId: 'd2', messageId: 'x', status: 'filtered', detail: 'filter', attempt: 1, at })
      await log.close()
      const counts = (await log.counts('d1')).sort((a, b) => a.status.localeCompare(b.status))
      assert.deepEqual(counts, [
        { bucket: '2026-11-27T07:00', status: 'delivered', detail: '', count: 2 },
        { bucket: '2026-11-27T07:00', status: 'failed', detail: 'Message Rejected', count: 1 },
      ])
      const recent = await log.recent('d1', { count: 10 })
      assert.deepEqual(recent.map((e) => e.messageId), ['m3', 'm2', 'm1'])
      // What the destination was sent, where a function changed the event; null where it went as queued.
      assert.deepEqual(recent.map((e) => e.sent), [null, null, { n: 1, enriched: true }])
      const failed = await log.recent('d1', { count: 10, status: 'failed' })
      assert.deepEqual([failed[0]!.detail, failed[0]!.reason, failed[0]!.event, failed[0]!.trace], ['Message Rejected', 'ValidationError: no email', { n: 2 }, { logs: [{ level: 'log', message: 'hi' }], requests: [] }])
    })

    it('holds what it has added up until the flush, not every report and its event', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0 })
      const padding = 'x'.repeat(30_000)
      // 3,000 reports of 30 KB events: 90 MB if they were kept until the flush; 25 of them are.
      const { mb } = retainedMb(() => {
        for (let i = 0; i < 3000; i++) log.report({ destinationId: 'd-mem', messageId: `m${i}`, status: 'delivered', detail: '', attempt: 1, at: new Date(), event: JSON.stringify({ i, padding }) })
      })
      assert.ok(mb < 20, `3,000 reports waiting for the flush held ${mb.toFixed(1)} MB`)
      await log.close()
      const counts = await log.counts('d-mem')
      assert.equal(counts.reduce((n, c) => n + c.count, 0), 3000)
      assert.equal((await log.recent('d-mem', { count: 100 })).length, 25)
    })

    it('prunes details past the retention but keeps the counts', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0, retentionMs: 60_000 })
      log.report({ destinationId: 'old', messageId: 'a', status: 'delivered', detail: '', attempt: 1, at: new Date(Date.now() - 3600_000) })
      await log.flush()
      log.report({ destinationId: 'old', messageId: 'b', status: 'delivered', detail: '', attempt: 1, at: new Date() })
      await log.close()
      assert.deepEqual((await log.recent('old', { count: 10 })).map((e) => e.messageId), ['b'])
      assert.equal((await log.counts('old')).reduce((n, c) => n + c.count, 0), 2)
    })

    it('prunes the per-minute counts past their own, longer retention', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0, pruneEveryMs: 0, retentionMs: 60_000, countRetentionMs: 2 * 3600_000 })
      const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000)
      for (const hoursAgo of [5, 3, 1, 0]) log.report({ destinationId: 'counted', messageId: `m${hoursAgo}`, status: 'delivered', detail: '', attempt: 1, at: at(hoursAgo) })
      await log.flush()
      log.report({ destinationId: 'counted', messageId: 'now', status: 'delivered', detail: '', attempt: 1, at: new Date() })
      await log.close()
      assert.equal((await log.counts('counted')).reduce((n, c) => n + c.count, 0), 3, 'the last hour and now; not 3 or 5 hours ago')
    })

    it('keeps only the most recent details of each destination and status, while the counts cover every event', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0, detailsPerStatus: 3, pruneEveryMs: 0 })
      const base = Date.parse('2026-11-27T08:00:00Z')
      for (let i = 0; i < 5; i++) log.report({ destinationId: 'cap', messageId: `a${i}`, status: 'delivered', detail: '', attempt: 1, at: new Date(base + i) })
      await log.flush()
      for (let i = 5; i < 9; i++) log.report({ destinationId: 'cap', messageId: `a${i}`, status: 'delivered', detail: '', attempt: 1, at: new Date(base + i) })
      log.report({ destinationId: 'cap', messageId: 'f1', status: 'failed', detail: 'Bad Request', attempt: 1, at: new Date(base + 20) })
      await log.close()
      assert.deepEqual((await log.recent('cap', { count: 10, status: 'delivered' })).map((e) => e.messageId), ['a8', 'a7', 'a6'])
      assert.deepEqual((await log.recent('cap', { count: 10, status: 'failed' })).map((e) => e.messageId), ['f1'])
      assert.equal((await log.counts('cap')).reduce((n, c) => n + c.count, 0), 10)
    })

    it('logs every delivery in order for the dedupe, even those whose details were not kept, and each reader skips its own', async () => {
      const writer = new DeliveryLog(store.db, { flushMs: 0, detailsPerStatus: 1 })
      const reader = new DeliveryLog(store.db, { flushMs: 0 })
      const start = await reader.latestDeliveries(10, 0)
      const now = Date.now()
      for (const id of ['m1', 'm2', 'm3']) writer.report({ destinationId: 'dd', messageId: id, status: 'delivered', detail: '', attempt: 1, at: new Date(now) })
      writer.report({ destinationId: 'dd', messageId: 'm4', status: 'failed', detail: 'Bad Request', attempt: 1, at: new Date(now) })
      writer.report({ destinationId: 'other', messageId: 'm5', status: 'delivered', detail: '', attempt: 1, at: new Date(now) })
      await writer.flush()
      const followed = await reader.deliveriesAfter(start.position, 100)
      assert.deepEqual(followed.deliveries.map((d) => `${d.destinationId}/${d.messageId}`), ['dd/m1', 'dd/m2', 'dd/m3', 'other/m5'])
      assert.deepEqual(followed.deliveries[0]!.at, now)
      assert.deepEqual((await reader.deliveriesAfter(followed.position, 100)).deliveries, [], 'nothing new after the position')
      assert.deepEqual((await writer.deliveriesAfter(start.position, 100)).deliveries, [], 'a writer does not read its own deliveries back')
      // A worker starting up takes the latest deliveries within the window, oldest first.
      const latest = await reader.latestDeliveries(2, now - 1000)
      assert.deepEqual([latest.deliveries.map((d) => d.messageId), latest.position], [['m3', 'm5'], followed.position])
      assert.deepEqual((await reader.latestDeliveries(10, now + 1000)).deliveries, [], 'delivered before the window began')
      await writer.close()
      await reader.close()
    })

    it('keeps no more deliveries than the dedupe can hold, and none older than its window', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0, pruneEveryMs: 0, dedupeEntries: 3, dedupeWindowMs: 60_000 })
      const now = Date.now()
      log.report({ destinationId: 'pr', messageId: 'old', status: 'delivered', detail: '', attempt: 1, at: new Date(now - 120_000) })
      for (let i = 0; i < 5; i++) log.report({ destinationId: 'pr', messageId: `n${i}`, status: 'delivered', detail: '', attempt: 1, at: new Date(now) })
      await log.flush()
      log.report({ destinationId: 'pr', messageId: 'last', status: 'delivered', detail: '', attempt: 1, at: new Date(now) })
      await log.close()
      // Rows go whole: the newest rows that hold at least dedupeEntries deliveries are kept.
      const left = await store.db.selectFrom('delivered_batches').select('message_ids').where('destination_id', '=', 'pr').orderBy('id').execute()
      assert.deepEqual(left.map((r) => JSON.parse(r.message_ids) as string[]), [['n0', 'n1', 'n2', 'n3', 'n4'], ['last']])
    })

    it('writes the deliveries of a flush as a row per destination and second, and reads each back with its time', async () => {
      const writer = new DeliveryLog(store.db, { flushMs: 0 })
      const reader = new DeliveryLog(store.db, { flushMs: 0 })
      const start = await reader.latestDeliveries(1, 0)
      const second = Math.floor(Date.now() / 1000) * 1000
      const times = [second + 10, second + 900, second + 1500, second + 20]
      times.forEach((t, i) => writer.report({ destinationId: 'rows', messageId: `r${i}`, status: 'delivered', detail: '', attempt: 1, at: new Date(t) }))
      await writer.flush()
      const rows = await store.db.selectFrom('delivered_batches').select(['message_ids', 'n', 'at']).where('destination_id', '=', 'rows').orderBy('id').execute()
      assert.deepEqual(rows.map((r) => [JSON.parse(r.message_ids) as string[], Number(r.n), Number(r.at)]), [[['r0', 'r1', 'r3'], 3, second + 900], [['r2'], 1, second + 1500]])
      const followed = await reader.deliveriesAfter(start.position, 100)
      assert.deepEqual(followed.deliveries.map((d) => [d.messageId, d.at]), [['r0', second + 900], ['r1', second + 900], ['r3', second + 900], ['r2', second + 1500]])
      await writer.close()
      await reader.close()
    })
  })
}
