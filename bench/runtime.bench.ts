// npm run bench:runtime — events per second of a trivial async onTrack, five ways, in one process over the
// same events, each with its ratio to (a). Prints medians of several rounds; the machine is shared, so
// rerun when another job was busy. No assertion here: figures are for people (BENCHMARKS.md).
import ivm from 'isolated-vm'
import { createRuntime } from '../src/runtime/index.js'
import { realisticEvents } from './events.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BATCH = 200
const PASSES = Number(process.env.BENCH_PASSES ?? 25) // batches of 200 per round and variant, interleaved
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

// The pipeline holds each event as JSON text (queued) and sends text (to the webhook): (f) starts from that.
const texts = events.map((e) => JSON.stringify(e))
const settingsJson = JSON.stringify(settings)

const variants: Record<string, () => Promise<void>> = {
  '(a) direct call on a JSON copy, no sandbox': async () => {
    {
      for (const e of events) {
        const out = await onTrack(JSON.parse(JSON.stringify(e)) as Record<string, unknown>, settings)
        check((out.properties as Record<string, unknown>).enriched === true)
      }
    }
  },
  '(b) runtime.invoke, one event at a time': async () => {
    {
      for (const e of events) {
        const r = await warm.invoke(e, settings)
        check(r.outcome === 'forwarded' && (r.event!.properties as Record<string, unknown>).enriched === true)
      }
    }
  },
  '(c) runtime.invokeBatch, 200 per call': async () => {
    {
      const b = await warm.invokeBatch(events, settings)
      for (const r of b.results) check(r.outcome === 'forwarded' && (r.event!.properties as Record<string, unknown>).enriched === true)
    }
  },
  '(f) runtime.invokeText, one event at a time, JSON text in and out (as the pipeline holds events)': async () => {
    {
      for (const json of texts) {
        const r = await warm.invokeText(json, settingsJson)
        check(r.outcome === 'forwarded' && r.eventJson!.includes('"enriched":true'))
      }
    }
  },
  '(g) runtime.invokeText, 200 calls at once (as a worker round makes them: they share one run)': async () => {
    {
      const rs = await Promise.all(texts.map((json) => warm.invokeText(json, settingsJson)))
      for (const r of rs) check(r.outcome === 'forwarded' && r.eventJson!.includes('"enriched":true'))
    }
  },
  '(d) fresh isolate per batch of 200 (RudderStack default)': async () => {
    {
      const fn = await runtime.load(CODE, { name: 'fresh' })
      const b = await fn.invokeBatch(events, settings)
      for (const r of b.results) check(r.outcome === 'forwarded')
      await fn.dispose()
    }
  },
  '(e) warm isolate, async apply per event (Jitsu)': async () => {
    {
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

/** Loads 60 new functions one after another; the first 10 warm up. Milliseconds per load. */
async function loadTimes(): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < 60; i++) {
    const started = performance.now()
    const fn = await runtime.load(`${CODE}\nconst n${i} = ${i}`, { name: `load${i}` })
    times.push(performance.now() - started)
    await fn.dispose()
  }
  return times.slice(10).sort((x, y) => x - y)
}

const loadsFresh = await loadTimes()

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]!
}

const perRound: Record<string, number[]> = {}
const ratios: Record<string, number[]> = {}
// BENCH_ONLY=b,c runs (a) and the named variants only.
const only = process.env.BENCH_ONLY?.split(',')
const names = Object.keys(variants).filter((n, i) => i === 0 || only === undefined || only.includes(n[1]!))
const A = names[0]!
// Variants take turns one batch at a time, so a busy moment on this shared machine slows all of them
// alike and the ratios stay comparable; round 0 warms up the JIT and the code caches.
for (let round = 0; round <= ROUNDS; round++) {
  const spent: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]))
  for (let pass = 0; pass < PASSES; pass++) {
    for (const name of names) {
      const started = performance.now()
      await variants[name]!()
      spent[name]! += performance.now() - started
    }
  }
  if (round === 0) continue
  for (const name of names) {
    const rate = (PASSES * BATCH) / (spent[name]! / 1000)
    ;(perRound[name] ??= []).push(rate)
    ;(ratios[name] ??= []).push(rate / ((PASSES * BATCH) / (spent[A]! / 1000)))
  }
}

console.log(`insertfn runtime benchmark: ${events.length} events of ~${Math.round(JSON.stringify(events).length / events.length)} bytes, ` +
  `${PASSES * BATCH} events per variant per round, median of ${ROUNDS} rounds (ratio: median of per-round ratios to (a))`)
console.log('')
console.log('| variant | events/s | ratio to (a) | rounds (events/s) |')
console.log('| --- | ---: | ---: | --- |')
for (const name of names) {
  const rounds = perRound[name]!.map((r) => Math.round(r / 1000) + 'k').join(' ')
  console.log(`| ${name} | ${Math.round(median(perRound[name]!)).toLocaleString('en-US')} | ${median(ratios[name]!).toFixed(2)} | ${rounds} |`)
}
const loadsAfter = await loadTimes()
const p90 = (xs: number[]) => xs[Math.floor(xs.length * 0.9)]!.toFixed(2)
console.log('')
console.log(`load a new function (isolate + prelude + code), 50 loads: median ${median(loadsFresh).toFixed(2)} ms (p90 ${p90(loadsFresh)}) ` +
  `in a fresh process, ${median(loadsAfter).toFixed(2)} ms (p90 ${p90(loadsAfter)}) after the runs above`)

jitsuIsolate.dispose()
await runtime.close()
