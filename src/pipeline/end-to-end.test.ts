// End to end, as a person would run it, in both modes: embedded (`insertfn start` in its own process,
// delivery in its thread, SQLite files) and scaled out (`insertfn start` and an `insertfn worker` process on
// the local Postgres and NATS JetStream). Configured through the management API, events sent with Segment's
// analytics-node, a real webhook receiving what the insert function lets through. Then every process is
// SIGKILLed under load and restarted: every event that got a 200 still arrives.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Analytics } from '@segment/analytics-node'
import { scaleOut } from '../testing/scale-out.js'
import { until } from '../testing/until.js'
import { apiClient, startServerProcess, startWorkerProcess, type ServerProcess } from '../testing/server-process.js'
import { THREAD_NAMES } from '../thread-name.js'

const TOKEN = 'e2e-owner-token'

const received: Record<string, unknown>[] = []
let receiverUp = true
/** What the function asks before letting a "flaky" event through: RetryError until this is on. */
let crmUp = false
const receiver = createServer((req, res) => {
  if (req.url === '/crm-status') return void res.writeHead(200).end(crmUp ? 'up' : 'down')
  let body = ''
  req.on('data', (c: Buffer) => (body += c.toString()))
  req.on('end', () => {
    if (!receiverUp) return void res.writeHead(503).end()
    received.push(JSON.parse(body) as Record<string, unknown>)
    res.writeHead(200).end()
  })
})
let base: string
before(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
})
after(() => new Promise((r) => receiver.close(r)))


const FUNCTION = `
async function onTrack(event, settings) {
  const kind = event.properties.kind
  if (kind === 'internal') return
  if (kind === 'invalid') throw new ValidationError('order ' + event.properties.n + ' has no total')
  if (kind === 'flaky') {
    const status = await (await fetch(settings.crmStatusUrl)).text()
    if (status !== 'up') throw new RetryError('CRM is ' + status)
  }
  return { ...event, properties: { ...event.properties, tier: settings.tier } }
}`
const kindOf = (n: number) => (['internal', 'invalid', 'flaky', 'plain', 'plain'] as const)[n % 5]!
const numbers = (events: Record<string, unknown>[]) => events.map((e) => (e.properties as { n: number }).n).sort((a, b) => a - b)

interface Mode {
  name: string
  /** Starts the server (and workers); returns the server. */
  start(): Promise<ServerProcess>
  /** Every process of the mode. */
  processes(): ServerProcess[]
  /** Where delivery metrics are served (the server itself when it delivers). */
  deliveryMetrics(): string
  cleanup(): Promise<void>
}

function embedded(): Mode {
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-e2e-'))
  let server: ServerProcess | undefined
  return {
    name: 'embedded',
    // A short lease, so the jobs a killed server held come back within the test's patience.
    start: async () => (server = await startServerProcess({ dataDir, token: TOKEN, env: { INSERTFN_LEASE_MS: '3000' } })),
    processes: () => (server === undefined ? [] : [server]),
    deliveryMetrics: () => `${server!.address}/metrics`,
    cleanup: async () => undefined,
  }
}

function scaledOut(): Mode {
  const { env, cleanup } = scaleOut('e2e')
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-e2e-'))
  let running: ServerProcess[] = []
  return {
    name: 'scaled out (Postgres, JetStream, a worker process)',
    async start() {
      const server = await startServerProcess({ dataDir, token: TOKEN, env })
      running = [server, await startWorkerProcess({ args: ['--metrics-port', '0'], env })]
      return server
    },
    processes: () => running,
    deliveryMetrics: () => /metrics at (\S+)/.exec(running[1]!.output())![1]!,
    cleanup,
  }
}

