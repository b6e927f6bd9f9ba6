import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

const INDEX = '<!doctype html><title>insertfn</title><div id="root"></div>'
const APP_JS = 'console.log("app")'

let s: TestServer
let bare: TestServer
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'insertfn-ui-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), INDEX)
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), APP_JS)
  writeFileSync(join(dir, 'assets', 'app-abc123.js.gz'), gzipSync(APP_JS))
  s = await testServer({ uiDir: dir })
  bare = await testServer({ uiDir: mkdtempSync(join(tmpdir(), 'insertfn-no-ui-')) })
})
after(async () => {
  await s.close()
  await bare.close()
})

describe('the web UI at /', () => {
  it('serves index.html at / and at any UI route, never cached', async () => {
    for (const url of ['/', '/functions/ifnd_1', '/destinations?x=1']) {
      const res = await s.app.inject({ url })
      assert.equal(res.statusCode, 200, url)
      assert.equal(res.body, INDEX)
      assert.match(String(res.headers['content-type']), /^text\/html/)
      assert.equal(res.headers['cache-control'], 'no-cache')
    }
  })

  it('serves hashed assets for a year, gzipped when the client accepts it', async () => {
    const plain = await s.app.inject({ url: '/assets/app-abc123.js' })
    assert.equal(plain.body, APP_JS)
    assert.match(String(plain.headers['content-type']), /^text\/javascript/)
    assert.match(String(plain.headers['cache-control']), /immutable/)
    const zipped = await s.app.inject({ url: '/assets/app-abc123.js', headers: { 'accept-encoding': 'gzip, br' } })
    assert.equal(zipped.headers['content-encoding'], 'gzip')
    assert.deepEqual(zipped.rawPayload, gzipSync(APP_JS))
  })

  it('answers a missing asset with 404, not with index.html', async () => {
    const res = await s.app.inject({ url: '/assets/gone-000.js' })
    assert.equal(res.statusCode, 404)
  })

  it('leaves the APIs alone: unknown /api and /v1 paths are JSON 404s, and the APIs still answer', async () => {
    const api = await s.app.inject({ url: '/api/nothing-here' })
    assert.equal(api.statusCode, 404)
    assert.equal(api.json().errors[0].code, 'INSERTFN_NOT_FOUND')
    const v1 = await s.app.inject({ url: '/v1/nothing' })
    assert.equal(v1.statusCode, 404)
    const me = await s.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${s.tokens['Workspace Owner']}` } })
    assert.equal(me.statusCode, 200)
  })

  it('says how to build the UI when it is not built, and the APIs still work', async () => {
    const res = await bare.app.inject({ url: '/' })
    assert.equal(res.statusCode, 404)
    assert.match(res.body, /node scripts\/build\.mjs/)
    const me = await bare.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${bare.tokens['Workspace Owner']}` } })
    assert.equal(me.statusCode, 200)
  })
})
