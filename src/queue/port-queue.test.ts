import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { MessageChannel } from 'node:worker_threads'
import { PortQueue, serveQueue } from './port-queue.js'
import { queueContract } from './queue.contract.js'
import { LeaseLostError, type JobQueue } from './queue.js'
import { SqliteQueue } from './sqlite-queue.js'

/** A queue used through a port, as the delivery thread uses the server thread's queue. */
function across(owner: JobQueue): PortQueue {
  const channel = new MessageChannel()
  serveQueue(owner, channel.port1)
  return new PortQueue(channel.port2)
}

queueContract('sqlite through a message port', async (clock) => {
  const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db'), now: clock.now })
  return { queue: across(owner), openSecond: async () => across(owner) }
}, { leaseMs: 30_000, enqueue: 'atomic' })

it('a lost lease arrives on the far side as a LeaseLostError naming the job, and other errors keep their message', async () => {
  const owner = SqliteQueue.open({ file: join(mkdtempSync(join(tmpdir(), 'insertfn-port-queue-')), 'queue.db') })
  const queue = across(owner)
  await queue.enqueue([{ destinationId: 'd', payload: '{}' }])
  const [job] = await queue.lease(1, 60_000)
  await queue.ack(job!)
  await assert.rejects(queue.ack(job!), (err: Error) => err instanceof LeaseLostError && err.message.includes(`job ${job!.id} `))
  await assert.rejects(queue.enqueue([{ destinationId: 'd' } as never]), /a job for d needs its payload as a JSON string/)
  await queue.close()
  await owner.close()
})
