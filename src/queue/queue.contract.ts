// The suite every JobQueue implementation must pass. Time is injected, so expiry is tested without waiting.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LeaseLostError, type JobQueue } from './queue.js'

export interface Clock {
  now: () => number
  advance(ms: number): void
}

export function testClock(start = Date.UTC(2026, 10, 27, 7, 0, 0)): Clock {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}

/** `open` makes a fresh, empty queue on the given clock; `openSecond` a second handle on the same queue. */
export function queueContract(name: string, open: (clock: Clock) => Promise<{ queue: JobQueue; openSecond: () => Promise<JobQueue> }>) {
  describe(`${name}: JobQueue contract`, () => {
    const job = (i: number, destinationId = 'dst_a') => ({ destinationId, payload: JSON.stringify({ i }) })

    it('leases enqueued jobs in order, and an acked job is gone', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1), job(2), job(3)])
      assert.equal(await queue.depth(), 3)
      const leased = await queue.lease(2, 30_000)
      assert.deepEqual(leased.map((j) => JSON.parse(j.payload).i), [1, 2])
      assert.deepEqual(leased.map((j) => j.attempts), [1, 1])
      assert.equal(leased[0]!.enqueuedAt, clock.now())
      for (const j of leased) await queue.ack(j)
      assert.equal(await queue.depth(), 1)
      await queue.close()
    })

    it('a leased job is not leased again until its lease expires; then it comes back with one more attempt', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1)])
      const [first] = await queue.lease(10, 30_000)
      assert.deepEqual(await queue.lease(10, 30_000), [])
      clock.advance(30_001)
      const [again] = await queue.lease(10, 30_000)
      assert.equal(again!.id, first!.id)
      assert.equal(again!.attempts, 2)
      // The first worker's lease is lost: it cannot settle the job now held by another.
      await assert.rejects(queue.ack(first!), LeaseLostError)
      await queue.ack(again!)
      await queue.close()
    })

    it('a lease is settled exactly once', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1), job(2), job(3)])
      const [a, b, c] = await queue.lease(3, 30_000)
      await queue.ack(a!)
      await assert.rejects(queue.ack(a!), LeaseLostError)
      await assert.rejects(queue.retryAt(a!, clock.now() + 1000, 'x'), LeaseLostError)
      await queue.retryAt(b!, clock.now() + 1000, 'later')
      await assert.rejects(queue.fail(b!, 'x'), LeaseLostError)
      await queue.fail(c!, 'bad request')
      await assert.rejects(queue.ack(c!), LeaseLostError)
      await queue.close()
    })

    it('retryAt keeps the job hidden until then', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1)])
      const [j] = await queue.lease(1, 30_000)
      await queue.retryAt(j!, clock.now() + 5_000, '503 from destination')
      assert.deepEqual(await queue.lease(1, 30_000), [])
      clock.advance(5_000)
      const [again] = await queue.lease(1, 30_000)
      assert.equal(again!.attempts, 2)
      await queue.close()
    })

    it('a failed job is kept out of leases and out of the depth', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1)])
      const [j] = await queue.lease(1, 30_000)
      await queue.fail(j!, 'Message Rejected')
      clock.advance(10 * 60_000)
      assert.deepEqual(await queue.lease(10, 30_000), [])
      assert.equal(await queue.depth(), 0)
      await queue.close()
    })

    it('replay makes failed jobs of a destination due again, with a fresh retry window, optionally only recent failures', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1), job(2), job(3, 'dst_b')])
      const [a, b, c] = await queue.lease(3, 30_000)
      await queue.fail(a!, 'Bad Request')
      clock.advance(60_000)
      const since = clock.now()
      await queue.fail(b!, 'Bad Request')
      await queue.fail(c!, 'Bad Request')
      assert.equal(await queue.replay('dst_a', since), 1)
      const [again] = await queue.lease(10, 30_000)
      assert.deepEqual([JSON.parse(again!.payload).i, again!.attempts, again!.enqueuedAt], [2, 1, clock.now()])
      assert.equal(await queue.replay('dst_a'), 1)
      assert.equal(await queue.replay('dst_a'), 0)
      await queue.close()
    })

    it('enqueue is all or nothing', async () => {
      const clock = testClock()
      const { queue } = await open(clock)
      await assert.rejects(queue.enqueue([job(1), { destinationId: 'dst_a', payload: undefined as unknown as string }]))
      assert.equal(await queue.depth(), 0)
      await queue.close()
    })

    it('two workers leasing at once never receive the same job', async () => {
      const clock = testClock()
      const { queue, openSecond } = await open(clock)
      const other = await openSecond()
      await queue.enqueue(Array.from({ length: 500 }, (_, i) => job(i)))
      const seen = new Set<string>()
      for (let round = 0; round < 30; round++) {
        const [a, b] = await Promise.all([queue.lease(17, 30_000), other.lease(17, 30_000)])
        for (const j of [...a, ...b]) {
          assert.equal(seen.has(j.id), false, `job ${j.id} leased twice`)
          seen.add(j.id)
        }
      }
      assert.equal(seen.size, 500)
      await other.close()
      await queue.close()
    })
  })
}
