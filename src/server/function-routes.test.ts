import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
before(async () => {
  s = await testServer()
})
after(() => s.close())

const CODE = 'async function onTrack(event, settings) { return event }'

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token: string | null = s.tokens['Workspace Owner'], raw?: string) {
  const res = await s.app.inject({
    method,
    url: `/api${url}`,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(raw !== undefined ? { payload: raw } : body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
  return { status: res.statusCode, body: res.json() as Record<string, any> }
}

const create = (over: Record<string, unknown> = {}, token?: string) =>
  call('POST', '/functions', { code: CODE, displayName: 'Mask PII', resourceType: 'INSERT_DESTINATION', ...over }, token)

describe('management API: functions', () => {
  it('creates a function and answers in the Public API shape', async () => {
    const r = await create({ settings: [{ name: 'apiKey', label: 'API key', description: '', type: 'STRING', required: true, sensitive: true }] })
    assert.equal(r.status, 200)
    const fn = r.body.data.function
    assert.match(fn.id, /^ifnd_/)
    assert.deepEqual([fn.resourceType, fn.displayName, fn.code, fn.deployedAt, fn.createdBy], ['INSERT_DESTINATION', 'Mask PII', CODE, null, 'Workspace Owner'])
    assert.equal(fn.settings[0].name, 'apiKey')
  })

  it('refuses code that does not load, naming the line and column', async () => {
    const r = await create({ code: 'async function onTrack(e) {\n  return e +\n}' })
    assert.equal(r.status, 400)
    assert.equal(r.body.errors[0].field, 'code')
    assert.equal(r.body.errors[0].code, 'INSERTFN_CODE_DOES_NOT_LOAD')
    assert.match(r.body.errors[0].message, /code does not load: SyntaxError: .* \(line 3, column 1\)/)
  })

  for (const [what, body, field, message] of [
    ['a missing field', { displayName: 'x', resourceType: 'INSERT_DESTINATION' }, 'code', /code: /],
    ['an unknown field', { code: CODE, displayName: 'x', resourceType: 'INSERT_DESTINATION', displayname: 'y' }, 'displayname', /unknown field: displayname/],
    ['a mistyped field', { code: CODE, displayName: 42, resourceType: 'INSERT_DESTINATION' }, 'displayName', /displayName: /],
    ['an unknown resourceType', { code: CODE, displayName: 'x', resourceType: 'WAREHOUSE' }, 'resourceType', /resourceType: /],
    ['SOURCE functions', { code: CODE, displayName: 'x', resourceType: 'SOURCE' }, 'resourceType', /SOURCE is not supported/],
    ['code over 1 MB', { code: '//' + 'x'.repeat(1024 * 1024), displayName: 'x', resourceType: 'INSERT_DESTINATION' }, 'code', /at most 1048576 bytes/],
    ['a display name over 120 characters', { code: CODE, displayName: 'x'.repeat(121), resourceType: 'INSERT_DESTINATION' }, 'displayName', /displayName/],
    ['a bad setting type', { code: CODE, displayName: 'x', resourceType: 'INSERT_DESTINATION', settings: [{ name: 'k', label: 'K', description: '', type: 'NUMBER', required: false, sensitive: false }] }, 'settings.0.type', /settings\.0\.type/],
  ] as const) {
    it(`answers 400 naming the field for ${what}, and writes nothing`, async () => {
      const before = await s.functions.list('INSERT_DESTINATION', 1000)
      const r = await call('POST', '/functions', body)
      assert.equal(r.status, 400, JSON.stringify(r.body))
      assert.equal(r.body.errors[0].field, field)
      assert.match(r.body.errors[0].message, message)
      assert.equal((await s.functions.list('INSERT_DESTINATION', 1000)).total, before.total)
    })
  }

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    const bad = await call('POST', '/functions', undefined, s.tokens['Workspace Owner'], '{"code": ')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.errors[0].code, 'INSERTFN_BAD_JSON')
    const res = await s.app.inject({ method: 'POST', url: '/api/functions', headers: { authorization: `Bearer ${s.tokens['Workspace Owner']}`, 'content-type': 'text/plain' }, payload: 'hello' })
    assert.equal(res.statusCode, 415)
  })

  it('takes an empty body with a JSON Content-Type as no body (curl and SDKs send one on a deploy), and still asks for a body where one is needed', async () => {
    const fn = (await create()).body.data.function
    const deployed = await call('POST', `/functions/${fn.id}/deploy`, undefined, s.tokens['Workspace Owner'], '')
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body))
    assert.notEqual((await call('GET', `/functions/${fn.id}`)).body.data.function.deployedAt, null)
    const missing = await call('POST', '/functions', undefined, s.tokens['Workspace Owner'], '')
    assert.equal(missing.status, 400)
    assert.equal(missing.body.errors[0].code, 'INSERTFN_VALIDATION')
  })

  it('answers 404 for unknown ids and unknown routes', async () => {
    const r = await call('GET', '/functions/ifnd_nope')
    assert.equal(r.status, 404)
    assert.deepEqual(r.body.errors[0], { type: 'not-found', message: 'function ifnd_nope does not exist', code: 'INSERTFN_NOT_FOUND', field: 'functionId' })
    assert.equal((await call('GET', '/nothing-here')).status, 404)
  })

  it('Save (PATCH) makes a new LATEST version; deploy marks it DEPLOYED; restore brings an old one back', async () => {
    const fn = (await create()).body.data.function
    const saved = await call('PATCH', `/functions/${fn.id}`, { code: 'async function onTrack() {}' })
    assert.equal(saved.status, 200)
    const versions = (await call('GET', `/functions/${fn.id}/versions?pagination%5Bcount%5D=10`)).body.data
    assert.equal(versions.versions.length, 2)
    assert.equal(versions.pagination.totalEntries, 2)
    const deployed = await call('POST', `/functions/${fn.id}/deploy`)
    assert.deepEqual(deployed.body, { data: { functionDeployment: { status: 'SUCCESS' } } })
    const oldest = versions.versions.at(-1)
    const restored = await call('POST', `/functions/${fn.id}/versions`, { versionId: oldest.id })
    assert.equal(restored.body.data.version.code, CODE)
    assert.equal(restored.body.data.version.isDeployed, false)
    const now = (await call('GET', `/functions/${fn.id}`)).body.data.function
    assert.equal(now.code, CODE)
    assert.equal(now.isLatestVersion, false) // LATEST (the restore) is not what is deployed
  })

  it('lists by resourceType with bracketed pagination, as Segment\'s SDK sends it', async () => {
    const all = (await call('GET', '/functions?resourceType=INSERT_DESTINATION&pagination%5Bcount%5D=1000')).body.data
    const first = (await call('GET', '/functions?resourceType=INSERT_DESTINATION&pagination%5Bcount%5D=1')).body.data
    assert.equal(first.functions.length, 1)
    assert.equal(first.pagination.totalEntries, all.functions.length)
    const second = (await call('GET', `/functions?resourceType=INSERT_DESTINATION&pagination%5Bcount%5D=1&pagination%5Bcursor%5D=${first.pagination.next}`)).body.data
    assert.equal(second.functions[0].id, all.functions[1].id)
    const missing = await call('GET', '/functions')
    assert.deepEqual([missing.status, missing.body.errors[0].field], [400, 'resourceType'])
    for (const url of ['/functions?resourceType=DESTINATION&pagination%5Bcount%5D=0', `/functions/${first.functions[0].id}/versions?pagination%5Bcount%5D=5000`, '/sources?pagination.count=abc', '/audit-events?pagination%5Bcount%5D=-1']) {
      const bad = await call('GET', url)
      assert.deepEqual([bad.status, bad.body.errors[0].field], [400, 'pagination.count'], url)
    }
  })

  it('previews a saved function and inline code in the sandbox', async () => {
    const fn = (await create({ code: 'async function onTrack(e, s) { console.log("hi"); return { ...e, tag: s.tag } }' })).body.data.function
    const saved = await call('POST', `/functions/${fn.id}/preview`, { event: { type: 'track' }, settings: { tag: 't' } })
    assert.equal(saved.body.data.result.outcome, 'forwarded')
    assert.equal(saved.body.data.result.event.tag, 't')
    assert.deepEqual(saved.body.data.result.logs, [{ level: 'log', message: 'hi' }])
    const inline = await call('POST', '/functions/preview', { code: 'async function onBatch(es) { return es.map(e => null) }', events: [{ type: 'track' }, { type: 'page' }] })
    assert.deepEqual(inline.body.data.result.results.map((r: { outcome: string }) => r.outcome), ['dropped', 'dropped'])
    const neither = await call('POST', '/functions/preview', { code: CODE })
    assert.deepEqual([neither.status, neither.body.errors[0].field], [400, 'event'])
  })

  it('deletes a function', async () => {
    const fn = (await create()).body.data.function
    assert.deepEqual((await call('DELETE', `/functions/${fn.id}`)).body, { data: { status: 'SUCCESS' } })
    assert.equal((await call('GET', `/functions/${fn.id}`)).status, 404)
  })
})

