// Runs the delivery service in a worker thread of the server's process: ingestion and delivery each get an
// event loop (and a core) of their own, and a burst of ingestion cannot starve delivery. The thread sends
// back only tallies for the server's metrics; records go straight to the store from the thread.
import { Worker as Thread } from 'node:worker_threads'
import type { DeliveryTally } from './delivery-records.js'
import type { MessagePort } from 'node:worker_threads'
import type { DeliveryConfig } from './delivery-service.js'
import { BUSY_THREAD_HEAP } from '../queue/queue-thread.js'

export type ThreadMessage =
  | { type: 'ready' }
  | { type: 'tallies'; tallies: DeliveryTally[] }
  | { type: 'error'; message: string }

export interface DeliveryThreadHooks {
  onTallies: (tallies: DeliveryTally[]) => void
  onError: (message: string) => void
}

export interface DeliveryThread {
  /** Jobs were enqueued: the thread's idle loops look now. Calls in one tick send one message. */
  wake(): void
  /** Asks the thread to stop leasing and settle what it holds, and waits until it has. */
  stop(): Promise<void>
}

/** How long to wait before starting a thread again after it died (its leased jobs come back when their leases end). */
const RESTART_DELAY_MS = 1000

/** What the thread is started with. */
export interface ThreadData {
  config: DeliveryConfig
  /** The thread's end of the queue channel, when this thread owns the queue and serves it. */
  queuePort?: MessagePort
}

/**
 * Starts delivery in a thread. With `connectQueue`, the thread uses the queue through the port it gives
 * (a new one each time the thread starts); without it, the thread opens the queue named in the config.
 */
export async function startDeliveryThread(config: DeliveryConfig, connectQueue: (() => MessagePort) | undefined, hooks: DeliveryThreadHooks): Promise<DeliveryThread> {
  let stopping = false
  let current: Thread
  let restartTimer: NodeJS.Timeout | undefined

  function spawn(): Promise<void> {
    const queuePort = connectQueue?.()
    const data: ThreadData = { config, ...(queuePort === undefined ? {} : { queuePort }) }
    const thread = new Thread(new URL('./delivery-thread-entry.js', import.meta.url), { workerData: data, transferList: queuePort === undefined ? [] : [queuePort], resourceLimits: BUSY_THREAD_HEAP })
    current = thread
    return new Promise<void>((ready, failed) => {
      let started = false
      thread.on('message', (m: ThreadMessage) => {
        if (m.type === 'ready') {
          started = true
          ready()
        } else if (m.type === 'tallies') hooks.onTallies(m.tallies)
        else if (m.type === 'error') hooks.onError(m.message)
      })
      thread.on('error', (err) => {
        if (!started) failed(err)
        else hooks.onError(`the delivery thread failed: ${err.stack ?? err.message}`)
      })
      thread.on('exit', (code) => {
        if (!started || stopping) return
        hooks.onError(`the delivery thread exited with code ${code}; starting it again in ${RESTART_DELAY_MS} ms`)
        restartTimer = setTimeout(() => void spawn().catch((err: Error) => hooks.onError(`the delivery thread could not start again: ${err.message}`)), RESTART_DELAY_MS)
      })
    })
  }

  await spawn()
  let wakeSent = false
  return {
    wake() {
      if (wakeSent) return
      wakeSent = true
      current.postMessage({ type: 'wake' })
      setImmediate(() => (wakeSent = false))
    },
    async stop() {
      stopping = true
      if (restartTimer !== undefined) clearTimeout(restartTimer)
      const thread = current
      const exited = new Promise<void>((done) => thread.once('exit', () => done()))
      thread.postMessage({ type: 'stop' })
      await exited
    },
  }
}
