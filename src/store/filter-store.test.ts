import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { ConnectionStore } from './connection-store.js'
import { FilterStore, MAX_FILTERS_PER_DESTINATION } from './filter-store.js'
import { ConflictError, InvalidInputError } from './invalid-input.js'
import { SecretBox } from './secret-box.js'
import { DIALECTS, openTestStore, type TestStore } from '../testing/stores.js'

for (const dialect of DIALECTS) {
  describe(`${dialect}: destination filters`, () => {
    let store: TestStore
    let connections: ConnectionStore
    let filters: FilterStore
    before(async () => {
      store = await openTestStore(dialect)
      connections = new ConnectionStore(store.db, new SecretBox(randomBytes(32)))
      filters = new FilterStore(store.db)
    })
    after(() => store.destroy())

    const destination = async () => {
      const s = await connections.createSource({ slug: `s-${randomBytes(3).toString('hex')}`, enabled: true }, 'o')
      return connections.createDestination({ sourceId: s.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 'o')
    }

    it('saves, lists in order, updates and removes filters; compiled() gives the enabled ones parsed', async () => {
      const d = await destination()
      const a = await filters.create(d.id, { sourceId: d.sourceId, if: "type = 'identify'", actions: [{ type: 'DROP' }], title: 'no identifies', enabled: true }, 'o')
      const b = await filters.create(d.id, { sourceId: d.sourceId, if: 'true = true', actions: [{ type: 'DROP_PROPERTIES', fields: { properties: ['email'] } }], title: 'no emails', enabled: false }, 'o')
      assert.deepEqual((await filters.list(d.id)).map((f) => f.id), [a.id, b.id])
      assert.deepEqual((await filters.compiled(d.id)).map((f) => f.id), [a.id])
      const updated = await filters.update(d.id, b.id, { enabled: true, title: 'strip emails' }, 'o')
      assert.deepEqual([updated.enabled, updated.title], [true, 'strip emails'])
      await filters.remove(d.id, a.id, 'o')
      assert.deepEqual((await filters.list(d.id)).map((f) => f.id), [b.id])
    })

    it('keeps the order filters were made in, even when they are made in the same millisecond', async () => {
      const d = await destination()
      const sameInstant = new FilterStore(store.db, () => new Date('2026-11-28T00:00:00.000Z'))
      const made = []
      for (let i = 0; i < 5; i++) made.push((await sameInstant.create(d.id, { sourceId: d.sourceId, if: 'true = true', actions: [{ type: 'DROP' }], title: `f${i}`, enabled: true }, 'o')).id)
      assert.deepEqual((await filters.list(d.id)).map((f) => f.id), made)
      assert.deepEqual((await filters.compiled(d.id)).map((f) => f.id), made)
    })

    it('refuses FQL that does not parse, naming the position', async () => {
      const d = await destination()
      await assert.rejects(
        filters.create(d.id, { sourceId: d.sourceId, if: 'userId = oops"', actions: [{ type: 'DROP' }], title: 't', enabled: true }, 'o'),
        (e: unknown) => e instanceof InvalidInputError && e.field === 'if' && /line 1, column 14/.test(e.message),
      )
    })

    it(`allows at most ${MAX_FILTERS_PER_DESTINATION} filters per destination, and checks the source`, async () => {
      const d = await destination()
      for (let i = 0; i < MAX_FILTERS_PER_DESTINATION; i++) await filters.create(d.id, { sourceId: d.sourceId, if: 'true = true', actions: [{ type: 'DROP' }], title: `f${i}`, enabled: false }, 'o')
      await assert.rejects(filters.create(d.id, { sourceId: d.sourceId, if: 'true = true', actions: [{ type: 'DROP' }], title: 'one more', enabled: false }, 'o'), ConflictError)
      await assert.rejects(filters.create(d.id, { sourceId: 'src_other', if: 'true = true', actions: [{ type: 'DROP' }], title: 'x', enabled: false }, 'o'), (e: unknown) => e instanceof InvalidInputError && e.field === 'sourceId')
    })
  })
}
