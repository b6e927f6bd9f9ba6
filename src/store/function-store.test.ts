import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AuditLog } from './audit-log.js'
import { FunctionStore, NotFoundError, type FunctionSetting } from './function-store.js'
import { DIALECTS, openTestStore, type TestStore } from '../testing/stores.js'

const apiKey: FunctionSetting = { name: 'apiKey', label: 'API key', description: '', type: 'STRING', required: true, sensitive: true }

for (const dialect of DIALECTS) {
  describe(`${dialect}: functions and versions`, () => {
    let store: TestStore
    let functions: FunctionStore
    before(async () => {
      store = await openTestStore(dialect)
      functions = new FunctionStore(store.db)
    })
    after(() => store.destroy())

    const create = (over: Partial<Parameters<FunctionStore['create']>[0]> = {}) =>
      functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'Mask PII', code: 'async function onTrack(e) { return e }', settings: [apiKey], author: 'owner', ...over })

    it('creates a function with its first version as LATEST, not yet deployed', async () => {
      const fn = await create({ description: 'hashes emails' })
      assert.match(fn.id, /^ifnd_[A-Za-z0-9]{10,}$/)
      assert.equal(fn.latest.number, 1)
      assert.deepEqual(fn.latest.settings, [apiKey])
      assert.equal(fn.description, 'hashes emails')
      assert.equal(fn.deployedVersionId, null)
      assert.deepEqual(await functions.get(fn.id), fn)
    })

    it('Save with new code adds a version; metadata alone does not', async () => {
      const fn = await create()
      const renamed = await functions.update(fn.id, { displayName: 'Renamed' }, 'owner')
      assert.equal(renamed.latest.id, fn.latest.id)
      assert.equal(renamed.displayName, 'Renamed')
      const saved = await functions.update(fn.id, { code: 'async function onTrack() {}' }, 'editor')
      assert.equal(saved.latest.number, 2)
      assert.equal(saved.latest.author, 'editor')
      const versions = await functions.versions(fn.id)
      assert.deepEqual(versions.map((v) => v.number), [2, 1])
    })

    it('restoring an old version makes a copy of it the new LATEST', async () => {
      const fn = await create({ code: 'v1' })
      await functions.update(fn.id, { code: 'v2' }, 'owner')
      const restored = await functions.restore(fn.id, fn.latest.id, 'owner')
      assert.deepEqual([restored.number, restored.code, restored.restoredFrom], [3, 'v1', fn.latest.id])
      assert.equal((await functions.get(fn.id)).latest.id, restored.id)
    })

    it('deploy marks LATEST as DEPLOYED; a later Save leaves DEPLOYED alone', async () => {
      const fn = await create()
      const { function: deployed } = await functions.deploy(fn.id, 'owner')
      assert.equal(deployed.deployedVersionId, fn.latest.id)
      assert.ok(deployed.deployedAt !== null)
      const saved = await functions.update(fn.id, { code: 'new' }, 'owner')
      assert.equal(saved.deployedVersionId, fn.latest.id)
      assert.notEqual(saved.latest.id, fn.latest.id)
    })

    it('lists by type, a page at a time, with a cursor', async () => {
      await create({ resourceType: 'DESTINATION', displayName: 'dest' })
      const all = await functions.list('INSERT_DESTINATION', 100)
      const first = await functions.list('INSERT_DESTINATION', 2)
      assert.equal(first.items.length, 2)
      assert.equal(first.total, all.items.length)
      const second = await functions.list('INSERT_DESTINATION', 100, first.next)
      assert.deepEqual([...first.items, ...second.items].map((f) => f.id), all.items.map((f) => f.id))
      assert.ok(all.items.every((f) => f.resourceType === 'INSERT_DESTINATION'))
      assert.equal((await functions.list('DESTINATION', 10)).items[0]!.id.startsWith('dfn_'), true)
    })

    it('deleting a function removes its versions; unknown ids are NotFoundError', async () => {
      const fn = await create()
      await functions.delete(fn.id, 'owner')
      await assert.rejects(functions.get(fn.id), NotFoundError)
      await assert.rejects(functions.versions(fn.id), NotFoundError)
      await assert.rejects(functions.delete(fn.id, 'owner'), /function .* does not exist/)
      await assert.rejects(functions.restore(fn.id, fn.latest.id, 'x'), NotFoundError)
      const left = await store.db.selectFrom('function_versions').select('id').where('function_id', '=', fn.id).execute()
      assert.deepEqual(left, [])
    })

    it('a write that fails half-way leaves nothing behind', async () => {
      const before = await functions.list('INSERT_DESTINATION', 1000)
      // The version insert fails (a NOT NULL column), after the function row was written in the same transaction.
      await assert.rejects(create({ code: null as never }))
      const afterList = await functions.list('INSERT_DESTINATION', 1000)
      assert.equal(afterList.total, before.total)
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: the audit trail of functions`, () => {
    let store: TestStore
    let functions: FunctionStore
    let audit: AuditLog
    before(async () => {
      store = await openTestStore(dialect)
      functions = new FunctionStore(store.db)
      audit = new AuditLog(store.db)
    })
    after(() => store.destroy())

    it('records every change with who, what, and before and after, newest first', async () => {
      const fn = await functions.create({ resourceType: 'DESTINATION', displayName: 'Audited', code: 'x', settings: [apiKey], author: 'alice' })
      await functions.update(fn.id, { code: 'y' }, 'bob')
      await functions.deploy(fn.id, 'carol')
      await functions.restore(fn.id, fn.latest.id, 'dave')
      await functions.delete(fn.id, 'erin')
      const { events } = await audit.list({ count: 10, resourceId: fn.id })
      assert.deepEqual(events.map((e) => [e.type, e.actor]), [
        ['Function Deleted', 'erin'],
        ['Function Version Restored', 'dave'],
        ['Function Deployed', 'carol'],
        ['Function Updated', 'bob'],
        ['Function Created', 'alice'],
      ])
      const updated = events[3]!
      assert.deepEqual([(updated.before as { latestVersion: number }).latestVersion, (updated.after as { latestVersion: number }).latestVersion], [1, 2])
      assert.equal(updated.resourceName, 'Audited')
      assert.doesNotMatch(JSON.stringify(events), /"code"/) // code is summarised as a hash, never copied
    })

    it('pages newest first with a cursor, and filters by type and time', async () => {
      for (let i = 0; i < 3; i++) await functions.create({ resourceType: 'DESTINATION', displayName: `p${i}`, code: 'x', settings: [], author: 'pager' })
      const first = await audit.list({ count: 2 })
      const rest = await audit.list({ count: 100, cursor: first.next })
      const all = await audit.list({ count: 100 })
      assert.deepEqual([...first.events, ...rest.events].map((e) => e.id), all.events.map((e) => e.id))
      assert.equal((await audit.list({ count: 100, resourceType: 'Source' })).events.length, 0)
      assert.equal((await audit.list({ count: 100, startTime: '2999-01-01T00:00:00.000Z' })).events.length, 0)
    })

    it('a change that fails leaves no audit entry', async () => {
      const before = (await audit.list({ count: 1000 })).events.length
      await assert.rejects(functions.update('ifnd_missing', { code: 'z' }, 'x'))
      await assert.rejects(functions.create({ resourceType: 'DESTINATION', displayName: 'bad', code: null as never, settings: [], author: 'x' }))
      assert.equal((await audit.list({ count: 1000 })).events.length, before)
    })
  })
}
