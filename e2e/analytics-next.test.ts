// Segment's browser library, @segment/analytics-next, in real Chromium, pointed at insertfn with apiHost.
// The page comes from a different origin than the API (another port), as on a customer's site, so every
// request is cross-origin: the library posts text/plain bodies with the write key in them (and a Basic
// Authorization header, which makes the browser preflight), and only correct CORS answers let them through.
// The CDN settings are given to the library, so nothing is fetched from segment.com.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, it } from 'node:test'
import { build } from 'esbuild'
import { launchChromium, type LaunchedBrowser, type Page } from './browser.js'
import { startInsertfn, type InsertfnProcess } from './insertfn-process.js'
import { until } from '../src/testing/until.js'
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js'

const ROOT = new URL('../../', import.meta.url).pathname

// Runs in the page: loads the library with hand-written CDN settings, optionally in batching mode.
const PAGE_SCRIPT = `
import { AnalyticsBrowser } from '@segment/analytics-next'
window.loadAnalytics = (writeKey, apiHost, batching) => {
  const segment = { apiKey: writeKey, apiHost, protocol: 'http' }
  if (batching) segment.deliveryStrategy = { strategy: 'batching', config: { size: 3, timeout: 300 } }
  window.analytics = AnalyticsBrowser.load(
    { writeKey, cdnSettings: { integrations: { 'Segment.io': segment }, metrics: { sampleRate: 0 } } },
    { disableClientPersistence: true },
  )
}
`

/** What the page script puts on window, as the test calls it. */
type PageGlobals = { loadAnalytics(k: string, h: string, b: boolean): void; analytics: Record<string, (...args: unknown[]) => Promise<unknown>> }

interface Sent {
  url: string
  contentType: string | undefined
  writeKey: unknown
  body: Record<string, unknown>
  status?: number
  allowOrigin?: string | undefined
}

let insertfn: InsertfnProcess
let receiver: WebhookReceiver
let pageServer: Server
let pageOrigin: string
let browser: LaunchedBrowser
let writeKey: string
let apiHost: string
/** Requests the pages tried to send anywhere but the two local origins. */
const outside: string[] = []

