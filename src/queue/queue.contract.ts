// The suite every JobQueue implementation must pass. Time is injected: a queue that keeps its own time
// (SQLite) is stepped through expiry without waiting; one whose leases are timed by a server (JetStream)
// gets a clock that also sleeps, and a short lease, so the suite waits seconds, not minutes.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { LeaseLostError, type JobQueue, type NewJob } from './queue.js'

export interface Clock {
  now: () => number
  advance(ms: number): void
}

export function testClock(start = Date.UTC(2026, 10, 27, 7, 0, 0)): Clock {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}

export interface ContractClock {
  now: () => number
  advance(ms: number): void | Promise<void>
}

/**
 * A test clock whose advance also lets real time pass (plus `slackMs`, for a server's timers to fire),
 * for queues whose leases and delays are timed by a server.
 */
export function sleepingClock(slackMs: number): ContractClock {
  const clock = testClock()
  return { now: clock.now, advance: async (ms) => { clock.advance(ms); await sleep(ms + slackMs) } }
}

/** What differs between implementations; the suite checks each promise an implementation makes. */
export interface QueueCapabilities {
  /** The lease the suite asks for, ms (short when the clock really sleeps). */
  leaseMs: number
  /**
   * How enqueue() stays all or nothing for the caller. 'atomic': one transaction, a rejected enqueue left
   * nothing. 'idempotent': jobs are published one by one, so a rejected enqueue may have left some; the
   * caller sends the same jobs again, and their dedupeKeys make the repeat add nothing twice.
   */
  enqueue: 'atomic' | 'idempotent'
}

