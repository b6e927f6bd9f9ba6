// The embedded SQLite queue in a thread of its own; the server and the delivery threads use it through
// ports (PortQueue). The server thread used to own it: while it was ingesting, its event loop was busy
// parsing batches and answered the delivery thread's leases 20 to 90 ms late (measured, 8 connections
// posting batches of 100), which starved delivery of jobs just when there were most. This thread does
// nothing but the queue's transactions, so its answers wait on no one, and the server thread no longer
// spends its time in SQLite. It is still the file's only writer.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { PortQueue } from './port-queue.js'

export interface QueueThreadData {
  file: string
  checkpoints: 'auto' | 'external'
}

export type QueueThreadMessage = { type: 'ready' } | { type: 'failed'; message: string }

export interface QueueThread {
  /** A client of the queue for the calling thread (for delivery: with `leaseWaitMs`, DELIVERY_LEASE_WAIT_MS). */
  client(options?: { leaseWaitMs?: number; keepLeasesAliveMs?: number }): PortQueue
  /** A port for another thread, which makes its own PortQueue with it. */
  port(): MessagePort
  /** Closes the queue's file once its clients are done, and ends the thread. */
  close(): Promise<void>
}

/**
 * How long a delivery thread's lease that finds no job waits in the queue's thread for one, ms: new jobs
 * reach it as soon as they are committed (waiting-leases.ts). A job retried for later is found when a
 * wait ends, so this is also how late it can start; stopping waits for the leases out, too.
 */
export const DELIVERY_LEASE_WAIT_MS = 250

/**
 * V8's limit on a busy thread's young generation, MB (three semi-spaces' worth: semi-spaces of 32 MB, twice
 * V8's default ceiling). The queue and delivery threads hold every event of a round for milliseconds while
 * allocating kilobytes per event, so with V8's default a third of the young objects were alive at each
 * scavenge, and many were copied into the old generation to die there (docs/data-plane.md, Heaps).
 */
export const BUSY_THREAD_HEAP = { maxYoungGenerationSizeMb: 96 }

/**
 * Opens the queue file in a new thread; rejects with the reason when it cannot be opened. If the thread
 * ends without being asked to, `onLost` hears why: nothing could be enqueued or leased any more.
 */
export async function startQueueThread(data: QueueThreadData, onLost: (message: string) => void): Promise<QueueThread> {
  const thread = new Worker(new URL('./queue-thread-entry.js', import.meta.url), { workerData: data, resourceLimits: BUSY_THREAD_HEAP })
  let closing = false
  await new Promise<void>((ready, failed) => {
    thread.once('message', (m: QueueThreadMessage) => (m.type === 'ready' ? ready() : failed(new Error(m.message))))
    thread.once('error', failed)
    thread.once('exit', (code) => failed(new Error(`the queue thread exited with code ${code} before it opened ${data.file}`)))
  })
  thread.on('error', (err) => onLost(`the queue thread failed: ${err.stack ?? err.message}`))
  thread.on('exit', (code) => {
    if (!closing) onLost(`the queue thread exited with code ${code}`)
  })
  const port = (): MessagePort => {
    const channel = new MessageChannel()
    thread.postMessage({ type: 'serve', port: channel.port2 }, [channel.port2])
    return channel.port1
  }
  return {
    port,
    client: (options) => new PortQueue(port(), options),
    async close() {
      if (closing) return
      closing = true
      const exited = new Promise<void>((r) => thread.once('exit', () => r()))
      thread.postMessage({ type: 'stop' })
      await exited
    },
  }
}
