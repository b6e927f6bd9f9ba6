import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
before(async () => {
  s = await testServer()
})
after(() => s.close())

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token: string = s.tokens['Workspace Owner']) {
  const res = await s.app.inject({
    method,
    url: `/api${url}`,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })
  return { status: res.statusCode, body: res.json() as Record<string, any> }
}

let n = 0
const newSource = async (token?: string) => call('POST', '/sources', { slug: `src-${++n}`, enabled: true, metadataId: 'http' }, token)
async function deployedFunction() {
  const fn = await s.functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'f', code: 'async function onTrack(e) { return e }', settings: [{ name: 'apiKey', label: 'Key', description: '', type: 'STRING', required: true, sensitive: true }], author: 'o' })
  await s.functions.deploy(fn.id, 'o')
  return fn
}
async function webhookDestination() {
  const source = (await newSource()).body.data.source
  return (await call('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://hooks.example.com/x' } })).body.data.destination
}

describe('management API: sources, destinations, instances', () => {
  it('creates a source (201) with a write key, rotates keys and refuses to remove the last', async () => {
    const created = await newSource()
    assert.equal(created.status, 201)
    const source = created.body.data.source
    assert.equal(source.writeKeys.length, 1)
    const rotated = await call('POST', `/sources/${source.id}/writekey`)
    assert.equal(rotated.body.data.source.writeKeys.length, 2)
    assert.equal((await call('DELETE', `/sources/${source.id}/writekey/${source.writeKeys[0]}`)).status, 200)
    const last = await call('DELETE', `/sources/${source.id}/writekey/${rotated.body.data.source.writeKeys[1]}`)
    assert.deepEqual([last.status, last.body.errors[0].code, last.body.errors[0].field], [409, 'INSERTFN_CONFLICT', 'writeKey'])
  })

  it('answers 400 naming the field for bad destination settings and 404 for unknown ids', async () => {
    const source = (await newSource()).body.data.source
    const bad = await call('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', settings: { url: 'not a url' } })
    assert.deepEqual([bad.status, bad.body.errors[0].field], [400, 'settings.url'])
    assert.equal((await call('GET', '/destinations/dst_nope')).status, 404)
    assert.equal((await call('GET', '/sources/src_nope')).status, 404)
  })

  it('refuses an instance with a missing required setting, and a second instance on one destination', async () => {
    const fn = await deployedFunction()
    const d = await webhookDestination()
    const missing = await call('POST', '/insert-function-instances', { functionId: fn.id, integrationId: d.id, name: 'x', settings: {} })
    assert.deepEqual([missing.status, missing.body.errors[0].field], [400, 'settings.apiKey'])
    assert.equal((await call('POST', '/insert-function-instances', { functionId: fn.id, integrationId: d.id, name: 'x', settings: { apiKey: 'k' } })).status, 200)
    const second = await call('POST', '/insert-function-instances', { functionId: fn.id, integrationId: d.id, name: 'y', settings: { apiKey: 'k' } })
    assert.deepEqual([second.status, second.body.errors[0].field], [409, 'integrationId'])
  })

  const roles: [string, Record<string, number>][] = [
    ['create a source', { 'Workspace Owner': 201, 'Source Admin': 201, 'Functions Admin': 403, 'Functions Read-only': 403 }],
    ['connect an insert function', { 'Workspace Owner': 200, 'Functions Admin': 403, 'Source Admin': 403, 'Functions Admin + Source Admin': 200, 'Functions Read-only': 403 }],
    ['list sources', { 'Workspace Owner': 200, 'Source Admin': 200, 'Functions Admin': 200, 'Functions Read-only': 200 }],
    ['create a destination', { 'Workspace Owner': 200, 'Source Admin': 200, 'Functions Admin': 403, 'Functions Read-only': 403 }],
    ['add a filter', { 'Workspace Owner': 200, 'Source Admin': 200, 'Functions Admin': 403, 'Functions Read-only': 403 }],
    ['list filters', { 'Workspace Owner': 200, 'Source Admin': 200, 'Functions Admin': 200, 'Functions Read-only': 200 }],
  ]
  for (const [what, expected] of roles) {
    for (const [role, status] of Object.entries(expected)) {
      it(`${role}: ${what} answers ${status}`, async () => {
        const token = s.tokens[role as keyof TestServer['tokens']]
        let r
        if (what === 'create a source') r = await newSource(token)
        else if (what === 'list sources') r = await call('GET', '/sources', undefined, token)
        else if (what === 'create a destination') {
          const source = (await newSource()).body.data.source
          r = await call('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in' } }, token)
        } else if (what === 'add a filter' || what === 'list filters') {
          const d = await webhookDestination()
          r = what === 'add a filter'
            ? await call('POST', `/destination/${d.id}/filters`, { sourceId: d.sourceId, if: 'true = true', actions: [{ type: 'DROP' }], title: 't', enabled: true }, token)
            : await call('GET', `/destination/${d.id}/filters`, undefined, token)
        } else {
          const fn = await deployedFunction()
          const d = await webhookDestination()
          r = await call('POST', '/insert-function-instances', { functionId: fn.id, integrationId: d.id, name: 'x', settings: { apiKey: 'k' } }, token)
        }
        assert.equal(r.status, status, JSON.stringify(r.body))
      })
    }
  }
})
