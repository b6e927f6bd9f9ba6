// The default fetch over real HTTP: private destinations are refused unless allowed.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { isPublicAddress } from './default-fetch.js'
import { testEvent, testRuntime } from '../testing/fixtures.js'

let server: Server
let base: string
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/json' }).end()
      return
    }
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen-method': req.method ?? '' })
      res.end(JSON.stringify({ path: req.url, body, auth: req.headers.authorization ?? null, ua: req.headers['user-agent'] ?? null }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

const CODE = `async function onTrack(e, settings) {
  try {
    const res = await fetch(settings.url, { method: 'POST', headers: { Authorization: 'Basic ' + btoa('k:') }, body: JSON.stringify({ id: e.messageId }) })
    return { ...e, status: res.status, redirected: res.redirected, url: res.url, body: await res.json() }
  } catch (err) { return { ...e, error: err.message, code: err.code } }
}`

describe('the default fetch', () => {
  it('reaches a real server over HTTP when private networks are allowed (local development)', async () => {
    const runtime = testRuntime({ allowPrivateNetwork: true })
    const fn = await runtime.load(CODE)
    const input = testEvent()
    const r = await fn.invoke(input, { url: `${base}/collect?x=1` })
    assert.equal(r.event!.status, 200)
    assert.deepEqual((r.event!.body as Record<string, unknown>).path, '/collect?x=1')
    assert.equal((r.event!.body as Record<string, unknown>).body, JSON.stringify({ id: input.messageId }))
    assert.equal((r.event!.body as Record<string, unknown>).auth, 'Basic azo=')
    assert.equal(r.requests[0]!.status, 200)
  })

  it('follows redirects and says so', async () => {
    const runtime = testRuntime({ allowPrivateNetwork: true })
    const fn = await runtime.load(`async function onTrack(e, s) { const res = await fetch(s.url); return { ...e, redirected: res.redirected, url: res.url, status: res.status } }`)
    const r = await fn.invoke(testEvent(), { url: `${base}/redirect` })
    assert.deepEqual([r.event!.status, r.event!.redirected, r.event!.url], [200, true, `${base}/json`])
  })

  for (const [what, url] of [
    ['a loopback IP literal', () => `${base}/x`],
    ['a name that resolves to loopback', () => base.replace('127.0.0.1', 'localhost') + '/x'],
    ['an IPv6 loopback literal', () => 'http://[::1]:8080/x'],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a private range', () => 'http://10.0.0.1/x'],
  ] as const) {
    it(`refuses ${what} by default (production), with a clear error`, async () => {
      const runtime = testRuntime()
      const fn = await runtime.load(CODE)
      const r = await fn.invoke(testEvent(), { url: url() })
      assert.match(String(r.event!.error), /a private, loopback or link-local address that insert functions may not reach/)
      assert.match(r.requests[0]!.error!, /may not reach/)
    })
  }

  it('classifies addresses: only global unicast is public', () => {
    assert.deepEqual(
      ['8.8.8.8', '2606:4700:4700::1111', '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '0.0.0.0', '100.64.0.1', 'nonsense'].map(isPublicAddress),
      [true, true, false, false, false, false, false, false, false, false, false, false, false, false],
    )
  })
})
