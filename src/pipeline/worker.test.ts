// The delivery worker on real parts: a SQLite store and queue, the sandbox, and a real HTTP receiver.
// The clock is injected, so retries are stepped through without waiting.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import { createWebhookDelivery } from '../destinations/webhook.js'
import { SqliteQueue } from '../queue/sqlite-queue.js'
import { createRuntime } from '../runtime/index.js'
import { ConnectionStore } from '../store/connection-store.js'
import { FilterStore } from '../store/filter-store.js'
import { FunctionStore } from '../store/function-store.js'
import { SecretBox } from '../store/secret-box.js'
import { testClock } from '../queue/queue.contract.js'
import { openTestStore, type TestStore } from '../testing/stores.js'
import { Worker, type OutcomeReport } from './worker.js'

let store: TestStore
let queue: SqliteQueue
let connections: ConnectionStore
let functions: FunctionStore
let filters: FilterStore
const runtime = createRuntime({ timeoutMs: 1000 })
const webhook = createWebhookDelivery({ timeoutMs: 2000 })
const clock = testClock()
let server: Server
let url: string
let received: { body: Record<string, unknown>; headers: IncomingMessage['headers'] }[] = []
let respond: () => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })
let reports: OutcomeReport[] = []
let worker: Worker

before(async () => {
  store = await openTestStore('sqlite')
  queue = SqliteQueue.open({ file: join(dirname(store.location), 'queue.db'), now: clock.now })
  connections = new ConnectionStore(store.db, new SecretBox(randomBytes(32)))
  functions = new FunctionStore(store.db)
  filters = new FilterStore(store.db)
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const answer = respond()
      if (answer.status < 300) received.push({ body: JSON.parse(body) as Record<string, unknown>, headers: req.headers })
      res.writeHead(answer.status, answer.headers).end(answer.status < 300 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  worker = new Worker({
    queue, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, random: () => 0.5,
    // configTtlMs 0: each test changes configuration and expects the very next job to see it.
    report: (r) => reports.push(r), options: { retryWindowMs: 60 * 60_000, configTtlMs: 0 },
  })
})
after(async () => {
  await worker.stop()
  await runtime.close()
  await webhook.close()
  await queue.close()
  await new Promise((r) => server.close(r))
  await store.destroy()
})
beforeEach(() => {
  received = []
  reports = []
  respond = () => ({ status: 200 })
})

async function destination(name = 'Orders hook', batchSize = 1) {
  const source = await connections.createSource({ slug: `s-${randomBytes(3).toString('hex')}`, enabled: true }, 't')
  return connections.createDestination({ sourceId: source.id, metadataId: 'webhook', name, settings: { url, batchSize, headers: { Authorization: 'Bearer sekret-123456789' } } }, 't')
}
async function send(destinationId: string, ...events: Record<string, unknown>[]) {
  await queue.enqueue(events.map((e, i) => ({ destinationId, payload: JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: `m-${i}-${randomBytes(3).toString('hex')}`, ...e }) })))
}
async function connect(destinationId: string, code: string) {
  const fn = await functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'f', code, settings: [{ name: 'key', label: 'Key', description: '', type: 'STRING', required: true, sensitive: true }], author: 't' })
  await functions.deploy(fn.id, 't')
  await connections.createInstance({ functionId: fn.id, integrationId: destinationId, name: 'i', settings: { key: 'fn-secret' } }, 't')
  return fn
}
const outcomes = () => reports.map((r) => r.outcome.status === 'failed' ? `failed:${r.outcome.category}` : r.outcome.status === 'filtered' ? `filtered:${r.outcome.by}` : r.outcome.status)
/**
 * Seven events to a destination batching by three arrive in arrays of 3, 3 and 1, each settled as
 * delivered; two more while the webhook answers 503 are both retried.
 */
async function sendsBatchesOfThree(destinationId: string, by: Worker) {
  await send(destinationId, ...Array.from({ length: 7 }, (_, i) => ({ properties: { n: i } })))
  assert.equal(await by.runOnce(), 7)
  assert.deepEqual(received.map((r) => (Array.isArray(r.body) ? r.body.length : 'object')).sort(), [1, 3, 3])
  assert.deepEqual(received.flatMap((r) => (r.body as unknown as { properties: { n: number } }[]).map((e) => e.properties.n)).sort(), [0, 1, 2, 3, 4, 5, 6])
  assert.deepEqual(outcomes(), Array(7).fill('delivered'))
  respond = () => ({ status: 503 })
  reports = []
  await send(destinationId, {}, {})
  await by.runOnce()
  assert.deepEqual(outcomes(), ['retrying', 'retrying'])
}

