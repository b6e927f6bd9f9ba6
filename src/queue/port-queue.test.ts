import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { MessageChannel } from 'node:worker_threads'
import { PortQueue, serveQueue } from './port-queue.js'
import { readSettlements, type SettlementsWire } from './port-wire.js'
import { queueContract } from './queue.contract.js'
import { LeaseLostError, type JobQueue } from './queue.js'
import { SqliteQueue } from './sqlite-queue.js'

/** A queue used through a port, as the delivery thread uses the server thread's queue. */
function across(owner: JobQueue, options?: { settleGatherMs?: number; leaseWaitMs?: number; keepLeasesAliveMs?: number }, onMessage?: (m: { op: string; list?: SettlementsWire }) => void): PortQueue {
  const channel = new MessageChannel()
  serveQueue(owner, channel.port1)
  if (onMessage !== undefined) channel.port1.on('message', onMessage)
  return new PortQueue(channel.port2, options)
}

queueContract('sqlite through a message port', async (clock) => {
  const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db'), now: clock.now })
  return { queue: across(owner), openSecond: async () => across(owner) }
}, { leaseMs: 30_000, enqueue: 'atomic' })

it('a lost lease arrives on the far side as a LeaseLostError naming the job, and other errors keep their message', async () => {
  const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })
  const queue = across(owner)
  await queue.enqueue([{ destinationId: 'd', payload: '{}' }])
  const [job] = await queue.lease(1, 60_000)
  await queue.ack(job!)
  await assert.rejects(queue.ack(job!), (err: Error) => err instanceof LeaseLostError && err.message.includes(`job ${job!.id} `))
  await assert.rejects(queue.enqueue([{ destinationId: 'd' } as never]), /a job for d needs its payload as a JSON string/)
  await queue.close()
  await owner.close()
})

it('settles a round at once where the queue can, and one by one where it cannot, with the same answers', async () => {
  for (const bulk of [true, false]) {
    const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })
    const oneByOne: JobQueue = {
      enqueue: (jobs) => owner.enqueue(jobs), lease: (max, ms) => owner.lease(max, ms), ack: (job) => owner.ack(job),
      retryAt: (job, at, reason) => owner.retryAt(job, at, reason), fail: (job, reason) => owner.fail(job, reason),
      depth: () => owner.depth(), replay: (d, since) => owner.replay(d, since), close: async () => {},
    }
    const queue = across(bulk ? owner : oneByOne)
    try {
      await queue.enqueue([0, 1, 2].map((n) => ({ destinationId: 'd', payload: `{"n":${n}}` })))
      const [a, b, c] = await queue.lease(3, 60_000)
      const settled = await Promise.allSettled([queue.ack(a!), queue.retryAt(b!, Date.now() + 60_000, 'later'), queue.fail(c!, 'no'), queue.ack(a!)])
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'], bulk ? 'at once' : 'one by one')
      assert.ok((settled[3] as PromiseRejectedResult).reason instanceof LeaseLostError)
      assert.equal(await queue.depth(), 1, 'the retried job waits; the acked one is gone and the failed one is kept apart')
      assert.equal(await queue.replay('d'), 1, 'the failed job can be replayed')
    } finally {
      await queue.close()
      await owner.close()
    }
  }
})

it('settlements made within the gathering time cross in one message, and only what names the lease crosses for an ack', async () => {
  const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })
  const settles: SettlementsWire[] = []
  const queue = across(owner, { settleGatherMs: 200 }, (m) => (m.op === 'settle' ? settles.push(m.list!) : undefined))
  try {
    await queue.enqueue([0, 1, 2].map((n) => ({ destinationId: 'd', payload: `{"n":${n}}` })))
    const [a, b, c] = await queue.lease(3, 60_000)
    // Three acks a few turns of the event loop apart, as a round's answers come.
    const acks = [queue.ack(a!)]
    await new Promise((r) => setImmediate(r))
    acks.push(queue.ack(b!))
    await new Promise((r) => setTimeout(r, 5))
    acks.push(queue.ack(c!))
    await Promise.all(acks)
    assert.equal(settles.length, 1)
    assert.deepEqual(readSettlements(settles[0]!), [a, b, c].map((j) => ({ op: 'ack', job: { id: j!.id, leaseToken: j!.leaseToken } })))
    assert.doesNotMatch(JSON.stringify(settles[0]), /"n"/, 'no event text crosses for an ack')
    assert.equal(await queue.depth(), 0)
  } finally {
    await queue.close()
    await owner.close()
  }
})