/** `open` makes a fresh, empty queue on the given clock; `openSecond` a second handle on the same queue. */
export function queueContract(
  name: string,
  open: (clock: ContractClock) => Promise<{ queue: JobQueue; openSecond: () => Promise<JobQueue> }>,
  capabilities: QueueCapabilities,
  makeClock: () => ContractClock = testClock,
) {
  const T = capabilities.leaseMs
  describe(`${name}: JobQueue contract`, () => {
    const job = (i: number, destinationId = 'dst_a'): NewJob => ({ destinationId, payload: JSON.stringify({ i }) })

    it('leases enqueued jobs in order, and an acked job is gone', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1), job(2), job(3)])
      assert.equal(await queue.depth(), 3)
      const leased = await queue.lease(2, T)
      assert.deepEqual(leased.map((j) => JSON.parse(j.payload).i), [1, 2])
      assert.deepEqual(leased.map((j) => j.attempts), [1, 1])
      assert.equal(leased[0]!.enqueuedAt, clock.now())
      for (const j of leased) await queue.ack(j)
      assert.equal(await queue.depth(), 1)
      await queue.close()
    })

    it('a leased job is not leased again until its lease expires; then it comes back with one more attempt', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1)])
      const [first] = await queue.lease(10, T)
      assert.deepEqual(await queue.lease(10, T), [])
      await clock.advance(T + 1)
      const [again] = await queue.lease(10, T)
      assert.equal(again!.id, first!.id)
      assert.equal(again!.attempts, 2)
      // The first worker's lease is lost: it cannot settle the job now held by another.
      await assert.rejects(queue.ack(first!), LeaseLostError)
      await queue.ack(again!)
      await queue.close()
    })

    it('a lease is settled exactly once', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1), job(2), job(3)])
      const [a, b, c] = await queue.lease(3, T)
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
      const clock = makeClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1)])
      const [j] = await queue.lease(1, T)
      await queue.retryAt(j!, clock.now() + T / 2, '503 from destination')
      assert.deepEqual(await queue.lease(1, T), [])
      await clock.advance(T / 2)
      const [again] = await queue.lease(1, T)
      assert.equal(again!.attempts, 2)
      await queue.close()
    })

    it('a failed job is kept out of leases and out of the depth', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1)])
      const [j] = await queue.lease(1, T)
      await queue.fail(j!, 'Message Rejected')
      await clock.advance(2 * T)
      assert.deepEqual(await queue.lease(10, T), [])
      assert.equal(await queue.depth(), 0)
      await queue.close()
    })

    it('replay makes failed jobs of a destination due again, with a fresh retry window, optionally only recent failures', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      await queue.enqueue([job(1), job(2), job(3, 'dst_b')])
      const [a, b, c] = await queue.lease(3, T)
      await queue.fail(a!, 'Bad Request')
      await clock.advance(T / 10)
      const since = clock.now()
      await queue.fail(b!, 'Bad Request')
      await queue.fail(c!, 'Bad Request')
      assert.equal(await queue.replay('dst_a', { since }), 1)
      const [again] = await queue.lease(10, T)
      assert.deepEqual([JSON.parse(again!.payload).i, again!.attempts, again!.enqueuedAt], [2, 1, clock.now()])
      assert.equal(await queue.replay('dst_a'), 1)
      assert.equal(await queue.replay('dst_a'), 0)
      await queue.close()
    })

    it('replay takes failed jobs of a time range, or one event by its messageId', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      const event = (messageId: string): NewJob => ({ destinationId: 'dst_r', payload: JSON.stringify({ messageId, type: 'track' }) })
      await queue.enqueue([event('m1'), event('m2'), event('m3'), { destinationId: 'dst_r', payload: 'not json' }])
      // Leased as they fail, so no lease outlasts the clock's steps (a server times JetStream's).
      const failNext = async (count: number) => {
        for (const job of await queue.lease(count, T)) await queue.fail(job, 'Bad Request')
      }
      await failNext(1)
      await clock.advance(T / 10)
      const between = clock.now()
      await failNext(1)
      await clock.advance(T / 10)
      const later = clock.now()
      await failNext(1)
      await clock.advance(T / 10)
      await failNext(1)
      assert.equal(await queue.replay('dst_r', { messageId: 'nope' }), 0)
      assert.equal(await queue.replay('dst_r', { messageId: 'm3', until: later }), 0, 'm3 failed after the range')
      assert.equal(await queue.replay('dst_r', { messageId: 'm3' }), 1)
      assert.deepEqual((await queue.lease(10, T)).map((j) => j.payload), [JSON.stringify({ messageId: 'm3', type: 'track' })])
      assert.equal(await queue.replay('dst_r', { since: between, until: later }), 1, 'm2')
      assert.equal(await queue.replay('dst_r', { until: between }), 1, 'm1')
      assert.equal(await queue.replay('dst_r'), 1, 'the text that is not JSON, failed last')
      assert.equal(await queue.replay('dst_r'), 0)
      await queue.close()
    })

    it('an invalid job rejects the whole enqueue before anything is added', async () => {
      const clock = makeClock()
      const { queue } = await open(clock)
      await assert.rejects(queue.enqueue([job(1), { destinationId: 'dst_a', payload: undefined as unknown as string }]), /payload/)
      await assert.rejects(queue.enqueue([job(1), { ...job(2), dedupeKey: '' }]), /dedupeKey/)
      await assert.rejects(queue.enqueue([job(1), job(2, 'dst_a\r\nX: 1')]), /destinationId "dst_a\\r\\nX: 1" holds control characters/)
      assert.equal(await queue.depth(), 0)
      await queue.close()
    })

    if (capabilities.enqueue === 'idempotent') {
      it('enqueue sent again after a partial failure adds each job once, by its dedupeKey', async () => {
        const clock = makeClock()
        const { queue, openSecond } = await open(clock)
        const keyed = (i: number): NewJob => ({ ...job(i), dedupeKey: `m-${i}:dst_a` })
        // What a rejected enqueue may leave: the first two of three jobs. The caller sends all three again,
        // possibly through another process.
        await queue.enqueue([keyed(1), keyed(2)])
        const other = await openSecond()
        await other.enqueue([keyed(1), keyed(2), keyed(3)])
        assert.equal(await queue.depth(), 3)
        const leased = await queue.lease(10, T)
        assert.deepEqual(leased.map((j) => JSON.parse(j.payload).i).sort(), [1, 2, 3])
        // Jobs without a key are never taken for repeats.
        await queue.enqueue([job(4), job(4)])
        assert.equal(await queue.depth(), 5)
        await other.close()
        await queue.close()
      })
    }

    it('two workers leasing at once never receive the same job', async () => {
      const clock = makeClock()
      const { queue, openSecond } = await open(clock)
      const other = await openSecond()
      await queue.enqueue(Array.from({ length: 500 }, (_, i) => job(i)))
      const seen = new Set<string>()
      for (let round = 0; round < 30; round++) {
        // Leases long enough to outlast the rounds however slow the machine (a server kept them alive).
        const [a, b] = await Promise.all([queue.lease(17, 60 * T), other.lease(17, 60 * T)])
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
