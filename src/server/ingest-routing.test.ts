import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { ConnectionStore } from '../store/connection-store.js'
import { SecretBox } from '../store/secret-box.js'
import { openTestStore, type TestStore } from '../testing/stores.js'
import { IngestRouting } from './ingest-routing.js'

describe('ingest routing: a write key\'s source and enabled destinations, kept for a second', () => {
  let store: TestStore
  let connections: ConnectionStore
  before(async () => {
    store = await openTestStore('sqlite')
    connections = new ConnectionStore(store.db, new SecretBox(randomBytes(32)))
  })
  after(() => store.destroy())

  it('answers from what it read within the second, and reads again after it', async () => {
    let now = 0
    const routing = new IngestRouting(connections, { now: () => now })
    const source = await connections.createSource({ slug: 'kept', enabled: true }, 't')
    const key = source.writeKeys[0]!
    assert.deepEqual((await routing.forWriteKey(key))?.destinations, [])
    // A change the store does not hear of (another API process's): not seen within the second...
    await store.db.insertInto('destinations').values({ id: 'dst_other', source_id: source.id, name: 'other', metadata_id: 'webhook', enabled: 1, settings: '{"url":"https://x.example/"}', created_at: 'x', updated_at: 'x' }).execute()
    now = 999
    assert.deepEqual((await routing.forWriteKey(key))?.destinations, [])
    // ...and seen after it.
    now = 1000
    assert.deepEqual((await routing.forWriteKey(key))?.destinations.map((d) => d.id), ['dst_other'])
  })

  it('sees a change made through this process\'s store at once: new and disabled destinations, removed keys', async () => {
    const routing = new IngestRouting(connections, { now: () => 0 })
    const source = await connections.createSource({ slug: 'changed', enabled: true }, 't')
    const [first] = source.writeKeys
    assert.deepEqual((await routing.forWriteKey(first!))?.destinations, [])
    const d = await connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, 't')
    assert.deepEqual((await routing.forWriteKey(first!))?.destinations.map((x) => x.id), [d.id])
    await connections.updateDestination(d.id, { enabled: false }, 't')
    assert.deepEqual((await routing.forWriteKey(first!))?.destinations, [])
    await connections.addWriteKey(source.id, 't')
    await connections.removeWriteKey(source.id, first!, 't')
    assert.equal(await routing.forWriteKey(first!), undefined, 'a removed key is refused at once')
  })

  it('does not keep unknown keys, so a key created elsewhere works on its next request', async () => {
    const routing = new IngestRouting(connections, { now: () => 0 })
    assert.equal(await routing.forWriteKey('wk_not_yet'), undefined)
    const source = await connections.createSource({ slug: 'later', enabled: true }, 't')
    await store.db.insertInto('source_write_keys').values({ write_key: 'wk_not_yet', source_id: source.id, created_at: 'x' }).execute()
    assert.equal((await routing.forWriteKey('wk_not_yet'))?.source.id, source.id)
  })
})
