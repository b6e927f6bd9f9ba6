// npm run bench:worker — what an insert function adds to the delivery worker's own work, in one process:
// the worker on a real SQLite store and the real runtime, with a queue in memory that hands out fresh
// payloads (as the queue thread's messages arrive) and a webhook that answers at once, so that only the
// worker and the function are measured. Two destinations, one with the trivial function; rounds alternate
// between them. Prints CPU per event, and V8's own garbage-collection figures per path, read from a child
// run with --trace-gc-nvp: those count bytes, so they hold steady on a busy machine where times do not
// (docs/runtime.md, "Invocations in flight"). Env: BENCH_EVENTS (per round), BENCH_ROUNDS.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from '../src/pipeline/worker.js'
import type { JobQueue, LeasedJob } from '../src/queue/queue.js'
import { createRuntime } from '../src/runtime/index.js'
import { stampEvent } from '../src/spec/events.js'
import { openSqlite } from '../src/store/database.js'
import { ConnectionStore } from '../src/store/connection-store.js'
import { FilterStore } from '../src/store/filter-store.js'
import { FunctionStore } from '../src/store/function-store.js'
import { SecretBox } from '../src/store/secret-box.js'
import { realisticEvents } from './events.js'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 30_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const PATHS = ['no function (baseline)', 'trivial insert function'] as const
type Path = (typeof PATHS)[number]
const MARK = '@@bench-worker'

/** The measuring run: the worker itself. It prints a marker line before each round, which the parent uses to split V8's trace. */
async function measure(): Promise<void> {
  // A scavenge before any sandbox exists, so that the first heap in V8's trace is this thread's (read()).
  ;(globalThis as { gc?: (o: { type: 'minor' }) => void }).gc?.({ type: 'minor' })
  const dir = mkdtempSync(join(tmpdir(), 'insertfn-bench-worker-'))
  const store = await openSqlite(join(dir, 'insertfn.db'))
  const connections = new ConnectionStore(store.db, new SecretBox(randomBytes(32)))
  const functions = new FunctionStore(store.db)
  const runtime = createRuntime()
  const destinationIds: Record<Path, string> = { 'no function (baseline)': '', 'trivial insert function': '' }
  for (const path of PATHS) {
    const source = await connections.createSource({ slug: `s-${randomBytes(3).toString('hex')}`, enabled: true }, 'bench')
    const d = await connections.createDestination({ sourceId: source.id, metadataId: 'webhook', name: path, settings: { url: 'http://127.0.0.1:9/unused' } }, 'bench')
    destinationIds[path] = d.id
    if (path === 'trivial insert function') {
      const fn = await functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'trivial', code: 'async function onTrack(e) { e.properties.enriched = true; return e }', settings: [], author: 'bench' })
      await functions.deploy(fn.id, 'bench')
      await connections.createInstance({ functionId: fn.id, integrationId: d.id, name: 'trivial', settings: {} }, 'bench')
    }
  }
  // Stamped events with their messageId cut off, so that each lease makes new payloads with new ids.
  const HEAD = '{"messageId":"x"'
  const tails = realisticEvents(100).map((e) => {
    const stamped = stampEvent({ ...e, messageId: 'x' }, { receivedAt: new Date() })
    if ('problem' in stamped || !stamped.json.startsWith(HEAD)) throw new Error('the benchmark events do not stamp as expected')
    return stamped.json.slice(HEAD.length)
  })
  let destinationId = ''
  let left = 0
  let made = 0
  const queue: JobQueue = {
    async lease(max) {
      const jobs: LeasedJob[] = []
      for (; jobs.length < max && left > 0; left--, made++) {
        jobs.push({ id: String(made), destinationId, payload: `{"messageId":"${randomBytes(9).toString('base64url')}"${tails[made % tails.length]}`, attempts: 1, enqueuedAt: Date.now(), leaseToken: String(made) })
      }
      return jobs
    },
    async ack() {},
    async retryAt() { throw new Error('no job should be retried here') },
    async fail() { throw new Error('no job should fail here') },
    async enqueue() { throw new Error('not used') },
    async depth() { return left },
    async replay() { return 0 },
    async close() {},
  }
  let delivered = 0
  // The embedded delivery thread's rounds: 300 jobs, four in flight (cli/embedded.ts).
  const inFlight = 4
  const worker = new Worker({
    queue, connections, filters: new FilterStore(store.db), functions, runtime,
    deliverWebhook: async (_settings, body) => {
      if (body.charCodeAt(0) !== 123) throw new Error('the webhook was handed something that is not an event')
      delivered++
      return { ok: true, status: 200, durationMs: 0 }
    },
    options: { batchSize: 300, concurrentRounds: inFlight },
  })
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
  // The worker's own thread, apart from isolated-vm's pool where long runs go (Linux; clock ticks of 10 ms).
  const mainMs = () => {
    try {
      const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return (Number(fields[11]) + Number(fields[12])) * 10
    } catch {
      return NaN
    }
  }
  for (let round = 0; round <= ROUNDS; round++) {
    for (const path of round % 2 === 0 ? PATHS : [...PATHS].reverse()) {
      destinationId = destinationIds[path]
      left = EVENTS
      delivered = 0
      console.log(`${MARK} ${round} ${path}`)
      const started = cpuMs()
      const startedMain = mainMs()
      while ((await Promise.all(Array.from({ length: inFlight }, () => worker.runOnce()))).some((n) => n > 0));
      if (delivered !== EVENTS) throw new Error(`${delivered} of ${EVENTS} events were delivered`)
      console.log(`${MARK} cpu ${((cpuMs() - started) * 1000) / EVENTS} ${((mainMs() - startedMain) * 1000) / EVENTS}`)
    }
  }
  console.log(`${MARK} end`)
  await worker.stop()
  await runtime.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}

