// End to end, as a person would run it: `insertfn start` in its own process, configured through the
// management API, events sent with Segment's analytics-node, a real webhook receiving what the insert
// function lets through. Then the server is SIGKILLed with events still queued, and restarted: every event
// that got a 200 still arrives.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { Analytics } from '@segment/analytics-node'

const BIN = new URL('../../../bin/insertfn.js', import.meta.url).pathname
const TOKEN = 'e2e-owner-token'
const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-e2e-'))

const received: Record<string, unknown>[] = []
let receiverUp = true
const receiver = createServer((req, res) => {
  let body = ''
  req.on('data', (c: Buffer) => (body += c.toString()))
  req.on('end', () => {
    if (!receiverUp) return void res.writeHead(503).end()
    received.push(JSON.parse(body) as Record<string, unknown>)
    res.writeHead(200).end()
  })
})
let hookUrl: string
before(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/orders`
})
after(() => new Promise((r) => receiver.close(r)))

function start(): Promise<{ child: ChildProcess; address: string }> {
  // --no-node-snapshot given here, so the server runs in this process (not behind the bin's re-exec) and
  // SIGKILL reaches the server itself.
  const child = spawn(process.execPath, ['--no-node-snapshot', BIN, 'start', '--port', '0', '--data-dir', dataDir, '--allow-private-network'], {
    // A short lease, so the jobs the killed server held come back within the test's patience.
    env: { ...process.env, NODE_OPTIONS: '', INSERTFN_ADMIN_TOKEN: TOKEN, INSERTFN_LOG_LEVEL: 'warn', INSERTFN_LEASE_MS: '3000' },
  })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening after 20 s:\n${out}`)), 20_000)
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+) /.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ child, address: m[1]! })
      }
    })
  })
}

async function api(address: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${address}/api${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })
  const json = (await res.json()) as { data: Record<string, any> }
  assert.ok(res.ok, JSON.stringify(json))
  return json.data
}

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

it('events from analytics-node reach a webhook through an insert function; a SIGKILL loses none of them', async () => {
  const first = await start()
  const source = (await api(first.address, 'POST', '/sources', { slug: 'shop', enabled: true, metadataId: 'http' })).source
  const destination = (await api(first.address, 'POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Orders', settings: { url: hookUrl } })).destination
  const fn = (await api(first.address, 'POST', '/functions', {
    resourceType: 'INSERT_DESTINATION', displayName: 'Enrich',
    code: `async function onTrack(e, s) { if (e.properties.internal) return; return { ...e, properties: { ...e.properties, tier: s.tier } } }`,
    settings: [{ name: 'tier', label: 'Tier', description: '', type: 'STRING', required: true, sensitive: false }],
  })).function
  await api(first.address, 'POST', `/functions/${fn.id}/deploy`)
  await api(first.address, 'POST', '/insert-function-instances', { functionId: fn.id, integrationId: destination.id, name: 'enrich', settings: { tier: 'gold' } })

  const analytics = new Analytics({ writeKey: source.writeKeys[0], host: first.address, flushAt: 20, flushInterval: 50, maxRetries: 3 })
  for (let i = 0; i < 20; i++) analytics.track({ userId: `u${i}`, event: 'Order Completed', properties: { n: i, internal: i % 5 === 0 } })
  await analytics.closeAndFlush({ timeout: 10_000 })
  await until(() => received.length === 16)
  assert.ok(received.every((e) => (e.properties as { tier: string }).tier === 'gold'))
  assert.deepEqual(received.map((e) => (e.properties as { n: number }).n).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 5 !== 0))

  // Every event is accounted for: received = delivered + filtered + failed.
  await new Promise((r) => setTimeout(r, 600)) // the delivery log writes every 250 ms
  const metrics = await api(first.address, 'GET', `/destinations/${destination.id}/delivery-metrics`)
  assert.deepEqual(metrics.totals, { delivered: 16, filtered: 4 })
  assert.deepEqual(metrics.byDetail, { filtered: { 'insert function': 4 } })
  const filteredEvents = (await api(first.address, 'GET', `/destinations/${destination.id}/events?status=filtered`)).events as { event: { properties: { n: number } } }[]
  assert.deepEqual(filteredEvents.map((e) => e.event.properties.n).sort((a, b) => a - b), [0, 5, 10, 15])

  const prometheus = await (await fetch(`${first.address}/metrics`)).text()
  assert.match(prometheus, new RegExp(`insertfn_events_received_total\\{source="${source.id}"\\} 20`))
  assert.match(prometheus, new RegExp(`insertfn_deliveries_total\\{destination="${destination.id}",status="delivered",detail=""\\} 16`))
  assert.match(prometheus, new RegExp(`insertfn_deliveries_total\\{destination="${destination.id}",status="filtered",detail="insert function"\\} 4`))
  assert.match(prometheus, /insertfn_function_duration_seconds_count 20/)
  assert.match(prometheus, /insertfn_queue_depth 0/)

  // The receiver goes down, events keep coming and are queued, then the server is killed outright.
  receiverUp = false
  const second = new Analytics({ writeKey: source.writeKeys[0], host: first.address, flushAt: 10, flushInterval: 50, maxRetries: 3 })
  for (let i = 100; i < 110; i++) second.track({ userId: `u${i}`, event: 'Order Completed', properties: { n: i } })
  await second.closeAndFlush({ timeout: 10_000 })
  first.child.kill('SIGKILL')
  await new Promise((r) => first.child.on('exit', r))

  receiverUp = true
  const restarted = await start()
  // Retries back off (up to seconds), so allow for the jittered delays before everything arrives.
  await until(() => received.length >= 26, 30_000)
  const late = received.map((e) => (e.properties as { n: number }).n).filter((n) => n >= 100)
  assert.deepEqual([...new Set(late)].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => 100 + i))
  restarted.child.kill('SIGTERM')
  await new Promise((r) => restarted.child.on('exit', r))
})
