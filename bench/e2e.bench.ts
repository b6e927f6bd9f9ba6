// npm run bench:e2e — events per second from HTTP ingest (/v1/batch, 100 events per request) through the
// queue and worker to a local webhook receiver, one POST per event, with and without a trivial insert
// function, in one process (the embedded default, as `insertfn start` runs it). Prints medians of several rounds. A first cut: the
// steady-rate latency run is still to come (issue 4).
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { openEmbedded } from '../src/cli/embedded.js'
import { realisticEvents } from './events.js'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

let received = 0
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    // A batch is a JSON array: count its events (the first byte tells, without parsing every request).
    received += body[0] === 0x5b ? (JSON.parse(body.toString()) as unknown[]).length : 1
    res.writeHead(200).end()
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`

const dir = mkdtempSync(join(tmpdir(), 'insertfn-bench-'))
const embedded = await openEmbedded({ dataDir: dir, runtime: { allowPrivateNetwork: true }, logger: false })
const { connections, functions } = embedded
const address = await embedded.app.listen({ port: 0, host: '127.0.0.1' })
embedded.worker.start()

async function setup(withFunction: boolean, batchSize = 1): Promise<string> {
  const source = await connections.createSource({ slug: `b-${randomBytes(3).toString('hex')}`, enabled: true }, 'bench')
  const d = await connections.createDestination({ sourceId: source.id, metadataId: 'webhook', settings: { url: hookUrl, batchSize } }, 'bench')
  if (withFunction) {
    const fn = await functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'trivial', code: 'async function onTrack(e) { e.properties.enriched = true; return e }', settings: [], author: 'bench' })
    await functions.deploy(fn.id, 'bench')
    await connections.createInstance({ functionId: fn.id, integrationId: d.id, name: 'trivial', settings: {} }, 'bench')
  }
  return source.writeKeys[0]!
}

const client = new Pool(address, { connections: 8 })
const events = realisticEvents(100)

async function run(writeKey: string): Promise<number> {
  received = 0
  const started = performance.now()
  const batches = EVENTS / 100
  let sent = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent < batches) {
        sent++
        const res = await client.request({ path: '/v1/batch', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeKey, batch: events.map((e) => ({ ...e, messageId: randomBytes(8).toString('hex') })) }) })
        await res.body.text()
        if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`)
      }
    }),
  )
  while (received < EVENTS) await new Promise((r) => setTimeout(r, 5))
  return EVENTS / ((performance.now() - started) / 1000)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results: Record<string, number[]> = { 'no function (baseline)': [], 'trivial insert function': [], 'trivial insert function, batched delivery (100 per POST)': [] }
const keys = {
  'no function (baseline)': await setup(false),
  'trivial insert function': await setup(true),
  'trivial insert function, batched delivery (100 per POST)': await setup(true, 100),
}
for (let round = 0; round <= ROUNDS; round++) {
  for (const [name, key] of Object.entries(keys)) {
    const rate = await run(key)
    if (round > 0) results[name]!.push(rate)
  }
}
console.log(`insertfn end-to-end: ${EVENTS} events per run (batches of 100 over HTTP; one webhook POST per event unless batched), median of ${ROUNDS} rounds`)
console.log('')
console.log('| path | events/s | rounds |')
console.log('| --- | ---: | --- |')
for (const [name, rates] of Object.entries(results)) console.log(`| ${name} | ${Math.round(median(rates)).toLocaleString('en-US')} | ${rates.map((r) => Math.round(r / 1000) + 'k').join(' ')} |`)
const ratio = median(results['trivial insert function']!) / median(results['no function (baseline)']!)
console.log('')
console.log(`the function costs ${((1 - ratio) * 100).toFixed(1)}% of the baseline's throughput`)

await client.close()
await embedded.close()
receiver.close()
