import assert from 'node:assert/strict'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { queueContract, testClock } from './queue.contract.js'
import { LeaseLostError, type NewJob } from './queue.js'
import { PACK_MAX, SqliteQueue } from './sqlite-queue.js'

queueContract('sqlite', async (clock) => {
  const file = join(mkdtempSync(join(tmpdir(), 'insertfn-queue-')), 'queue.db')
  return { queue: SqliteQueue.open({ file, now: clock.now }), openSecond: async () => SqliteQueue.open({ file, now: clock.now }) }
}, { leaseMs: 30_000, enqueue: 'atomic' })

const T = 30_000
const fresh = () => join(mkdtempSync(join(tmpdir(), 'insertfn-queue-')), 'queue.db')
const jobs = (from: number, count: number, destinationId = 'dst_a'): NewJob[] => Array.from({ length: count }, (_, i) => ({ destinationId, payload: JSON.stringify({ i: from + i, text: 'é✓' }) }))
const numbers = (leased: { payload: string }[]) => leased.map((j) => (JSON.parse(j.payload) as { i: number }).i)

describe('sqlite queue: the jobs of one enqueue share a row per destination (a pack), and each is still a job of its own', () => {
  it('a lease never gives more than it was asked for: a pack bigger than the round is split, in order', async () => {
    const clock = testClock()
    const queue = SqliteQueue.open({ file: fresh(), now: clock.now })
    await queue.enqueue(jobs(0, 5))
    await queue.enqueue(jobs(5, 3))
    assert.deepEqual(numbers(await queue.lease(2, T)), [0, 1])
    // Whole packs while they fit: the rest of the first (3), not the second too (6 > 4).
    assert.deepEqual(numbers(await queue.lease(4, T)), [2, 3, 4])
    assert.deepEqual(numbers(await queue.lease(10, T)), [5, 6, 7])
    assert.equal(await queue.depth(), 8)
    await queue.close()
  })

  it('each job of a pack settles on its own: acked ones go, a retried one comes back alone, a failed one is kept for replay', async () => {
    const clock = testClock()
    const queue = SqliteQueue.open({ file: fresh(), now: clock.now })
    await queue.enqueue([...jobs(0, 4), ...jobs(10, 2, 'dst_b')])
    const leased = await queue.lease(10, T)
    assert.equal(new Set(leased.map((j) => j.id)).size, 6)
    const [a0, a1, a2, a3, b0, b1] = leased
    await queue.ack(a0!)
    await queue.retryAt(a1!, clock.now() + 1000, '503')
    await queue.fail(a2!, 'Bad Request')
    await queue.ack(a3!)
    await assert.rejects(queue.ack(a3!), LeaseLostError)
    await queue.ack(b0!)
    // dst_b's pack is not done: it stays leased; dst_a's is gone but for the retried job.
    assert.equal(await queue.depth(), 3)
    await clock.advance(1000)
    const again = await queue.lease(10, T)
    assert.deepEqual(numbers(again), [1])
    assert.equal(again[0]!.attempts, 2)
    assert.equal(again[0]!.enqueuedAt, a1!.enqueuedAt)
    await queue.ack(again[0]!)
    await queue.ack(b1!)
    assert.equal(await queue.depth(), 0)
    assert.equal(await queue.replay('dst_a'), 1)
    assert.deepEqual(numbers(await queue.lease(10, T)), [2])
    await queue.close()
  })

  it('a pack whose worker died comes back whole when its lease ends, acked jobs included (at least once)', async () => {
    const clock = testClock()
    const file = fresh()
    const first = SqliteQueue.open({ file, now: clock.now })
    await first.enqueue(jobs(0, 3))
    const leased = await first.lease(10, T)
    await first.ack(leased[0]!)
    await first.close()
    const second = SqliteQueue.open({ file, now: clock.now })
    assert.deepEqual(await second.lease(10, T), [])
    await clock.advance(T + 1)
    assert.deepEqual(numbers(await second.lease(10, T)), [0, 1, 2])
    await second.close()
  })

  it('after a lease of a pack expires and another handle takes it, the first cannot settle any of its jobs', async () => {
    const clock = testClock()
    const file = fresh()
    const [one, two] = [SqliteQueue.open({ file, now: clock.now }), SqliteQueue.open({ file, now: clock.now })]
    await one.enqueue(jobs(0, 2))
    const mine = await one.lease(10, T)
    await one.ack(mine[0]!)
    await clock.advance(T + 1)
    const theirs = await two.lease(10, T)
    assert.deepEqual(numbers(theirs), [0, 1])
    await assert.rejects(one.ack(mine[1]!), LeaseLostError)
    await assert.rejects(one.fail(mine[1]!, 'x'), LeaseLostError)
    // A handle that did not lease the pack cannot settle its jobs either.
    await assert.rejects(one.ack(theirs[0]!), LeaseLostError)
    for (const j of theirs) await two.ack(j)
    assert.equal(await two.depth(), 0)
    await one.close()
    await two.close()
  })

  it('a settlement that fails rolls back the others of its transaction, and then nothing of their packs is lost', async () => {
    const clock = testClock()
    const queue = SqliteQueue.open({ file: fresh(), now: clock.now })
    await queue.enqueue(jobs(0, 3))
    const [a, b, c] = await queue.lease(10, T)
    // The retry of a is written, then b's settlement throws: the transaction, a's retry row included, goes back.
    assert.throws(() => queue.settleAll([{ op: 'retryAt', job: a!, at: clock.now(), reason: 'later' }, { op: 'fail', job: b!, reason: undefined as unknown as string }]))
    // The handle has let go of the pack: settling its jobs now would delete it and lose a.
    await assert.rejects(queue.ack(b!), LeaseLostError)
    await assert.rejects(queue.ack(c!), LeaseLostError)
    await clock.advance(T + 1)
    assert.deepEqual(numbers(await queue.lease(10, T)), [0, 1, 2])
    await queue.close()
  })

  it(`packs hold at most ${PACK_MAX} jobs, and a round of many packs leases them in order`, async () => {
    const clock = testClock()
    const queue = SqliteQueue.open({ file: fresh(), now: clock.now })
    await queue.enqueue(jobs(0, 2 * PACK_MAX + 1))
    const round = await queue.lease(2 * PACK_MAX + 50, T)
    assert.deepEqual(numbers(round), Array.from({ length: 2 * PACK_MAX + 1 }, (_, i) => i))
    await queue.close()
  })

  it('a queue file of the one-row-per-job layout is moved into packs when opened, its jobs as they were', async () => {
    const file = fresh()
    const old = new SQLite(file)
    old.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, destination_id TEXT NOT NULL, payload TEXT NOT NULL,
      attempts INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, lease_token TEXT, state INTEGER NOT NULL, last_error TEXT);
      CREATE INDEX jobs_due ON jobs (state, visible_at, id);
      INSERT INTO jobs VALUES (7, 'dst_a', '{"i":1}', 2, 1000, 5000, NULL, 0, '503'), (8, 'dst_a', '{"i":2}', 1, 1000, 1000, NULL, 1, 'Bad Request');`)
    old.close()
    const clock = testClock()
    const queue = SqliteQueue.open({ file, now: clock.now })
    assert.equal(await queue.depth(), 1)
    const [job] = await queue.lease(10, T)
    assert.deepEqual([job!.id, numbers([job!])[0], job!.attempts, job!.enqueuedAt], ['7', 1, 3, 1000])
    await queue.ack(job!)
    assert.equal(await queue.replay('dst_a'), 1)
    await queue.enqueue(jobs(0, 1))
    // New ids continue after the old ones.
    const ids = (await queue.lease(10, T)).map((j) => Number(j.id)).sort((a, b) => a - b)
    assert.deepEqual(ids.slice(0, 1), [8])
    assert.ok(ids[1]! > 8)
    await queue.close()
    // Opening it again changes nothing.
    const again = SqliteQueue.open({ file, now: clock.now })
    assert.equal(await again.depth(), 2)
    await again.close()
  })

  it('keeps its write-ahead log near 4 MB once it restarts after a burst, rather than at the size the burst left', async () => {
    const file = fresh()
    const queue = SqliteQueue.open({ file, checkpoints: 'external' })
    const text = JSON.stringify({ type: 'track', pad: 'x'.repeat(600) })
    // About 12 MB of jobs with no checkpoint in between: the log grows past them.
    for (let i = 0; i < 200; i++) await queue.enqueue(Array.from({ length: 100 }, () => ({ destinationId: 'dst_a', payload: text })))
    const walBytes = () => statSync(`${file}-wal`).size
    assert.ok(walBytes() > 12_000_000, `the log holds the burst (${walBytes()} bytes)`)
    // What the checkpoint thread does; then the next write starts the log over, and shrinks it.
    const checkpointer = new SQLite(file)
    checkpointer.pragma('wal_checkpoint(PASSIVE)')
    checkpointer.close()
    await queue.enqueue([{ destinationId: 'dst_a', payload: text }])
    assert.ok(walBytes() <= 4 * 1024 * 1024 + 64 * 1024, `the log was cut to the limit (${walBytes()} bytes)`)
    assert.equal(await queue.depth(), 20_001)
    await queue.close()
  })
})
