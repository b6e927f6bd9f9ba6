// A destination slower than the lease, on the embedded queue with two delivery threads: a round waiting on
// the destination outlasts `--lease`, and each thread keeps its round's jobs while it waits (the queue
// thread renews their leases, docs/queue.md), so the other thread never leases them again and no event
// reaches the destination twice. Without the renewal, each event arrived three times here.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { Analytics } from '@segment/analytics-node'
import { apiClient, startServerProcess } from '../src/testing/server-process.js'
import { until } from '../src/testing/until.js'

const TOKEN = 'e2e-owner-token'
const LEASE_MS = 1000
/** The destination answers each request this long after it arrives: three leases. */
const ANSWER_AFTER_MS = 3 * LEASE_MS
const EVENTS = 40

it('with two delivery threads and a destination slower than the lease, every event arrives once and is recorded delivered', async () => {
  const arrivals = new Map<string, number>()
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const { messageId } = JSON.parse(body) as { messageId: string }
      arrivals.set(messageId, (arrivals.get(messageId) ?? 0) + 1)
      setTimeout(() => res.writeHead(200).end(), ANSWER_AFTER_MS)
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  const server = await startServerProcess({
    dataDir: mkdtempSync(join(tmpdir(), 'insertfn-e2e-')),
    token: TOKEN,
    env: { INSERTFN_LEASE_MS: String(LEASE_MS), INSERTFN_WORKERS: '2' },
  })
  try {
    assert.match(server.output(), /2 delivery thread\(s\)/)
    const api = apiClient(server.address, TOKEN)
    const source = (await api('POST', '/sources', { slug: 'slow', enabled: true, metadataId: 'http' })).source
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
    const destination = (await api('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Slow', settings: { url } })).destination
    const analytics = new Analytics({ writeKey: source.writeKeys[0] as string, host: server.address, flushAt: EVENTS / 2 })
    for (let n = 0; n < EVENTS; n++) analytics.track({ userId: 'u1', event: 'Slow', messageId: `slow-${n}`, properties: { n } })
    await analytics.closeAndFlush()

    await until(() => `every event to arrive (${arrivals.size} of ${EVENTS})`, () => arrivals.size === EVENTS)
    // A job leased again would arrive again within a lease or two of the first time: wait past that.
    await new Promise((r) => setTimeout(r, ANSWER_AFTER_MS + 2 * LEASE_MS))
    assert.deepEqual([...arrivals].filter(([, times]) => times > 1), [], 'no event arrives twice')
    let totals = {}
    await until(() => `the records to count every event delivered (${JSON.stringify(totals)})`, async () => {
      totals = (await api<{ totals: Record<string, number> }>('GET', `/destinations/${destination.id}/delivery-metrics`)).totals
      return JSON.stringify(totals) === JSON.stringify({ delivered: EVENTS })
    })
  } finally {
    await server.stop()
    await new Promise((r) => receiver.close(r))
  }
})
