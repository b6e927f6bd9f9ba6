// How fast this machine is at the two kinds of work the data path is made of, against the machine issue 4's
// targets were set on (design.md section 5): JSON (what a function adds: the sandbox parses and encodes
// each event) and HTTP requests over loopback (what delivery with one POST per event is made of). Machines
// here differ by twice either figure, and not by the same factor: one whose requests are cheap against its
// JSON shows a function costing a larger share of the baseline than the reference machine would.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Pool } from 'undici'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** design.md section 5: `JSON.parse` + `JSON.stringify` of one event, events/s on one core. */
export const REFERENCE_JSON_RATE = 214_000
/** design.md section 5: undici POSTs over loopback, one event per request, requests/s. */
export const REFERENCE_POST_RATE = 50_000

/** JSON.parse + JSON.stringify of the texts on one core, events/s: median of 5 half-second runs. */
export function jsonRate(texts: readonly string[]): number {
  const rates: number[] = []
  for (let run = 0; run < 5; run++) {
    const started = performance.now()
    let n = 0
    while (performance.now() - started < 500) {
      for (const t of texts) JSON.stringify(JSON.parse(t))
      n += texts.length
    }
    rates.push(n / ((performance.now() - started) / 1000))
  }
  return median(rates)
}

// A bare node:http server that reads each body and answers 200: the receiver at its cheapest.
const SERVER = `
const server = require('node:http').createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => res.writeHead(200).end())
})
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'))
`

/**
 * undici POSTs of the texts, one per request, to a bare server in another process over loopback, with
 * 64 connections and 256 requests in flight (the webhook destination's pool): requests/s, median of 3
 * one-second runs after a warm-up.
 */
export async function postRate(texts: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const exited = once(child, 'exit').then(([code]) => Promise.reject(new Error(`the calibration server exited (code ${String(code)}) before it listened`)))
    const [chunk] = (await Promise.race([once(child.stdout, 'data'), exited])) as [Buffer]
    exited.catch(() => {})
    const pool = new Pool(`http://127.0.0.1:${chunk.toString().trim()}`, { connections: 64 })
    const run = async (ms: number) => {
      const started = performance.now()
      let n = 0
      await Promise.all(Array.from({ length: 256 }, async () => {
        while (performance.now() - started < ms) {
          const res = await pool.request({ path: '/in', method: 'POST', headers: { 'content-type': 'application/json' }, body: texts[n % texts.length]! })
          await res.body.dump()
          if (res.statusCode !== 200) throw new Error(`the calibration server answered ${res.statusCode}`)
          n++
        }
      }))
      return n / ((performance.now() - started) / 1000)
    }
    await run(300)
    const rates: number[] = []
    for (let i = 0; i < 3; i++) rates.push(await run(1000))
    await pool.close()
    return median(rates)
  } finally {
    child.kill()
  }
}