describe('delivery worker', () => {
  it('a started worker idles while the queue is empty, and wake() sends it to the queue at once', async () => {
    const d = await destination()
    // An idle wait of a minute: only wake() can bring the event within the test's patience.
    const started = new Worker({ queue, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, report: (r) => reports.push(r), options: { idleMs: 60_000, concurrentRounds: 2, configTtlMs: 0 } })
    started.start()
    await new Promise((r) => setTimeout(r, 50)) // both loops found nothing and are waiting
    await send(d.id, { properties: { n: 1 } })
    started.wake()
    const end = Date.now() + 5000
    while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    await started.stop()
    assert.deepEqual(outcomes(), ['delivered'])
    assert.equal(received[0]!.body.properties && (received[0]!.body.properties as { n: number }).n, 1)
  })

  it('does not lose a wake that comes while a lease is on its way and comes back empty', async () => {
    const d = await destination()
    let started: Worker | undefined
    let raced = false
    // The lease reaches the queue before the event is enqueued, and its empty answer comes back after the
    // wake for that event: the order the embedded delivery thread can see them in.
    const lease = async (max: number, leaseMs: number) => {
      const jobs = await queue.lease(max, leaseMs)
      if (!raced && jobs.length === 0) {
        raced = true
        await send(d.id, { properties: { n: 2 } })
        started!.wake()
      }
      return jobs
    }
    const racing = new Proxy(queue, {
      get(target, key) {
        if (key === 'lease') return lease
        const value: unknown = Reflect.get(target, key)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    // An idle wait of a minute, one loop: a lost wake leaves the event there past the test's patience.
    started = new Worker({ queue: racing, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, report: (r) => reports.push(r), options: { idleMs: 60_000, concurrentRounds: 1, configTtlMs: 0 } })
    started.start()
    const end = Date.now() + 5000
    while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    await started.stop()
    assert.equal(raced, true)
    assert.deepEqual(outcomes(), ['delivered'])
  })

  it('does not sleep between leases that wait for work themselves, and sleeps after a lease that failed', async () => {
    for (const failing of [false, true]) {
      let leases = 0
      const waiting = new Proxy(queue, {
        get(target, key) {
          if (key === 'leaseWaitMs') return 5
          if (key === 'lease') return async () => {
            leases++
            await new Promise((r) => setTimeout(r, 5))
            if (failing) throw new Error('the queue is unreachable')
            return []
          }
          const value: unknown = Reflect.get(target, key)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      // An idle wait of a minute: a loop that slept after its first lease would make no second one.
      const started = new Worker({ queue: waiting, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, onError: () => undefined, options: { idleMs: 60_000, concurrentRounds: 1, configTtlMs: 0 } })
      started.start()
      await new Promise((r) => setTimeout(r, 200))
      const stopping = started.stop()
      if (failing) assert.equal(leases, 1, 'a failed lease is followed by the idle wait')
      else assert.ok(leases >= 3, `a loop whose leases wait leases again at once (${leases} leases in 200 ms)`)
      await stopping
    }
  })

  it('on a queue that keeps leases alive only while the worker runs, leases for as long as a round may take; elsewhere for leaseMs', async () => {
    const d = await destination()
    for (const keepsLeasesAlive of [true, false]) {
      await send(d.id, { properties: { n: keepsLeasesAlive ? 1 : 2 } })
      const asked: number[] = []
      const leasing = new Proxy(queue, {
        get(target, key) {
          if (key === 'keepsLeasesAlive') return keepsLeasesAlive
          if (key === 'lease') return (max: number, leaseMs: number) => (asked.push(leaseMs), target.lease(max, leaseMs))
          const value: unknown = Reflect.get(target, key)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      const w = new Worker({ queue: leasing, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, report: (r) => reports.push(r), options: { leaseMs: 3000, holdMs: 600_000, configTtlMs: 0 } })
      assert.equal(await w.runOnce(), 1)
      await w.stop()
      assert.deepEqual(asked, [keepsLeasesAlive ? 600_000 : 3000])
    }
    assert.deepEqual(outcomes(), ['delivered', 'delivered'])
  })

  it('POSTs the event as JSON to the webhook with its headers (secrets opened only for the request)', async () => {
    const d = await destination()
    await send(d.id, { properties: { total: 5 } })
    assert.equal(await worker.runOnce(), 1)
    assert.deepEqual(outcomes(), ['delivered'])
    assert.equal(received[0]!.body.event, 'E')
    assert.equal(received[0]!.headers.authorization, 'Bearer sekret-123456789')
    assert.equal(received[0]!.headers['content-type'], 'application/json')
    assert.equal(await queue.depth(), 0)
  })

  it('the integrations object keeps an event from a destination named false', async () => {
    const d = await destination('Webhook A')
    await send(d.id, { integrations: { 'Webhook A': false } }, { integrations: { All: false } }, { integrations: { All: false, 'Webhook A': true } })
    await worker.runOnce()
    assert.deepEqual(outcomes().sort(), ['delivered', 'filtered:integrations', 'filtered:integrations'])
    assert.equal(received.length, 1)
  })

  it("applies the destination's filters before the function", async () => {
    const d = await destination()
    await filters.create(d.id, { sourceId: d.sourceId, if: "match(userId, 'test-*')", actions: [{ type: 'DROP' }], title: 'no tests', enabled: true }, 't')
    await filters.create(d.id, { sourceId: d.sourceId, if: 'true = true', actions: [{ type: 'DROP_PROPERTIES', fields: { properties: ['email'] } }], title: 'no emails', enabled: true }, 't')
    await connect(d.id, 'async function onTrack(e) { return { ...e, sawEmail: e.properties.email !== undefined } }')
    await send(d.id, { userId: 'test-1' }, { properties: { email: 'a@b.c', total: 1 } })
    await worker.runOnce()
    assert.deepEqual(outcomes().sort(), ['delivered', 'filtered:filter'])
    assert.deepEqual([received[0]!.body.properties, received[0]!.body.sawEmail], [{ total: 1 }, false])
  })

  it('runs the insert function with its settings: enrich, drop, reject', async () => {
    const d = await destination()
    await connect(d.id, `async function onTrack(e, settings) {
      if (e.properties.kind === 'drop') return
      if (e.properties.kind === 'reject') throw new ValidationError('bad order')
      return { ...e, enriched: settings.key }
    }`)
    await send(d.id, { properties: { kind: 'enrich' } }, { properties: { kind: 'drop' } }, { properties: { kind: 'reject' } })
    await worker.runOnce()
    assert.deepEqual(outcomes().sort(), ['delivered', 'failed:Message Rejected', 'filtered:insert function'])
    assert.equal(received[0]!.body.enriched, 'fn-secret')
  })

  it('retries a RetryError with growing, jittered delays, and delivers once the function recovers', async () => {
    const d = await destination()
    await connect(d.id, `let calls = 0; async function onTrack(e) { if (++calls < 4) throw new RetryError('CRM busy'); return e }`)
    await send(d.id, {})
    const delays: number[] = []
    for (let i = 0; i < 4; i++) {
      reports = []
      await worker.runOnce()
      const o = reports[0]!.outcome
      if (o.status === 'retrying') {
        delays.push(o.at - clock.now())
        clock.advance(o.at - clock.now())
      }
    }
    // random() is pinned at 0.5: half of 1 s, 2 s, 4 s.
    assert.deepEqual(delays, [500, 1000, 2000])
    assert.deepEqual(outcomes(), ['delivered'])
    assert.equal(received.length, 1)
  })

  it('retries a webhook that answers 500, honours Retry-After on 429, and delivers when it recovers', async () => {
    const d = await destination()
    await send(d.id, {})
    const answers = [{ status: 500 }, { status: 429, headers: { 'retry-after': '30' } }, { status: 200 }]
    respond = () => answers.shift()!
    await worker.runOnce()
    let o = reports.at(-1)!.outcome
    assert.equal(o.status, 'retrying')
    clock.advance(1000)
    await worker.runOnce()
    o = reports.at(-1)!.outcome
    assert.ok(o.status === 'retrying' && o.at - clock.now() >= 30_000, JSON.stringify(o))
    clock.advance(30_000)
    await worker.runOnce()
    assert.deepEqual(outcomes(), ['retrying', 'retrying', 'delivered'])
  })

  it('records keep what the function logged and fetched, with secret setting values redacted', async () => {
    const d = await destination()
    await connect(d.id, `async function onTrack(e, settings) {
      console.log('using key', settings.key)
      await fetch('https://crm.invalid/lookup?token=' + settings.key).catch(() => null)
      throw new ValidationError('key ' + settings.key + ' refused')
    }`)
    await send(d.id, {})
    await worker.runOnce()
    const r = reports[0]!
    assert.deepEqual(outcomes(), ['failed:Message Rejected'])
    assert.equal(r.outcome.status === 'failed' && r.outcome.reason, 'ValidationError: key •••• refused')
    assert.deepEqual(r.trace!.logs, [{ level: 'log', message: 'using key ••••' }])
    assert.doesNotMatch(JSON.stringify(r), /fn-secret/)
    assert.equal(JSON.parse(r.event).type, 'track')
  })

  it('records what the destination was sent when the function changed the event (secret values redacted), and nothing more when it passed the event on as it came', async () => {
    const d = await destination()
    await connect(d.id, `async function onTrack(e, settings) {
      if (e.properties.kind === 'same') return e
      return { ...e, properties: { ...e.properties, tier: 'gold', key: settings.key } }
    }`)
    await send(d.id, { properties: { kind: 'enrich' } }, { properties: { kind: 'same' } })
    respond = () => ({ status: 503 })
    await worker.runOnce()
    const byKind = (kind: string) => reports.find((r) => (JSON.parse(r.event) as { properties: { kind: string } }).properties.kind === kind)!
    assert.deepEqual(outcomes(), ['retrying', 'retrying'])
    const sent = JSON.parse(byKind('enrich').sent!) as { properties: Record<string, string> }
    assert.deepEqual(sent.properties, { kind: 'enrich', tier: 'gold', key: '••••' })
    assert.equal(byKind('same').sent, undefined)
    assert.doesNotMatch(JSON.stringify(reports), /fn-secret/)
  })

  it('failed events replay once the function is fixed and deployed', async () => {
    const d = await destination()
    const fn = await connect(d.id, 'async function onTrack() { throw new ValidationError("broken mapping") }')
    await send(d.id, {}, {})
    await worker.runOnce()
    assert.deepEqual(outcomes(), ['failed:Message Rejected', 'failed:Message Rejected'])
    await functions.update(fn.id, { code: 'async function onTrack(e) { return { ...e, fixed: true } }' }, 't')
    await functions.deploy(fn.id, 't')
    assert.equal(await queue.replay(d.id), 2)
    reports = []
    await worker.runOnce()
    assert.deepEqual(outcomes(), ['delivered', 'delivered'])
    assert.ok(received.every((r) => r.body.fixed === true))
  })

  it('an event whose messageId was already delivered to the destination is not delivered again', async () => {
    const d = await destination()
    await queue.enqueue([0, 1].map(() => ({ destinationId: d.id, payload: JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: 'resent-by-client' }) })))
    await worker.runOnce()
    assert.deepEqual(outcomes().sort(), ['delivered', 'filtered:duplicate'])
    assert.equal(received.length, 1)
    // A later worker (a restart, or another worker) is told by the delivery records.
    const fresh = new Worker({ queue, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, report: (r) => reports.push(r) })
    fresh.remember(d.id, 'resent-by-client', clock.now() - 1000)
    fresh.remember(d.id, 'outside-the-window', clock.now() - 25 * 3600_000)
    reports = []
    await queue.enqueue([{ destinationId: d.id, payload: JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: 'resent-by-client' }) }])
    await fresh.runOnce()
    assert.deepEqual(outcomes(), ['filtered:duplicate'])
    reports = []
    await queue.enqueue([{ destinationId: d.id, payload: JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: 'outside-the-window' }) }])
    await fresh.runOnce()
    assert.deepEqual(outcomes(), ['delivered'], 'a delivery older than the dedupe window does not stop a repeat')
    await fresh.stop()
  })

  it('a resend leased in another round while the first is still being delivered waits for it, and is not delivered again', async () => {
    const d = await destination()
    const oneAtATime = new Worker({ queue, connections, filters, functions, runtime, now: clock.now, report: (r) => reports.push(r), options: { batchSize: 1 },
      // A slow destination: the second round leases the resend while the first delivery is on its way.
      deliverWebhook: async (settings, body, now) => {
        await new Promise((r) => setTimeout(r, 50))
        return webhook.deliver(settings, body, now)
      },
    })
    const event = JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: 'sent-twice-at-once' })
    await queue.enqueue([{ destinationId: d.id, payload: event }, { destinationId: d.id, payload: event }])
    assert.deepEqual(await Promise.all([oneAtATime.runOnce(), oneAtATime.runOnce()]), [1, 1], 'two rounds, one job each')
    assert.deepEqual(outcomes().sort(), ['delivered', 'filtered:duplicate'])
    assert.equal(received.length, 1)
    await oneAtATime.stop()
  })

  it('with batchSize above 1, sends JSON arrays of up to that many events, and settles each job by its request', async () => {
    const d = await destination('Batched', 3)
    await sendsBatchesOfThree(d.id, worker)
  })

  it('refuses a batchSize out of range, naming it', async () => {
    const source = await connections.createSource({ slug: `s-${randomBytes(3).toString('hex')}`, enabled: true }, 't')
    await assert.rejects(connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url, batchSize: 5000 } }, 't'), /settings.batchSize must be a whole number from 1/)
  })

  it('a 4xx from the webhook fails the event at once; an endless outage fails it when the retry window ends', async () => {
    const d = await destination()
    respond = () => ({ status: 400 })
    await send(d.id, {})
    await worker.runOnce()
    assert.deepEqual(outcomes(), ['failed:Destination 400'])
    reports = []
    respond = () => ({ status: 503 })
    await send(d.id, {})
    for (let i = 0; i < 30 && !reports.some((r) => r.outcome.status === 'failed'); i++) {
      await worker.runOnce()
      clock.advance(15 * 60_000)
    }
    assert.equal(outcomes().at(-1), 'failed:Retry exhausted')
    assert.equal(await queue.depth(), 0)
  })
})