for (const mode of [embedded(), scaledOut()]) describe(mode.name, () => {
  let server: ServerProcess | undefined
  const start = mode.start
  after(async () => {
    await Promise.all(mode.processes().map((p) => p.stop('SIGKILL')))
    await mode.cleanup()
  })


  it('every event is accounted for: enriched and delivered, dropped, rejected, or retried until the CRM is back', async () => {
    received.length = 0
    crmUp = false
    server = await start()
    const api = apiClient(server.address, TOKEN)
    const source = (await api('POST', '/sources', { slug: 'shop', enabled: true, metadataId: 'http' })).source
    const destination = (await api('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Orders', settings: { url: `${base}/orders` } })).destination
    const fn = (await api('POST', '/functions', {
      resourceType: 'INSERT_DESTINATION', displayName: 'Enrich', code: FUNCTION,
      settings: [
        { name: 'tier', label: 'Tier', description: '', type: 'STRING', required: true, sensitive: false },
        { name: 'crmStatusUrl', label: 'CRM status URL', description: '', type: 'STRING', required: true, sensitive: false },
      ],
    })).function
    await api('POST', `/functions/${fn.id}/deploy`)
    await api('POST', '/insert-function-instances', { functionId: fn.id, integrationId: destination.id, name: 'enrich', settings: { tier: 'gold', crmStatusUrl: `${base}/crm-status` } })

    const analytics = new Analytics({ writeKey: source.writeKeys[0], host: server.address, flushAt: 20, flushInterval: 50, maxRetries: 3 })
    for (let n = 0; n < 40; n++) analytics.track({ userId: `u${n}`, event: 'Order Completed', properties: { n, kind: kindOf(n) } })
    await analytics.closeAndFlush({ timeout: 10_000 })

    const expect = (kinds: string[]) => Array.from({ length: 40 }, (_, n) => n).filter((n) => kinds.includes(kindOf(n)))
    await until('the 16 plain events', () => received.length === 16)
    // The flaky ones wait for the CRM: retried, not delivered, not failed.
    const retrying = async () => ((await api('GET', `/destinations/${destination.id}/delivery-metrics`)).totals.retrying ?? 0) >= 8
    await until('the flaky events to be retried', retrying, 10_000)
    assert.deepEqual(numbers(received), expect(['plain']))
    crmUp = true
    await until('the flaky events after the CRM came back', () => received.length === 24, 30_000)
    assert.deepEqual(numbers(received), expect(['plain', 'flaky']))
    assert.ok(received.every((e) => (e.properties as { tier: string }).tier === 'gold'), 'every delivered event was enriched')

    // received = delivered + filtered + failed, with the categories; retries are counted as attempts on the side.
    await until('the records of the deliveries', async () => ((await api('GET', `/destinations/${destination.id}/delivery-metrics`)).totals.delivered ?? 0) === 24, 5_000)
    const metrics = await api('GET', `/destinations/${destination.id}/delivery-metrics`)
    const { delivered, filtered, failed } = metrics.totals as Record<string, number>
    assert.deepEqual([delivered, filtered, failed], [24, 8, 8])
    assert.equal(delivered! + filtered! + failed!, 40)
    assert.deepEqual(metrics.byDetail.filtered, { 'insert function': 8 })
    assert.deepEqual(metrics.byDetail.failed, { 'Message Rejected': 8 })
    assert.equal(metrics.byDetail.delivered['after retry'], 8)
    const failedEvents = (await api('GET', `/destinations/${destination.id}/events?status=failed`)).events as { reason: string; event: { properties: { n: number } } }[]
    assert.deepEqual(failedEvents.map((e) => e.event.properties.n).sort((a, b) => a - b), expect(['invalid']))
    assert.match(failedEvents[0]!.reason, /^ValidationError: order \d+ has no total$/)
    // A delivered record shows the event as queued and, apart, as the function sent it on.
    const deliveredEvents = (await api('GET', `/destinations/${destination.id}/events?status=delivered`)).events as { event: { properties: Record<string, unknown> }; sent: { properties: Record<string, unknown> } | null }[]
    assert.ok(deliveredEvents.length > 0)
    for (const e of deliveredEvents) assert.deepEqual([e.event.properties.tier, e.sent?.properties.tier], [undefined, 'gold'])
    const retried = (await api('GET', `/destinations/${destination.id}/events?status=retrying`)).events as { reason: string; trace: { requests: { url: string; status: number }[] } }[]
    assert.equal(retried[0]!.reason, 'RetryError: CRM is down')
    assert.equal(retried[0]!.trace.requests[0]!.status, 200, 'the record shows the request the function made')

    const ingested = await (await fetch(`${server.address}/metrics`)).text()
    assert.match(ingested, new RegExp(`insertfn_events_received_total\\{source="${source.id}"\\} 40`))
    // The process's own figures under the one prefix, named as Prometheus's client libraries name them.
    assert.match(ingested, /^insertfn_process_cpu_seconds_total \d/m)
    assert.match(ingested, /^insertfn_nodejs_eventloop_lag_seconds \d/m)
    // Metrics reach the server from the delivery thread every 100 ms, apart from the records: wait for them.
    const delivered24 = new RegExp(`insertfn_deliveries_total\\{destination="${destination.id}",status="delivered",detail=""\\} 24`)
    await until('the delivery metrics', async () => delivered24.test(await (await fetch(mode.deliveryMetrics())).text()), 5_000)
    const prometheus = await (await fetch(mode.deliveryMetrics())).text()
    assert.match(prometheus, new RegExp(`insertfn_deliveries_total\\{destination="${destination.id}",status="failed",detail="Message Rejected"\\} 8`))
    assert.match(prometheus, /insertfn_queue_depth 0/)
  })

  if (mode.name === 'embedded') it('names its threads, so that top -H and perf can tell them apart', { skip: process.platform !== 'linux' }, () => {
    const pid = server!.child.pid!
    const names = readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim())
    for (const name of Object.values(THREAD_NAMES)) assert.ok(names.includes(name), `${name} among ${[...new Set(names)].join(', ')}`)
  })

  it('SIGKILL under load loses nothing: every event that got a 200 arrives after a restart', async (t) => {
    const api = apiClient(server!.address, TOKEN)
    const source = (await api('POST', '/sources', { slug: 'load', enabled: true, metadataId: 'http' })).source
    await api('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Load', settings: { url: `${base}/load` } })
    received.length = 0
    // Batches straight to /v1/batch, so each 200 is known: those events must all arrive, the others may not.
    const accepted = new Set<number>()
    let n = 0
    let killed = false
    const senders = Array.from({ length: 4 }, async () => {
      while (!killed) {
        const batch = Array.from({ length: 50 }, () => ({ type: 'track', event: 'Load', userId: 'u', properties: { n: n++ } }))
        try {
          const res = await fetch(`${server!.address}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeKey: source.writeKeys[0], batch }) })
          if (res.status === 200) for (const e of batch) accepted.add(e.properties.n)
        } catch {
          return // the server is gone
        }
      }
    })
    await until('deliveries to be under way', () => received.length > 300)
    killed = true
    await Promise.all(mode.processes().map((p) => p.stop('SIGKILL')))
    await Promise.all(senders)
    const before = received.length
    assert.ok(accepted.size > before, `events were still queued when the server died (${accepted.size} accepted, ${before} delivered)`)

    server = await start()
    const missing = () => { const arrived = new Set(numbers(received)); return [...accepted].filter((x) => !arrived.has(x)) }
    await until(() => `all ${accepted.size} accepted events (${missing().length} missing)`, () => missing().length === 0, 30_000)
    const arrived = new Set(numbers(received))
    assert.deepEqual([...accepted].filter((x) => !arrived.has(x)), [], 'no accepted event is missing')
    const repeats = received.length - arrived.size
    // At least once: a job delivered but not yet acked when the process died runs again, unless the dedupe window saw it.
    t.diagnostic(`accepted ${accepted.size}, delivered before the kill ${before}, arrived twice ${repeats}`)
    assert.ok(repeats <= 300, `${repeats} events arrived twice`)
    await Promise.all(mode.processes().map((p) => p.stop('SIGTERM')))
  })
})
