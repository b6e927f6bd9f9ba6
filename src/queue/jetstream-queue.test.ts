// The JetStream queue on the local NATS server (JetStream on): the contract every queue passes, then what
// only a queue timed by a server shows: several connections, a worker that dies, real delays. Every queue
// here has a random name, and its streams are deleted at the end, so runs never see each other's jobs.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { JetStreamQueue, parseAckSubject, type JetStreamQueueOptions } from './jetstream-queue.js'
import { queueContract, sleepingClock, testClock } from './queue.contract.js'
import { LeaseLostError, type LeasedJob, type NewJob } from './queue.js'

const SERVERS = process.env.INSERTFN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const LEASE_MS = 1000
const names: string[] = []
/** Every queue opened, closed at the end even when a test failed before closing it. */
const opened: JetStreamQueue[] = []

function freshName(): string {
  const name = `test_${randomBytes(6).toString('hex')}`
  names.push(name)
  return name
}

async function open(name: string, options: Partial<JetStreamQueueOptions> = {}): Promise<JetStreamQueue> {
  const queue = await JetStreamQueue.connect({ servers: SERVERS, name, ackWaitMs: LEASE_MS, ...options })
  opened.push(queue)
  return queue
}

const job = (i: number, destinationId = 'dst_a'): NewJob => ({ destinationId, payload: JSON.stringify({ i }) })

after(async () => {
  await Promise.all(opened.map((q) => q.close()))
  const nc = await connect({ servers: SERVERS })
  const jsm = await jetstreamManager(nc)
  for (const name of names) for (const stream of [`${name}_jobs`, `${name}_failed`]) await jsm.streams.delete(stream).catch(() => undefined)
  await nc.close()
})

queueContract(
  'jetstream',
  async (clock) => {
    const name = freshName()
    return { queue: await open(name, { now: clock.now }), openSecond: () => open(name, { now: clock.now }) }
  },
  { leaseMs: LEASE_MS, enqueue: 'idempotent' },
  // The server redelivers on its own timer: give it time past each lease.
  () => sleepingClock(500),
)