it('settleMany answers each job of a round in its place, and joins single settlements in the same message', async () => {
  const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })
  const settles: SettlementsWire[] = []
  const queue = across(owner, { settleGatherMs: 50 }, (m) => (m.op === 'settle' ? settles.push(m.list!) : undefined))
  try {
    await queue.enqueue([0, 1, 2, 3].map((n) => ({ destinationId: 'd', payload: `{"n":${n}}` })))
    const [a, b, c, d] = await queue.lease(4, 60_000)
    await queue.ack(b!)
    settles.length = 0
    // b was settled already: its place in the answer says so, and the others' say nothing went wrong.
    const single = queue.ack(d!)
    const answers = await queue.settleMany([{ op: 'ack', job: a! }, { op: 'ack', job: b! }, { op: 'retryAt', job: c!, at: Date.now() + 60_000, reason: '503' }])
    await single
    assert.equal(settles.length, 1, 'the single ack and the round crossed together')
    assert.equal(answers.length, 3)
    assert.equal(answers[0], undefined)
    assert.ok(answers[1] instanceof LeaseLostError && answers[1].message.includes(`job ${b!.id} `))
    assert.equal(answers[2], undefined)
    assert.equal(await queue.depth(), 1, 'only the job to retry is left')
  } finally {
    await queue.close()
    await owner.close()
  }
})

it('rejects the operations still waiting when the serving end goes away, saying the queue is gone', async () => {
  const channel = new MessageChannel()
  // A server that takes the request and dies before it answers.
  channel.port1.on('message', () => channel.port1.close())
  const queue = new PortQueue(channel.port2)
  await assert.rejects(queue.depth(), /the queue is gone/)
})

describe('a lease that waits for jobs (leaseWaitMs)', () => {
  const open = () => SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })

  it('gets the jobs another port enqueues as soon as they are committed, and nothing when its wait ends first', async () => {
    const owner = open()
    // A wait of a minute: only the enqueue can answer the lease within the test's patience.
    const delivery = across(owner, { leaseWaitMs: 60_000 })
    const ingest = across(owner)
    try {
      assert.equal(delivery.leaseWaitMs, 60_000)
      const leased = delivery.lease(10, 60_000)
      await new Promise((r) => setTimeout(r, 20))
      await ingest.enqueue([0, 1, 2].map((n) => ({ destinationId: 'd', payload: `{"n":${n}}` })))
      assert.deepEqual((await leased).map((j) => j.payload), ['{"n":0}', '{"n":1}', '{"n":2}'])
      const brief = across(owner, { leaseWaitMs: 30 })
      assert.deepEqual(await brief.lease(10, 60_000), [], 'no job came within its wait')
      await brief.close()
    } finally {
      await Promise.all([delivery.close(), ingest.close()])
      await owner.close()
    }
  })

  it('waiting leases are served first come, first served, and no job goes to two of them', async () => {
    const owner = open()
    const a = across(owner, { leaseWaitMs: 60_000 })
    const b = across(owner, { leaseWaitMs: 60_000 })
    const ingest = across(owner)
    try {
      const first = a.lease(2, 60_000)
      await new Promise((r) => setTimeout(r, 10))
      const second = b.lease(2, 60_000)
      await new Promise((r) => setTimeout(r, 10))
      await ingest.enqueue([0, 1, 2].map((n) => ({ destinationId: 'd', payload: `{"n":${n}}` })))
      const [x, y] = await Promise.all([first, second])
      assert.deepEqual([x.map((j) => j.payload), y.map((j) => j.payload)], [['{"n":0}', '{"n":1}'], ['{"n":2}']])
    } finally {
      await Promise.all([a.close(), b.close(), ingest.close()])
      await owner.close()
    }
  })

  it('a replay answers a waiting lease; a lease whose port closed takes nothing', async () => {
    const owner = open()
    const ingest = across(owner)
    const gone = new MessageChannel()
    serveQueue(owner, gone.port1)
    const goneQueue = new PortQueue(gone.port2, { leaseWaitMs: 60_000 })
    const delivery = across(owner, { leaseWaitMs: 60_000 })
    try {
      await ingest.enqueue([{ destinationId: 'd', payload: '{"n":0}' }])
      const [job] = await delivery.lease(1, 60_000)
      await delivery.fail(job!, 'broken')
      void goneQueue.lease(1, 60_000).catch(() => undefined)
      await new Promise((r) => setTimeout(r, 10))
      gone.port2.close()
      await new Promise((r) => setTimeout(r, 10))
      const waiting = delivery.lease(1, 60_000)
      await new Promise((r) => setTimeout(r, 10))
      assert.equal(await ingest.replay('d'), 1)
      assert.deepEqual((await waiting).map((j) => j.payload), ['{"n":0}'], 'the replayed job, not swallowed by the closed port')
    } finally {
      await Promise.all([delivery.close(), ingest.close()])
      await owner.close()
    }
  })
})

