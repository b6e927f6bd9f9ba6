import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
before(async () => {
  s = await testServer()
})
after(() => s.close())

async function call(method: 'GET' | 'POST', url: string, token: string | null, body?: unknown) {
  const res = await s.app.inject({
    method,
    url: `/api${url}`,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })
  return { status: res.statusCode, body: res.json() as Record<string, any> }
}

describe('management API: what the UI asks', () => {
  it('GET /me names the token, its roles and the permissions they grant', async () => {
    const owner = await call('GET', '/me', s.tokens['Workspace Owner'])
    assert.equal(owner.status, 200)
    assert.deepEqual(owner.body.data.token.roles, ['Workspace Owner'])
    assert.deepEqual([...owner.body.data.permissions].sort(), ['audit:read', 'functions:deploy', 'functions:read', 'functions:write', 'sources:read', 'sources:write'])
    const reader = await call('GET', '/me', s.tokens['Functions Read-only'])
    assert.deepEqual([...reader.body.data.permissions].sort(), ['functions:read', 'sources:read'])
    const both = await call('GET', '/me', s.tokens['Functions Admin + Source Admin'])
    assert.ok(both.body.data.permissions.includes('functions:write') && both.body.data.permissions.includes('functions:deploy'))
  })

  it('GET /me without a valid token is a 401', async () => {
    assert.equal((await call('GET', '/me', null)).status, 401)
    assert.equal((await call('GET', '/me', 'nope')).status, 401)
  })

  it('POST /functions/check says whether code loads, with the line and column of a load error', async () => {
    const ok = await call('POST', '/functions/check', s.tokens['Workspace Owner'], { code: 'async function onTrack(e) { return e }' })
    assert.deepEqual(ok.body.data, { loads: true })
    const broken = await call('POST', '/functions/check', s.tokens['Workspace Owner'], { code: 'async function onTrack(e) {\n  return e +\n}' })
    assert.equal(broken.status, 200)
    assert.equal(broken.body.data.loads, false)
    assert.equal(broken.body.data.error.line, 3)
    assert.equal(typeof broken.body.data.error.column, 'number')
    assert.match(broken.body.data.error.message, /Unexpected token/)
  })

  it('POST /functions/check takes the right to write functions, and refuses bad input with the field named', async () => {
    const reader = await call('POST', '/functions/check', s.tokens['Functions Read-only'], { code: 'x' })
    assert.equal(reader.status, 403)
    assert.match(reader.body.errors[0].message, /functions:write/)
    const bad = await call('POST', '/functions/check', s.tokens['Workspace Owner'], { code: 42 })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.errors[0].field, 'code')
    const unknown = await call('POST', '/functions/check', s.tokens['Workspace Owner'], { code: '', resourceType: 'SOURCE' })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.errors[0].field, 'resourceType')
  })
})