describe('management API: tokens and roles', () => {
  it('answers 401 without a token, with a malformed header, and with an unknown token', async () => {
    assert.equal((await call('GET', '/functions?resourceType=DESTINATION', undefined, null)).status, 401)
    const res = await s.app.inject({ method: 'GET', url: '/api/functions?resourceType=DESTINATION', headers: { authorization: 'Basic abc' } })
    assert.equal(res.statusCode, 401)
    assert.equal((await call('GET', '/functions?resourceType=DESTINATION', undefined, 'ifn_not-a-token')).status, 401)
  })

  const table: [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', (id: string) => string, unknown, Record<string, number>][] = [
    ['list', 'GET', () => '/functions?resourceType=INSERT_DESTINATION', undefined, { 'Workspace Owner': 200, 'Functions Admin': 200, 'Functions Read-only': 200, 'Source Admin': 200 }],
    ['get', 'GET', (id) => `/functions/${id}`, undefined, { 'Workspace Owner': 200, 'Functions Admin': 200, 'Functions Read-only': 200, 'Source Admin': 200 }],
    ['save', 'PATCH', (id) => `/functions/${id}`, { description: 'x' }, { 'Workspace Owner': 200, 'Functions Admin': 200, 'Functions Read-only': 403, 'Source Admin': 403 }],
    ['deploy', 'POST', (id) => `/functions/${id}/deploy`, undefined, { 'Workspace Owner': 200, 'Functions Admin': 403, 'Functions Read-only': 403, 'Source Admin': 403, 'Functions Admin + Source Admin': 200 }],
    ['inline preview', 'POST', () => '/functions/preview', { code: CODE, event: { type: 'track' } }, { 'Workspace Owner': 200, 'Functions Admin': 200, 'Functions Read-only': 403 }],
    ['delete', 'DELETE', (id) => `/functions/${id}`, undefined, { 'Functions Read-only': 403, 'Source Admin': 403, 'Functions Admin': 200 }],
    ['read the audit trail', 'GET', () => '/audit-events?pagination%5Bcount%5D=5', undefined, { 'Workspace Owner': 200, 'Functions Admin': 403, 'Functions Read-only': 403, 'Source Admin': 403 }],
  ]
  for (const [what, method, url, body, expected] of table) {
    for (const [role, status] of Object.entries(expected)) {
      it(`${role}: ${what} answers ${status}`, async () => {
        const fn = (await create()).body.data.function
        const r = await call(method, url(fn.id), body, s.tokens[role as keyof TestServer['tokens']])
        assert.equal(r.status, status, JSON.stringify(r.body))
        if (status === 403) assert.match(r.body.errors[0].message, /do not grant (functions|audit):/)
      })
    }
  }
})
