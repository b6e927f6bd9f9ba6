// npm run bench:queue — jobs per second through each queue, SQLite and JetStream, in the same run:
// (a) lockstep: enqueue 100, lease 100, ack them, again (what design.md's SQLite figure measured);
// (b) pipelined: one producer enqueueing batches of 100 while two workers (their own handles, and for
//     JetStream their own connections) lease 100 at a time and ack. Median of 3 runs after a warm-up.
// 600-byte events. No assertion: figures for people (BENCHMARKS.md). NATS from INSERTFN_BENCH_NATS_URL.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { JetStreamQueue } from '../src/queue/jetstream-queue.js'
import type { JobQueue, NewJob } from '../src/queue/queue.js'
import { SqliteQueue } from '../src/queue/sqlite-queue.js'
import { realisticEvents } from './events.js'

const NATS = process.env.INSERTFN_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222'
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000)
const ROUNDS = 3
const BATCH = 100
const payloads = realisticEvents(JOBS).map((e) => JSON.stringify(e))
const jobsFrom = (start: number): NewJob[] =>
  payloads.slice(start, start + BATCH).map((payload, i) => ({ destinationId: `dst_${i % 4}`, payload, dedupeKey: `${randomBytes(8).toString('hex')}:dst_${i % 4}` }))

interface Opened {
  handles: JobQueue[]
  cleanup: () => Promise<void>
}

async function sqlite(): Promise<Opened> {
  const file = join(mkdtempSync(join(tmpdir(), 'insertfn-bench-queue-')), 'queue.db')
  const handles = [SqliteQueue.open({ file }), SqliteQueue.open({ file }), SqliteQueue.open({ file })]
  return { handles, cleanup: async () => void (await Promise.all(handles.map((h) => h.close()))) }
}

async function jetStream(): Promise<Opened> {
  const name = `bench_${randomBytes(6).toString('hex')}`
  const handles = await Promise.all([0, 1, 2].map(() => JetStreamQueue.connect({ servers: NATS, name, ackWaitMs: 60_000 })))
  return {
    handles,
    cleanup: async () => {
      await Promise.all(handles.map((h) => h.close()))
      const nc = await connect({ servers: NATS })
      const jsm = await jetstreamManager(nc)
      for (const stream of [`${name}_jobs`, `${name}_failed`]) await jsm.streams.delete(stream)
      await nc.close()
    },
  }
}

async function lockstep(queue: JobQueue): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < JOBS; i += BATCH) {
    await queue.enqueue(jobsFrom(i))
    const leased = await queue.lease(BATCH, 60_000)
    await Promise.all(leased.map((j) => queue.ack(j)))
  }
  return JOBS / ((performance.now() - started) / 1000)
}

async function pipelined([producer, ...workers]: JobQueue[]): Promise<number> {
  const started = performance.now()
  let acked = 0
  const produce = (async () => {
    for (let i = 0; i < JOBS; i += BATCH) await producer!.enqueue(jobsFrom(i))
  })()
  const work = workers.map(async (queue) => {
    while (acked < JOBS) {
      const leased = await queue.lease(BATCH, 60_000)
      if (leased.length === 0) await new Promise((r) => setTimeout(r, 1))
      await Promise.all(leased.map((j) => queue.ack(j)))
      acked += leased.length
    }
  })
  await Promise.all([produce, ...work])
  return JOBS / ((performance.now() - started) / 1000)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const queues = { SQLite: sqlite, JetStream: jetStream }
const modes = { 'lockstep: enqueue 100, lease 100, ack': (o: Opened) => lockstep(o.handles[0]!), 'pipelined: 1 producer, 2 workers': (o: Opened) => pipelined(o.handles) }
const results = new Map<string, number[]>()
for (let round = 0; round <= ROUNDS; round++) {
  for (const [queueName, open] of Object.entries(queues)) {
    for (const [modeName, run] of Object.entries(modes)) {
      const opened = await open()
      try {
        const rate = await run(opened)
        const depth = await opened.handles[0]!.depth()
        if (depth !== 0) throw new Error(`${queueName} ${modeName}: ${depth} jobs left after the run`)
        // Round 0 warms up the JIT and the server.
        if (round > 0) results.set(`${queueName} | ${modeName}`, [...(results.get(`${queueName} | ${modeName}`) ?? []), rate])
      } finally {
        await opened.cleanup()
      }
    }
  }
}
console.log(`queue throughput: ${JOBS.toLocaleString('en-US')} jobs of ~600 bytes per run, median of ${ROUNDS} runs (NATS at ${NATS})`)
console.log('')
console.log('| queue | mode | jobs/s | runs |')
console.log('| --- | --- | ---: | --- |')
for (const [key, rates] of results) console.log(`| ${key} | ${Math.round(median(rates)).toLocaleString('en-US')} | ${rates.map((r) => `${(r / 1000).toFixed(1)}k`).join(' ')} |`)
