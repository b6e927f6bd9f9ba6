// The embedded queue in a thread of its own: every client, on any thread, uses the one queue through a
// port, and the file is closed when the thread is told to stop.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { PortQueue } from './port-queue.js'
import { startQueueThread } from './queue-thread.js'
import { SqliteQueue } from './sqlite-queue.js'

const lost: string[] = []

it('serves one queue to every client: jobs enqueued through one are leased through another, and stay in the file after it stops', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'insertfn-queue-thread-')), 'queue.db')
  const thread = await startQueueThread({ file, checkpoints: 'auto' }, (m) => lost.push(m))
  const server = thread.client()
  const delivery = new PortQueue(thread.port())
  await server.enqueue([1, 2, 3].map((i) => ({ destinationId: 'dst_a', payload: JSON.stringify({ i }) })))
  const leased = await delivery.lease(2, 60_000)
  assert.deepEqual(leased.map((j) => JSON.parse(j.payload).i), [1, 2])
  await delivery.ack(leased[0]!)
  await delivery.ack(leased[1]!)
  assert.equal(await server.depth(), 1)
  await delivery.close()
  await server.close()
  await thread.close()
  assert.deepEqual(lost, [], 'a thread asked to stop is not reported lost')
  const reopened = SqliteQueue.open({ file })
  assert.deepEqual((await reopened.lease(10, 60_000)).map((j) => JSON.parse(j.payload).i), [3])
  await reopened.close()
})

it('rejects at start, naming the file, when the queue cannot be opened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'insertfn-queue-thread-'))
  writeFileSync(join(dir, 'not-a-dir'), 'x')
  const file = join(dir, 'not-a-dir', 'queue.db')
  await assert.rejects(startQueueThread({ file, checkpoints: 'auto' }, () => {}), (err: Error) => err.message.includes(file) && /could not be opened/.test(err.message))
})
