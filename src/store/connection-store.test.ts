import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { AuditLog } from './audit-log.js'
import { ConnectionStore } from './connection-store.js'
import { FunctionStore, NotFoundError, type FunctionSetting } from './function-store.js'
import { ConflictError, InvalidInputError } from './invalid-input.js'
import { SecretBox } from './secret-box.js'
import { DIALECTS, POSTGRES_URL, openTestStore, type TestStore } from '../testing/stores.js'

const SECRET = 'sk_live_TOPSECRET_4242'
const schema: FunctionSetting[] = [
  { name: 'apiKey', label: 'API key', description: '', type: 'STRING', required: true, sensitive: true },
  { name: 'region', label: 'Region', description: '', type: 'STRING', required: false, sensitive: false },
  { name: 'debug', label: 'Debug', description: '', type: 'BOOLEAN', required: false, sensitive: false },
  { name: 'tags', label: 'Tags', description: '', type: 'ARRAY', required: false, sensitive: false },
  { name: 'mapping', label: 'Mapping', description: '', type: 'TEXT_MAP', required: false, sensitive: false },
]

for (const dialect of DIALECTS) {
  describe(`${dialect}: sources, destinations and insert function instances`, () => {
    let store: TestStore
    let functions: FunctionStore
    let connections: ConnectionStore
    let audit: AuditLog
    before(async () => {
      store = await openTestStore(dialect)
      functions = new FunctionStore(store.db)
      connections = new ConnectionStore(store.db, new SecretBox(randomBytes(32)))
      audit = new AuditLog(store.db)
    })
    after(() => store.destroy())

    const source = (slug = `web-${randomBytes(3).toString('hex')}`) => connections.createSource({ slug, enabled: true }, 'owner')
    const webhook = async () => connections.createDestination({ sourceId: (await source()).id, metadataId: 'webhook', settings: { url: 'https://hooks.example.com/in', headers: { Authorization: `Bearer ${SECRET}` } } }, 'owner')
    const deployedInsert = async () => {
      const fn = await functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'Enrich', code: 'v1', settings: schema, author: 'owner' })
      await functions.deploy(fn.id, 'owner')
      return fn
    }

    it('a source gets a write key; keys rotate; the last one cannot be removed', async () => {
      const s = await source()
      assert.equal(s.writeKeys.length, 1)
      assert.equal((await connections.sourceForWriteKey(s.writeKeys[0]!))?.id, s.id)
      const rotated = await connections.addWriteKey(s.id, 'owner')
      assert.equal(rotated.writeKeys.length, 2)
      await connections.removeWriteKey(s.id, s.writeKeys[0]!, 'owner')
      assert.equal(await connections.sourceForWriteKey(s.writeKeys[0]!), undefined)
      const left = (await connections.getSource(s.id)).writeKeys
      await assert.rejects(connections.removeWriteKey(s.id, left[0]!, 'owner'), ConflictError)
    })

    it('refuses a bad or taken slug', async () => {
      await assert.rejects(connections.createSource({ slug: 'Not A Slug', enabled: true }, 'o'), (e: unknown) => e instanceof InvalidInputError && e.field === 'slug')
      const s = await source()
      await assert.rejects(source(s.slug), ConflictError)
    })

    it('a webhook destination checks its settings and seals header values', async () => {
      const d = await webhook()
      assert.match(JSON.stringify(d.settings), /sealed:v1:/)
      assert.doesNotMatch(JSON.stringify(d.settings), new RegExp(SECRET))
      assert.equal((connections.maskedSettings(d).headers as Record<string, string>).Authorization, '••••4242')
      assert.equal((connections.openDestinationSettings(d).headers as Record<string, string>).Authorization, `Bearer ${SECRET}`)
      const s = await source()
      await assert.rejects(connections.createDestination({ sourceId: s.id, metadataId: 'webhook', settings: { url: 'ftp://x' } }, 'o'), (e: unknown) => e instanceof InvalidInputError && e.field === 'settings.url')
      await assert.rejects(connections.createDestination({ sourceId: s.id, metadataId: 'smoke-signal', settings: {} }, 'o'), (e: unknown) => e instanceof InvalidInputError && e.field === 'metadataId')
      await assert.rejects(connections.createDestination({ sourceId: 'src_nope', metadataId: 'webhook', settings: { url: 'https://x.example' } }, 'o'), (e: unknown) => e instanceof InvalidInputError && e.field === 'sourceId')
    })

    it('an update that sends back a masked header keeps the stored value', async () => {
      const d = await webhook()
      const masked = connections.maskedSettings(d)
      const updated = await connections.updateDestination(d.id, { settings: { ...masked, url: 'https://hooks.example.com/v2' } }, 'owner')
      assert.equal((connections.openDestinationSettings(updated).headers as Record<string, string>).Authorization, `Bearer ${SECRET}`)
      assert.equal(connections.openDestinationSettings(updated).url, 'https://hooks.example.com/v2')
    })

    it('an instance connects a deployed insert function to a destination, with its settings checked and secrets sealed', async () => {
      const fn = await deployedInsert()
      const d = await webhook()
      const inst = await connections.createInstance({ functionId: fn.id, integrationId: d.id, name: 'enrich prod', settings: { apiKey: SECRET, region: 'eu', tags: ['a'], mapping: { a: 'b' } } }, 'owner')
      assert.deepEqual(inst.settings, { region: 'eu', tags: ['a'], mapping: { a: 'b' } })
      assert.match(inst.encryptedSettings.apiKey!, /^sealed:v1:/)
      assert.deepEqual(connections.maskedSecrets(inst), { apiKey: '••••4242' })
      assert.equal(connections.openInstanceSettings(inst).apiKey, SECRET)
      assert.equal(inst.versionId, fn.latest.id)
      await assert.rejects(connections.createInstance({ functionId: fn.id, integrationId: d.id, name: 'second', settings: { apiKey: 'x' } }, 'owner'), /already has an insert function/)
    })

    for (const [what, settings, field] of [
      ['a missing required setting', { region: 'eu' }, 'settings.apiKey'],
      ['an unknown setting', { apiKey: 'k', colour: 'red' }, 'settings.colour'],
      ['a string where a boolean belongs', { apiKey: 'k', debug: 'yes' }, 'settings.debug'],
      ['an ARRAY of numbers', { apiKey: 'k', tags: [1] }, 'settings.tags'],
      ['a TEXT_MAP with a nested object', { apiKey: 'k', mapping: { a: { b: 1 } } }, 'settings.mapping'],
    ] as const) {
      it(`refuses an instance with ${what}, naming ${field}`, async () => {
        const fn = await deployedInsert()
        const d = await webhook()
        await assert.rejects(
          connections.createInstance({ functionId: fn.id, integrationId: d.id, name: 'x', settings: settings as Record<string, unknown> }, 'o'),
          (e: unknown) => e instanceof InvalidInputError && e.field === field,
        )
      })
    }

    it('refuses to connect a function that was never deployed, or is not an insert function', async () => {
      const d = await webhook()
      const draft = await functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'draft', code: 'x', settings: [], author: 'o' })
      await assert.rejects(connections.createInstance({ functionId: draft.id, integrationId: d.id, name: 'x', settings: {} }, 'o'), /never been deployed/)
      const dest = await functions.create({ resourceType: 'DESTINATION', displayName: 'dest', code: 'x', settings: [], author: 'o' })
      await assert.rejects(connections.createInstance({ functionId: dest.id, integrationId: d.id, name: 'x', settings: {} }, 'o'), /not an INSERT_DESTINATION/)
    })

    it('an update may leave a secret out to keep it; a Save does not move the instance, a deploy does', async () => {
      const fn = await deployedInsert()
      const inst = await connections.createInstance({ functionId: fn.id, integrationId: (await webhook()).id, name: 'x', settings: { apiKey: SECRET } }, 'owner')
      const updated = await connections.updateInstance(inst.id, { enabled: false, settings: { region: 'us' } }, 'owner')
      assert.equal(connections.openInstanceSettings(updated).apiKey, SECRET)
      assert.equal(updated.enabled, false)
      const saved = await functions.update(fn.id, { code: 'v2' }, 'owner')
      assert.equal((await connections.getInstance(inst.id)).versionId, fn.latest.id)
      const { instancesMoved } = await functions.deploy(fn.id, 'owner')
      assert.equal(instancesMoved, 1)
      assert.equal((await connections.getInstance(inst.id)).versionId, saved.latest.id)
    })

    it('deleting a source removes its destinations and their instances; every change is audited without secrets', async () => {
      const fn = await deployedInsert()
      const d = await webhook()
      const inst = await connections.createInstance({ functionId: fn.id, integrationId: d.id, name: 'x', settings: { apiKey: SECRET } }, 'owner')
      await connections.deleteSource(d.sourceId, 'owner')
      await assert.rejects(connections.getDestination(d.id), NotFoundError)
      await assert.rejects(connections.getInstance(inst.id), NotFoundError)
      const { events } = await audit.list({ count: 1000 })
      assert.ok(events.some((e) => e.type === 'Insert Function Instance Created' && e.resourceId === inst.id))
      assert.ok(events.some((e) => e.type === 'Source Deleted' && e.resourceId === d.sourceId))
      assert.doesNotMatch(JSON.stringify(events), new RegExp(SECRET))
    })

    it('a function destination runs a deployed DESTINATION function, which then cannot be deleted under it', async () => {
      const fn = await functions.create({ resourceType: 'DESTINATION', displayName: 'Send', code: 'x', settings: schema, author: 'o' })
      const s = await source()
      await assert.rejects(connections.createDestination({ sourceId: s.id, metadataId: 'function', settings: { functionId: fn.id, settings: { apiKey: SECRET } } }, 'o'), /never been deployed/)
      await functions.deploy(fn.id, 'o')
      const d = await connections.createDestination({ sourceId: s.id, metadataId: 'function', settings: { functionId: fn.id, settings: { apiKey: SECRET, region: 'eu' } } }, 'o')
      assert.deepEqual(connections.maskedSettings(d), { functionId: fn.id, settings: { region: 'eu', apiKey: '••••4242' } })
      assert.deepEqual((connections.openDestinationSettings(d).settings as Record<string, unknown>).apiKey, SECRET)
      await assert.rejects(functions.delete(fn.id, 'o'), (e: unknown) => e instanceof ConflictError && /runs this function/.test(e.message))
      await connections.deleteDestination(d.id, 'o')
      await functions.delete(fn.id, 'o')
    })

    it('deleting an insert function removes its instances', async () => {
      const fn = await deployedInsert()
      const inst = await connections.createInstance({ functionId: fn.id, integrationId: (await webhook()).id, name: 'x', settings: { apiKey: 'k' } }, 'o')
      await functions.delete(fn.id, 'o')
      await assert.rejects(connections.getInstance(inst.id), NotFoundError)
    })

    it('the database holds no secret in plain text', async () => {
      const fn = await deployedInsert()
      await connections.createInstance({ functionId: fn.id, integrationId: (await webhook()).id, name: 'x', settings: { apiKey: SECRET } }, 'owner')
      if (dialect === 'sqlite') {
        // Checkpoint the WAL so the main file has everything, then read every byte the database left on disk.
        await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db)
        const dir = dirname(store.location)
        for (const file of readdirSync(dir)) assert.equal(readFileSync(join(dir, file)).includes(SECRET), false, `${file} holds the secret`)
      } else {
        const client = new pg.Client({ connectionString: POSTGRES_URL })
        await client.connect()
        const tables = ['functions', 'function_versions', 'sources', 'destinations', 'insert_function_instances', 'audit_events']
        for (const table of tables) {
          const { rows } = await client.query(`SELECT * FROM ${store.location}.${table}`)
          assert.equal(JSON.stringify(rows).includes(SECRET), false, `${table} holds the secret`)
        }
        await client.end()
      }
    })
  })
}