describe('leases kept alive while the thread that holds them lives (keepLeasesAliveMs)', () => {
  const LEASE_MS = 400
  const open = () => SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it("keeps a live thread's jobs past the queue's lease, and lets a dead thread's go one lease after its port closes", async () => {
    const owner = open()
    const ingest = across(owner)
    const other = across(owner)
    const channel = new MessageChannel()
    serveQueue(owner, channel.port1)
    const delivery = new PortQueue(channel.port2, { keepLeasesAliveMs: LEASE_MS })
    try {
      assert.equal(delivery.keepsLeasesAlive, true)
      // A pack of three jobs, and two packs of one.
      await ingest.enqueue([0, 1, 2].map((n) => ({ destinationId: 'd', payload: `{"n":${n}}` })))
      await ingest.enqueue([{ destinationId: 'd', payload: '{"n":3}' }])
      await ingest.enqueue([{ destinationId: 'd', payload: '{"n":4}' }])
      const jobs = await delivery.lease(10, 60_000)
      assert.equal(jobs.length, 5)
      await sleep(3 * LEASE_MS)
      assert.deepEqual(await other.lease(10, LEASE_MS), [], "three of the queue's leases later, the jobs are still the live thread's")
      const settled = await Promise.allSettled(jobs.slice(0, 4).map((j) => delivery.ack(j)))
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'], 'its leases held: every ack is taken')
      // The thread dies holding the last job.
      channel.port2.close()
      await sleep(2 * LEASE_MS)
      assert.deepEqual((await other.lease(10, 60_000)).map((j) => j.payload), ['{"n":4}'], 'the job it held comes back, and only that one')
    } finally {
      channel.port2.close()
      await Promise.all([ingest.close(), other.close()])
      await owner.close()
    }
  })

  it('renews a lease only for as long as it was asked for', async () => {
    const owner = open()
    const ingest = across(owner)
    const other = across(owner)
    const delivery = across(owner, { keepLeasesAliveMs: LEASE_MS })
    try {
      await ingest.enqueue([{ destinationId: 'd', payload: '{"n":0}' }])
      assert.equal((await delivery.lease(1, 2 * LEASE_MS)).length, 1)
      await sleep(4 * LEASE_MS)
      assert.deepEqual((await other.lease(1, 60_000)).map((j) => j.payload), ['{"n":0}'], 'its hold of two leases ended, and then the lease')
    } finally {
      await Promise.all([ingest.close(), other.close(), delivery.close()])
      await owner.close()
    }
  })

  it('a queue that keeps no leases alive leases for what is asked, as before', async () => {
    const owner = open()
    const ingest = across(owner)
    const other = across(owner)
    const delivery = across(owner)
    try {
      assert.equal(delivery.keepsLeasesAlive, false)
      await ingest.enqueue([{ destinationId: 'd', payload: '{"n":0}' }])
      assert.equal((await delivery.lease(1, LEASE_MS)).length, 1)
      await sleep(2 * LEASE_MS)
      assert.equal((await other.lease(1, 60_000)).length, 1, 'the lease ended and nobody renewed it')
    } finally {
      await Promise.all([ingest.close(), other.close(), delivery.close()])
      await owner.close()
    }
  })
})
