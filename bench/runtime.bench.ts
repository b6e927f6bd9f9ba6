// npm run bench:runtime — events per second of a trivial async onTrack, five ways, in one process over the
// same events, each with its ratio to (a). Prints medians of several rounds; the machine is shared, so
// rerun when another job was busy. No assertion here: figures are for people (BENCHMARKS.md).
import ivm from 'isolated-vm'
import { createRuntime } from '../src/runtime/index.js'
import { realisticEvents } from './events.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BATCH = 200
const PASSES = Number(process.env.BENCH_PASSES ?? 25) // batches of 200 per round and variant
const events = realisticEvents(BATCH)
const settings = { apiKey: 'k-123', region: 'eu' }
const CODE = `async function onTrack(event, settings) { event.properties.enriched = true; return event }`

function check(ok: boolean): void {
  if (!ok) throw new Error('benchmark produced a wrong result')
}

async function onTrack(event: Record<string, unknown>, _settings: unknown): Promise<Record<string, unknown>> {
  ;(event.properties as Record<string, unknown>).enriched = true
  return event
}

const runtime = createRuntime()
const warm = await runtime.load(CODE, { name: 'bench' })

// (e) Jitsu's design: a warm isolate, one async apply per event, events crossing as copies.
const jitsuIsolate = new ivm.Isolate({ memoryLimit: 128 })
const jitsuContext = jitsuIsolate.createContextSync()
jitsuIsolate.compileScriptSync(`${CODE}; globalThis.apply = async (json, s) => JSON.stringify(await onTrack(JSON.parse(json), s))`).runSync(jitsuContext)
const jitsuApply = jitsuContext.global.getSync('apply', { reference: true }) as ivm.Reference<(json: string, s: unknown) => Promise<string>>

const variants: Record<string, () => Promise<void>> = {
  '(a) direct call on a JSON copy, no sandbox': async () => {
    for (let p = 0; p < PASSES; p++) {
      for (const e of events) {
        const out = await onTrack(JSON.parse(JSON.stringify(e)) as Record<string, unknown>, settings)
        check((out.properties as Record<string, unknown>).enriched === true)
      }
    }
  },
  '(b) runtime.invoke, one event at a time': async () => {
    for (let p = 0; p < PASSES; p++) {
      for (const e of events) {
        const r = await warm.invoke(e, settings)
        check(r.outcome === 'forwarded' && (r.event!.properties as Record<string, unknown>).enriched === true)
      }
    }
  },
  '(c) runtime.invokeBatch, 200 per call': async () => {
    for (let p = 0; p < PASSES; p++) {
      const b = await warm.invokeBatch(events, settings)
      for (const r of b.results) check(r.outcome === 'forwarded' && (r.event!.properties as Record<string, unknown>).enriched === true)
    }
  },
  '(d) fresh isolate per batch of 200 (RudderStack default)': async () => {
    for (let p = 0; p < PASSES; p++) {
      const fn = await runtime.load(CODE, { name: 'fresh' })
      const b = await fn.invokeBatch(events, settings)
      for (const r of b.results) check(r.outcome === 'forwarded')
      await fn.dispose()
    }
  },
  '(e) warm isolate, async apply per event (Jitsu)': async () => {
    for (let p = 0; p < PASSES; p++) {
      for (const e of events) {
        const json = await jitsuApply.apply(undefined, [JSON.stringify(e), settings], {
          arguments: { copy: true },
          result: { promise: true, copy: true },
          timeout: 5000,
        })
        check((JSON.parse(json).properties as Record<string, unknown>).enriched === true)
      }
    }
  },
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]!
}

const perRound: Record<string, number[]> = {}
const ratios: Record<string, number[]> = {}
for (let round = 0; round <= ROUNDS; round++) {
  const rates: Record<string, number> = {}
  for (const [name, run] of Object.entries(variants)) {
    const started = performance.now()
    await run()
    rates[name] = (PASSES * BATCH) / ((performance.now() - started) / 1000)
  }
  if (round === 0) continue // warm-up: JIT and code caches
  for (const name of Object.keys(variants)) {
    ;(perRound[name] ??= []).push(rates[name]!)
    ;(ratios[name] ??= []).push(rates[name]! / rates['(a) direct call on a JSON copy, no sandbox']!)
  }
}

const loadTimes: number[] = []
for (let i = 0; i < 60; i++) {
  const started = performance.now()
  const fn = await runtime.load(`${CODE}\nconst n${i} = ${i}`, { name: `load${i}` })
  loadTimes.push(performance.now() - started)
  await fn.dispose()
}

console.log(`insertfn runtime benchmark: ${events.length} events of ~${Math.round(JSON.stringify(events).length / events.length)} bytes, ` +
  `${PASSES * BATCH} events per variant per round, median of ${ROUNDS} rounds (ratio: median of per-round ratios to (a))`)
console.log('')
console.log('| variant | events/s | ratio to (a) | rounds (events/s) |')
console.log('| --- | ---: | ---: | --- |')
for (const name of Object.keys(variants)) {
  const rounds = perRound[name]!.map((r) => Math.round(r / 1000) + 'k').join(' ')
  console.log(`| ${name} | ${Math.round(median(perRound[name]!)).toLocaleString('en-US')} | ${median(ratios[name]!).toFixed(2)} | ${rounds} |`)
}
console.log('')
console.log(`load a new function (isolate + prelude + code): median ${median(loadTimes.slice(10)).toFixed(2)} ms, ` +
  `p90 ${[...loadTimes.slice(10)].sort((x, y) => x - y)[Math.floor(loadTimes.slice(10).length * 0.9)]!.toFixed(2)} ms over 50 loads`)

jitsuIsolate.dispose()
await runtime.close()