describe('jetstream queue', () => {
  it('two connections leasing and acking at once each get every job once, and the queue drains', async () => {
    const name = freshName()
    const [a, b] = await Promise.all([open(name, { ackWaitMs: 30_000 }), open(name, { ackWaitMs: 30_000 })])
    const n = 3000
    await a.enqueue(Array.from({ length: n }, (_, i) => job(i, `dst_${i % 7}`)))
    const seen = new Map<string, number>()
    const drain = async (q: JetStreamQueue) => {
      for (let idle = 0; idle < 3; ) {
        const jobs = await q.lease(50, 30_000)
        if (jobs.length === 0) idle++
        for (const j of jobs) seen.set(j.id, (seen.get(j.id) ?? 0) + 1)
        await Promise.all(jobs.map((j) => q.ack(j)))
      }
    }
    await Promise.all([drain(a), drain(b)])
    assert.equal(seen.size, n)
    assert.deepEqual([...seen.values()].filter((c) => c !== 1), [])
    assert.equal(await a.depth(), 0)
    await Promise.all([a.close(), b.close()])
  })

  it('jobs of a worker process that is SIGKILLed come back to another worker after the lease', async () => {
    const name = freshName()
    const queue = await open(name)
    await queue.enqueue([job(1), job(2), job(3)])
    const moduleUrl = new URL('./jetstream-queue.js', import.meta.url).href
    const script = `
      const { JetStreamQueue } = await import(${JSON.stringify(moduleUrl)})
      const q = await JetStreamQueue.connect({ servers: ${JSON.stringify(SERVERS)}, name: ${JSON.stringify(name)} })
      const jobs = await q.lease(10, 60_000)
      process.stdout.write(JSON.stringify(jobs.map((j) => j.id)) + '\\n')
      setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const held = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => resolve(JSON.parse(c.toString()) as string[]))
      child.on('exit', (code) => reject(new Error(`worker process exited ${code} before leasing`)))
    })
    assert.equal(held.length, 3)
    child.kill('SIGKILL')
    await new Promise((r) => child.on('close', r))
    // The dead worker kept its 60 s lease alive with progress messages; once they stop, the consumer's
    // 1 s ack wait ends it. Right after the kill, nothing is due.
    assert.deepEqual(await queue.lease(10, LEASE_MS), [])
    let back: LeasedJob[] = []
    for (let i = 0; i < 50 && back.length < 3; i++) {
      await sleep(200)
      back = [...back, ...(await queue.lease(10, 30_000))]
    }
    assert.deepEqual(back.map((j) => j.id), held)
    assert.deepEqual(back.map((j) => j.attempts), [2, 2, 2])
    for (const j of back) await queue.ack(j)
    assert.equal(await queue.depth(), 0)
    await queue.close()
  })

  it('with leaseWaitMs, an empty lease waits for a job and takes it as soon as it is published, with what came with it', async () => {
    const name = freshName()
    const worker = await open(name, { leaseWaitMs: 3000 })
    const producer = await open(name)
    const started = performance.now()
    const leasing = worker.lease(10, LEASE_MS)
    await sleep(200)
    await producer.enqueue([job(1), job(2), job(3)])
    const leased = await leasing
    const waited = performance.now() - started
    assert.ok(leased.length >= 1, 'the lease was answered by the job')
    assert.ok(waited < 2500, `answered when the job came, not at the end of the wait (${Math.round(waited)} ms)`)
    const rest = leased.length === 3 ? [] : await worker.lease(10, LEASE_MS)
    assert.deepEqual([...leased, ...rest].map((j) => JSON.parse(j.payload).i).sort(), [1, 2, 3])
    for (const j of [...leased, ...rest]) await worker.ack(j)
    // With nothing published, it answers empty at the end of the wait.
    const quiet = await open(name, { leaseWaitMs: 300 })
    const t = performance.now()
    assert.deepEqual(await quiet.lease(10, LEASE_MS), [])
    assert.ok(performance.now() - t >= 250, 'it waited')
  })

  it('a job given back with retryAt is redelivered no sooner than asked, and within generous bounds', async () => {
    const queue = await open(freshName(), { ackWaitMs: 30_000 })
    await queue.enqueue([job(1)])
    const [j] = await queue.lease(1, 30_000)
    const start = Date.now()
    await queue.retryAt(j!, Date.now() + 2000, '503')
    let again: LeasedJob[] = []
    while (again.length === 0 && Date.now() - start < 15_000) {
      again = await queue.lease(1, 30_000)
      if (again.length === 0) await sleep(100)
    }
    const waited = Date.now() - start
    assert.equal(again[0]?.id, j!.id)
    assert.ok(waited >= 1900 && waited < 10_000, `redelivered after ${waited} ms, asked for 2000`)
    await queue.close()
  })

  it('a worker whose lease expired cannot settle the job another worker leased since', async () => {
    const name = freshName()
    const [a, b] = await Promise.all([open(name), open(name)])
    await a.enqueue([job(1)])
    const [mine] = await a.lease(1, LEASE_MS)
    await sleep(LEASE_MS)
    let theirs: LeasedJob | undefined
    for (let i = 0; i < 50 && theirs === undefined; i++) [theirs] = await sleep(100).then(() => b.lease(1, LEASE_MS))
    assert.equal(theirs?.id, mine!.id)
    assert.equal(theirs?.attempts, 2)
    await assert.rejects(a.ack(mine!), LeaseLostError)
    await assert.rejects(a.fail(mine!, 'too late'), LeaseLostError)
    await b.fail(theirs!, 'Bad Request')
    assert.equal(await a.depth(), 0)
    // One failed copy, not two.
    assert.equal(await a.replay('dst_a'), 1)
    await Promise.all([a.close(), b.close()])
  })

  it('a lease longer than the ack wait is kept alive until its end', async () => {
    const name = freshName()
    const [a, b] = await Promise.all([open(name), open(name)])
    await a.enqueue([job(1)])
    const [j] = await a.lease(1, 4 * LEASE_MS)
    await sleep(2.5 * LEASE_MS)
    assert.deepEqual(await b.lease(1, LEASE_MS), [], 'the job came back while its lease was still running')
    await a.ack(j!)
    assert.equal(await a.depth(), 0)
    await Promise.all([a.close(), b.close()])
  })

  it('close hands back the leases it holds, due again at once', async () => {
    const name = freshName()
    const [a, b] = await Promise.all([open(name, { ackWaitMs: 30_000 }), open(name, { ackWaitMs: 30_000 })])
    await a.enqueue([job(1), job(2)])
    assert.equal((await a.lease(10, 30_000)).length, 2)
    await a.close()
    const back = await b.lease(10, 30_000)
    assert.deepEqual(back.map((j) => j.attempts), [2, 2])
    await b.close()
  })

  it('destination ids that are not subject tokens round-trip, and replay finds them', async () => {
    const queue = await open(freshName(), { now: testClock().now })
    const odd = 'dst.with spaces*and>dots'
    await queue.enqueue([job(1, odd), job(2, 'dst_a')])
    const leased = await queue.lease(10, LEASE_MS)
    assert.deepEqual(leased.map((j) => j.destinationId), [odd, 'dst_a'])
    for (const j of leased) await queue.fail(j, 'line one\r\nline two')
    assert.equal(await queue.replay(odd), 1)
    const [again] = await queue.lease(10, LEASE_MS)
    assert.deepEqual([again?.destinationId, again?.payload], [odd, JSON.stringify({ i: 1 })])
    await queue.close()
  })

  it('dedupe keys that cannot be header values (a sender\'s messageId with a line break) still dedupe', async () => {
    const queue = await open(freshName())
    const keyed = (key: string): NewJob => ({ ...job(1), dedupeKey: `${key}:dst_a` })
    const odd = 'm-1\r\nNats-Msg-Id: other'
    await queue.enqueue([keyed(odd), keyed('x'.repeat(300)), keyed('plain')])
    await queue.enqueue([keyed(odd), keyed('x'.repeat(300)), keyed('plain'), keyed('m-1'), keyed('other')])
    assert.equal(await queue.depth(), 5)
    await queue.close()
  })

  it('a replay sent twice at once replays each failed job once', async () => {
    const name = freshName()
    const [a, b] = await Promise.all([open(name), open(name)])
    await a.enqueue(Array.from({ length: 40 }, (_, i) => job(i)))
    for (const j of await a.lease(40, LEASE_MS)) await a.fail(j, 'Bad Request')
    const [x, y] = await Promise.all([a.replay('dst_a'), b.replay('dst_a')])
    assert.equal(x + y, 40)
    assert.equal(await a.depth(), 40)
    await Promise.all([a.close(), b.close()])
  })

  it('says what is wrong with its settings and with the server', async () => {
    await assert.rejects(JetStreamQueue.connect({ servers: SERVERS, name: 'bad.name' }), /queue name "bad.name" can hold only letters, digits, _ and -/)
    await assert.rejects(JetStreamQueue.connect({ servers: SERVERS, name: 'ok', ackWaitMs: 10 }), /ackWaitMs must be a whole number of at least 1000, not 10/)
    await assert.rejects(JetStreamQueue.connect({ servers: 'nats://127.0.0.1:1' }), /could not connect to NATS at nats:\/\/127\.0\.0\.1:1/)
    const queue = await open(freshName())
    await assert.rejects(queue.lease(0, LEASE_MS), /lease at least one job, not 0/)
    await assert.rejects(queue.enqueue([{ destinationId: '', payload: '{}' }]), /a job needs a destinationId/)
    await queue.close()
  })

  it('an enqueue the stream does not store rejects, saying how many jobs were stored and to send them again', async () => {
    const name = freshName()
    const queue = await open(name)
    const nc = await connect({ servers: SERVERS })
    await (await jetstreamManager(nc)).streams.delete(`${name}_jobs`)
    await nc.close()
    await assert.rejects(queue.enqueue([job(1), job(2)]), /JetStream stored 0 of 2 jobs \(no stream takes this subject \(503 no responders\)\); send them again/)
    await queue.close()
  })

  it('reads deliveries from reply subjects of both formats, and refuses anything else', () => {
    assert.deepEqual(parseAckSubject('$JS.ACK.s_jobs.s_workers.2.17.40.1795773214473826043.5'), {
      reply: '$JS.ACK.s_jobs.s_workers.2.17.40.1795773214473826043.5', attempts: 2, streamSeq: 17, deliverySeq: 40, storedAt: 1795773214473,
    })
    assert.equal(parseAckSubject('$JS.ACK.hub.ACCHASH.s_jobs.s_workers.3.17.41.1795773214473826043.5.token').attempts, 3)
    assert.throws(() => parseAckSubject('_INBOX.abc'), /not a JetStream delivery/)
    assert.throws(() => parseAckSubject(undefined), /not a JetStream delivery/)
  })
})