interface PathFigures { cpuUs: number[]; mainUs: number[]; scavenges: number; allocated: number; promoted: number; pauseMs: number; fullGcs: number }

/** Reads the child's output: per path, its rounds' CPU and V8's scavenges in them (round 0 is a warm-up). */
function read(output: string): Record<Path, PathFigures> {
  const figures = Object.fromEntries(PATHS.map((p) => [p, { cpuUs: [], mainUs: [], scavenges: 0, allocated: 0, promoted: 0, pauseMs: 0, fullGcs: 0 }])) as unknown as Record<Path, PathFigures>
  let path: Path | undefined
  let counted = false
  // The main thread's heap is the first one V8 reports (measure() makes sure); the sandbox's is left out.
  let mainHeap: string | undefined
  for (const line of output.split('\n')) {
    if (line.startsWith(MARK)) {
      const [, what, ...rest] = line.split(' ')
      if (what === 'cpu') { if (counted) { figures[path!].cpuUs.push(Number(rest[0])); figures[path!].mainUs.push(Number(rest[1])) } } else if (what === 'end') path = undefined
      else { path = rest.join(' ') as Path; counted = Number(what) > 0 }
      continue
    }
    const heap = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1]
    if (heap === undefined || !line.includes(' gc=')) continue
    mainHeap ??= heap
    if (heap !== mainHeap || path === undefined || !counted) continue
    const field = (name: string) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0)
    const f = figures[path]
    if (line.includes(' gc=s ')) {
      f.scavenges++
      f.allocated += field('allocated')
      f.promoted += field('promoted')
      f.pauseMs += field('pause')
    } else f.fullGcs++
  }
  return figures
}

if (process.env.BENCH_WORKER_CHILD === '1') {
  await measure()
} else {
  const child = spawnSync(process.execPath, ['--no-node-snapshot', '--expose-gc', '--trace-gc-nvp', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_WORKER_CHILD: '1' },
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  })
  if (child.status !== 0) throw new Error(`the measuring run failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`)
  const figures = read(child.stdout)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const counted = ROUNDS * EVENTS
  console.log(`The delivery worker in one process, ${EVENTS.toLocaleString('en-US')} events per round, ${ROUNDS} rounds per path after a warm-up, alternating; rounds of 300 jobs, 4 in flight.`)
  console.log('')
  console.log('| path | CPU µs per event (median) | rounds | worker thread µs per event | scavenges | allocated per event | promoted per event | scavenge pauses µs per event | full GCs |')
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const path of PATHS) {
    const f = figures[path]
    console.log(`| ${path} | ${median(f.cpuUs).toFixed(1)} | ${f.cpuUs.map((c) => c.toFixed(1)).join(', ')} | ${median(f.mainUs).toFixed(1)} | ${f.scavenges} | ${Math.round(f.allocated / counted)} B | ${Math.round(f.promoted / counted)} B | ${((f.pauseMs * 1000) / counted).toFixed(2)} | ${f.fullGcs} |`)
  }
  const base = figures[PATHS[0]].cpuUs
  const extra = figures[PATHS[1]].cpuUs.map((c, i) => c - base[i]!)
  console.log('')
  console.log(`What the function adds to the worker's CPU: ${median(extra).toFixed(1)} µs per event (median of the rounds' differences; per round ${extra.map((e) => e.toFixed(1)).join(', ')}).`)
  const mainExtra = figures[PATHS[1]].mainUs.map((c, i) => c - figures[PATHS[0]].mainUs[i]!)
  console.log(`Of that, on the worker's own thread: ${median(mainExtra).toFixed(1)} µs per event (the rest is isolated-vm's pool, where long runs go).`)
  console.log("The sandbox's own heap is not in these figures; its work is in the CPU column.")
}