before(async () => {
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: 'js' },
    bundle: true, format: 'iife', platform: 'browser', target: 'es2020', minify: true, write: false, logLevel: 'warning',
  })
  const script = bundle.outputFiles[0]!.text
  pageServer = createServer((req, res) => {
    if (req.url === '/bundle.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/bundle.js"></script><h1>A shop</h1>')
  })
  await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', r))
  // localhost, not 127.0.0.1: a different host as well as a different port from the API.
  pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`

  // The browser first: if it cannot start, no server is left running to keep the test process alive.
  browser = await launchChromium()
  ;[insertfn, receiver] = await Promise.all([startInsertfn(), startWebhookReceiver()])
  const source = (await insertfn.api<{ source: { id: string; writeKeys: string[] } }>('POST', '/sources', { slug: 'shop-web', enabled: true, metadataId: 'javascript' })).source
  writeKey = source.writeKeys[0]!
  await insertfn.api('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Site events', settings: { url: receiver.url } })
  apiHost = `${new URL(insertfn.address).host}/v1`
  await browser.browser.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue()
    outside.push(url.href)
    return route.abort()
  })
})

after(async () => {
  await browser?.close()
  await insertfn?.stop()
  await receiver?.close()
  await new Promise((r) => pageServer?.close(r))
})

/** Opens the shop page and records every request it makes to the tracking API. */
async function openShop(key: string, batching: boolean): Promise<{ page: Page; sent: Sent[]; errors: string[] }> {
  const { page, errors } = await browser.newPage()
  const sent: Sent[] = []
  page.on('request', (req) => {
    if (!req.url().startsWith(insertfn.address) || req.method() !== 'POST') return
    const body = JSON.parse(req.postData() ?? '{}') as Record<string, unknown>
    sent.push({ url: req.url(), contentType: req.headers()['content-type'], writeKey: body.writeKey, body })
  })
  page.on('response', (res) => {
    const s = sent.find((x) => x.url === res.url() && x.status === undefined)
    if (s && res.request().method() === 'POST') {
      s.status = res.status()
      s.allowOrigin = res.headers()['access-control-allow-origin']
    }
  })
  await page.goto(pageOrigin)
  await page.evaluate(([k, h, b]) => (globalThis as unknown as PageGlobals).loadAnalytics(k, h, b), [key, apiHost, batching] as const)
  return { page, sent, errors }
}

function eventsOfRun(run: string): Record<string, unknown>[] {
  return receiver.events.filter((e) => (e.properties as { run?: string } | undefined)?.run === run)
}

it('track, identify, page, group and alias from analytics-next reach the webhook with their fields', async () => {
  const { page, sent, errors } = await openShop(writeKey, false)
  await page.evaluate(async () => {
    const a = (globalThis as unknown as PageGlobals).analytics
    await a.identify!('user-1', { email: 'ada@example.com', plan: 'pro' })
    await a.track!('Order Completed', { orderId: 'o-1', revenue: 42.5, run: 'single' })
    await a.page!('Docs', 'Getting started', { run: 'single' })
    await a.group!('acme', { name: 'Acme Inc' })
    await a.alias!('user-1b', 'user-1')
  })
  await until('five events at the webhook', () => receiver.events.filter((e) => e.userId === 'user-1' || e.userId === 'user-1b').length >= 5)
  const byType = new Map(receiver.events.filter((e) => e.userId === 'user-1' || e.userId === 'user-1b').map((e) => [e.type, e]))
  assert.deepEqual([...byType.keys()].sort(), ['alias', 'group', 'identify', 'page', 'track'])

  const track = byType.get('track')!
  assert.equal(track.event, 'Order Completed')
  assert.deepEqual(track.properties, { orderId: 'o-1', revenue: 42.5, run: 'single' })
  assert.equal((track.context as { library: { name: string } }).library.name, 'analytics.js')
  assert.match(String((track.context as { page: { url: string } }).page.url), new RegExp(`^${pageOrigin}`))
  assert.equal(typeof track.anonymousId, 'string')
  assert.equal(typeof track.messageId, 'string')
  assert.equal(typeof track.receivedAt, 'string')
  assert.equal(track.writeKey, undefined, 'the write key is credentials: it must not be passed on to destinations')

  assert.deepEqual(byType.get('identify')!.traits, { email: 'ada@example.com', plan: 'pro' })
  const pageEvent = byType.get('page')!
  assert.equal(pageEvent.name, 'Getting started')
  assert.equal(pageEvent.category, 'Docs')
  assert.equal((pageEvent.properties as { run: string }).run, 'single')
  assert.equal(byType.get('group')!.groupId, 'acme')
  assert.deepEqual(byType.get('group')!.traits, { name: 'Acme Inc' })
  // analytics-next 1.84 sends the current user's id as userId on alias (not `to`); what it sent is what arrives.
  const aliasSent = sent.find((s) => s.url.endsWith('/v1/a'))!.body
  assert.equal(byType.get('alias')!.previousId, 'user-1')
  assert.equal(byType.get('alias')!.userId, aliasSent.userId)
  assert.equal(byType.get('alias')!.messageId, aliasSent.messageId)

  // The wire: one-letter paths, text/plain, the write key in the body, CORS answered for the shop's origin.
  // The events can reach the webhook before the browser has reported the answers to their requests.
  await until('the tracking API to answer every request', () => sent.every((s) => s.status !== undefined))
  assert.deepEqual(sent.map((s) => new URL(s.url).pathname).sort(), ['/v1/a', '/v1/g', '/v1/i', '/v1/p', '/v1/t'])
  for (const s of sent) {
    assert.equal(s.contentType, 'text/plain')
    assert.equal(s.writeKey, writeKey)
    assert.equal(s.status, 200)
    assert.equal(s.allowOrigin, '*')
  }
  assert.deepEqual(errors, [])
  await page.close()
})

it('in batching mode, events go together to /v1/b and all arrive', async () => {
  const { page, sent, errors } = await openShop(writeKey, true)
  await page.evaluate(() => {
    const a = (globalThis as unknown as PageGlobals).analytics
    void a.identify!('user-2', { plan: 'free' })
    void a.track!('Product Viewed', { sku: 's-1', run: 'batched' })
    void a.track!('Product Added', { sku: 's-1', run: 'batched' })
  })
  await until('three batched events at the webhook', () => receiver.events.filter((e) => e.userId === 'user-2').length >= 3)
  const events = receiver.events.filter((e) => e.userId === 'user-2')
  assert.deepEqual(events.map((e) => e.event ?? e.type).sort(), ['Product Added', 'Product Viewed', 'identify'])
  assert.deepEqual(events.find((e) => e.event === 'Product Added')!.properties, { sku: 's-1', run: 'batched' })
  assert.ok(sent.length >= 1 && sent.every((s) => new URL(s.url).pathname === '/v1/b'), `requests: ${sent.map((s) => s.url).join(', ')}`)
  assert.ok(sent.length < 3, `three events should travel in fewer than three requests, went in ${sent.length}`)
  await until('the tracking API to answer every request', () => sent.every((s) => s.status !== undefined))
  for (const s of sent) {
    assert.equal(s.contentType, 'text/plain')
    assert.equal(s.writeKey, writeKey)
    assert.equal(s.status, 200)
  }
  assert.deepEqual(errors, [])
  await page.close()
})

it('a wrong write key is refused with 401 and nothing reaches the webhook', async () => {
  const { page, sent } = await openShop('not-a-write-key', false)
  await page.evaluate(() => {
    const a = (globalThis as unknown as PageGlobals).analytics
    void a.track!('Should Not Arrive', { run: 'wrong-key' })
  })
  await until('the tracking API to answer', () => sent.some((s) => s.status !== undefined))
  assert.equal(sent[0]!.status, 401)
  // CORS is answered on refusals too, so the page's code can read why.
  assert.equal(sent[0]!.allowOrigin, '*')
  const body = await page.evaluate(async ([url]) => {
    const res = await fetch(url!, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ writeKey: 'not-a-write-key', event: 'x', userId: 'u' }) })
    return { status: res.status, body: await res.text() }
  }, [`${insertfn.address}/v1/t`])
  assert.equal(body.status, 401)
  assert.match(body.body, /write key is not known/)
  // Give a wrongly accepted event time to be delivered before checking that none was.
  await new Promise((r) => setTimeout(r, 1000))
  assert.equal(eventsOfRun('wrong-key').length, 0)
  await page.close()
})

it('nothing was fetched from outside this machine (no segment.com CDN or metrics)', () => {
  assert.deepEqual(outside, [])
})
