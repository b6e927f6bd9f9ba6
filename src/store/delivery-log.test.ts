import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DeliveryLog } from './delivery-log.js'
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
      log.report({ destinationId: 'd1', messageId: 'm1', status: 'delivered', detail: '', attempt: 1, at, event: '{"n":1}' })
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
      const failed = await log.recent('d1', { count: 10, status: 'failed' })
      assert.deepEqual([failed[0]!.detail, failed[0]!.reason, failed[0]!.event, failed[0]!.trace], ['Message Rejected', 'ValidationError: no email', { n: 2 }, { logs: [{ level: 'log', message: 'hi' }], requests: [] }])
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

    it('remembers every delivered messageId for the dedupe window, even those whose details were not kept', async () => {
      const log = new DeliveryLog(store.db, { flushMs: 0, detailsPerStatus: 1 })
      const now = Date.now()
      for (const id of ['m1', 'm2', 'm3']) log.report({ destinationId: 'dd', messageId: id, status: 'delivered', detail: '', attempt: 1, at: new Date(now) })
      log.report({ destinationId: 'dd', messageId: 'm4', status: 'failed', detail: 'Bad Request', attempt: 1, at: new Date(now) })
      log.report({ destinationId: 'other', messageId: 'm5', status: 'delivered', detail: '', attempt: 1, at: new Date(now) })
      await log.close()
      assert.deepEqual([...await log.deliveredAmong('dd', ['m1', 'm2', 'm3', 'm4', 'm5', 'nope'], now - 1000)].sort(), ['m1', 'm2', 'm3'])
      assert.deepEqual([...await log.deliveredAmong('dd', ['m1'], now + 1000)], [], 'delivered before the window began')
    })
  })
}
