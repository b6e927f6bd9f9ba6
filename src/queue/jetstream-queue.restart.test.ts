// A NATS server of its own (random port, temporary store) restarted under the queue: what was enqueued,
// leased or backing off is still there afterwards, and the client reconnects by itself.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, it } from 'node:test'
import { JetStreamQueue } from './jetstream-queue.js'
import type { LeasedJob } from './queue.js'

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server'
const dir = mkdtempSync(join(tmpdir(), 'insertfn-nats-'))
let server: ChildProcess | undefined

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

async function startNats(port: number): Promise<ChildProcess> {
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false))
      setTimeout(() => socket.destroy(), 50)
    })
    if (open) return child
    await sleep(100)
  }
  throw new Error(`${NATS_SERVER} did not listen on ${port}`)
}

after(() => {
  server?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

it('jobs enqueued, leased and backing off survive a restart of the NATS server', async () => {
  const port = await freePort()
  server = await startNats(port)
  const queue = await JetStreamQueue.connect({ servers: `nats://127.0.0.1:${port}`, name: 'restart', ackWaitMs: 5000 })
  await queue.enqueue([1, 2, 3, 4].map((i) => ({ destinationId: 'dst_a', payload: JSON.stringify({ i }) })))
  const [backingOff, held, done] = await queue.lease(3, 5000)
  const retried = Date.now()
  await queue.retryAt(backingOff!, Date.now() + 3000, '503')
  await queue.ack(done!)

  const stopped = server
  stopped.kill('SIGTERM')
  await new Promise((r) => stopped.on('exit', r))
  server = await startNats(port)

  const back = new Map<number, { job: LeasedJob; after: number }>()
  while (back.size < 3 && Date.now() - retried < 30_000) {
    for (const job of await queue.lease(10, 30_000).catch(() => [])) back.set(JSON.parse(job.payload).i as number, { job, after: Date.now() - retried })
    await sleep(200)
  }
  // Job 4 was never leased; 1 waited out its backoff, 2 its lease; 3 was acked before the restart.
  assert.deepEqual([...back.keys()].sort(), [1, 2, 4])
  assert.deepEqual([1, 2, 4].map((i) => back.get(i)!.job.attempts), [2, 2, 1])
  assert.ok(back.get(1)!.after >= 2900, `the backoff of 3 s ended after ${back.get(1)!.after} ms`)
  assert.equal(held!.id, back.get(2)!.job.id)
  assert.equal(await queue.depth(), 3)
  await queue.close()
})