// The round path: once a destination's setup and function are loaded, a round's jobs run each stage
// together and settle in one call. The worker above reads its setup for every job (configTtlMs 0), so
// these tests keep it for a minute, warm it with one event, and watch how the queue is settled.
describe('delivery worker, round path', () => {
  let settledTogether: number[] = []
  let settledAlone = 0
  let rounds: Worker
  beforeEach(() => {
    settledTogether = []
    settledAlone = 0
  })
  before(() => {
    const watched = new Proxy(queue, {
      get(target, key) {
        if (key === 'settleAll') return (list: Parameters<SqliteQueue['settleAll']>[0]) => (settledTogether.push(list.length), target.settleAll(list))
        if (key === 'ack' || key === 'retryAt' || key === 'fail') settledAlone++
        const value = Reflect.get(target, key, target) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    rounds = new Worker({ queue: watched, connections, filters, functions, runtime, deliverWebhook: webhook.deliver, now: clock.now, random: () => 0.5, report: (r) => reports.push(r), options: { retryWindowMs: 60 * 60_000, configTtlMs: 60_000 } })
  })
  after(() => rounds.stop())

  /** One event through the destination, on the per-job path, so that its setup and function are loaded. */
  async function warm(destinationId: string) {
    await send(destinationId, { properties: { kind: 'warm-up' } })
    await rounds.runOnce()
    assert.equal(settledAlone, 1, 'the first event of a destination runs on its own')
    reports = []
    received = []
    settledAlone = 0
  }

  it('settles a round of mixed outcomes in few calls (those decided before the webhook, then the delivered), each job by its own outcome, secrets redacted', async () => {
    const d = await destination('Round hook')
    await connect(d.id, `async function onTrack(e, settings) {
      const kind = e.properties.kind
      if (kind === 'drop') return
      if (kind === 'reject') throw new ValidationError('bad order for ' + settings.key)
      if (kind === 'retry') throw new RetryError('CRM busy')
      return { ...e, enriched: settings.key }
    }`)
    await warm(d.id)
    await send(d.id, { properties: { kind: 'enrich' } }, { properties: { kind: 'drop' } }, { properties: { kind: 'reject' } }, { properties: { kind: 'retry' } },
      { properties: { kind: 'enrich' }, integrations: { All: false } })
    assert.equal(await rounds.runOnce(), 5)
    assert.deepEqual(settledTogether, [4, 1])
    assert.equal(settledAlone, 0)
    assert.deepEqual(outcomes(), ['filtered:insert function', 'failed:Message Rejected', 'retrying', 'filtered:integrations', 'delivered'])
    assert.equal(received.length, 1)
    assert.equal(received[0]!.body.enriched, 'fn-secret')
    const rejected = reports[1]!.outcome as { reason: string }
    assert.match(rejected.reason, /bad order for ••••/)
    assert.doesNotMatch(rejected.reason, /fn-secret/)
    // The retry is due again after its backoff, and the rejected event is kept for replay.
    reports = []
    clock.advance(500)
    assert.equal(await rounds.runOnce(), 1)
    assert.deepEqual(outcomes(), ['retrying'])
    assert.equal(await queue.replay(d.id), 1)
  })

  it('runs a round that spans two instances of one function each with its own settings, and each event with its own result', async () => {
    const [a, b] = [await destination('Round A'), await destination('Round B')]
    const fn = await connect(a.id, 'async function onTrack(e, settings) { if (e.properties.n % 3 === 2) return; return { ...e, tag: settings.key } }')
    await connections.createInstance({ functionId: fn.id, integrationId: b.id, name: 'i', settings: { key: 'key-of-b' } }, 't')
    await warm(a.id)
    await warm(b.id)
    const n = Array.from({ length: 6 }, (_, i) => ({ properties: { n: i } }))
    await send(a.id, ...n)
    await send(b.id, ...n)
    assert.equal(await rounds.runOnce(), 12)
    assert.equal(settledAlone, 0)
    const got = received.map((r) => `${r.body.tag as string}:${(r.body.properties as { n: number }).n}`).sort()
    assert.deepEqual(got, ['fn-secret:0', 'fn-secret:1', 'fn-secret:3', 'fn-secret:4', 'key-of-b:0', 'key-of-b:1', 'key-of-b:3', 'key-of-b:4'])
    assert.equal(outcomes().filter((o) => o === 'filtered:insert function').length, 4)
  })

  it('settles a delivered job as soon as its request answers, not when the round\'s slowest request does', async () => {
    const d = await destination('Round slow and fast')
    let releaseSlow!: () => void
    const slowAnswered = new Promise<void>((r) => (releaseSlow = r))
    const reported: string[] = []
    const prompt = new Worker({
      queue, connections, filters, functions, runtime, now: clock.now, report: (r) => reported.push(r.messageId), options: { configTtlMs: 60_000 },
      // The event marked slow waits for the test to let its request go.
      deliverWebhook: async (settings, body, now) => {
        if (body.includes('"slow"')) await slowAnswered
        return webhook.deliver(settings, body, now)
      },
    })
    await send(d.id, { properties: { kind: 'warm-up' } })
    await prompt.runOnce()
    reported.length = 0
    await queue.enqueue(['fast', 'slow'].map((kind) => ({ destinationId: d.id, payload: JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: kind, properties: { kind } }) })))
    const round = prompt.runOnce()
    const end = Date.now() + 5000
    while (reported.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    assert.deepEqual(reported, ['fast'], 'the fast event is settled and reported while the slow one is still on its way')
    releaseSlow()
    assert.equal(await round, 2)
    assert.deepEqual(reported, ['fast', 'slow'])
    await prompt.stop()
  })

  it('delivers an event sent twice in one round once, and filters the repeat as a duplicate', async () => {
    const d = await destination('Round repeat')
    await warm(d.id)
    const event = JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: 'twice-in-one-round' })
    await queue.enqueue([{ destinationId: d.id, payload: event }, { destinationId: d.id, payload: event }, { destinationId: d.id, payload: JSON.stringify({ type: 'track', event: 'E', userId: 'u', messageId: 'once' }) }])
    assert.equal(await rounds.runOnce(), 3)
    assert.deepEqual(outcomes().sort(), ['delivered', 'delivered', 'filtered:duplicate'])
    assert.deepEqual(received.map((r) => r.body.messageId).sort(), ['once', 'twice-in-one-round'])
  })

  it('sends a batched destination the round in arrays of at most batchSize, and retries them all when the webhook fails', async () => {
    const d = await destination('Round batched', 3)
    await warm(d.id)
    await new Promise((r) => setTimeout(r, 10)) // the warm-up's batch has been sent
    received = []
    await sendsBatchesOfThree(d.id, rounds)
    assert.deepEqual(settledTogether, [7, 2])
  })
})
