// The delivery thread's own start: open the delivery service from the configuration it was given, report
// tallies to the server every 100 ms, and on 'stop' settle what it holds and end.
import { parentPort, workerData } from 'node:worker_threads'
import { PortQueue } from '../queue/port-queue.js'
import { DELIVERY_LEASE_WAIT_MS } from '../queue/queue-thread.js'
import { nameThisThread, THREAD_NAMES } from '../thread-name.js'
import { Tallies } from './delivery-records.js'
import { openDelivery } from './delivery-service.js'
import { DEFAULT_LEASE_MS } from './worker.js'
import type { ThreadData, ThreadMessage } from './delivery-thread.js'

nameThisThread(THREAD_NAMES.delivery)
const port = parentPort
if (port === null) throw new Error('delivery-thread-entry runs only as a worker thread (see delivery-thread.ts)')
const send = (m: ThreadMessage) => port.postMessage(m)

const tallies = new Tallies()
function sendTallies(): void {
  const taken = tallies.take()
  if (taken.length > 0) send({ type: 'tallies', tallies: taken })
}

const { config, queuePort } = workerData as ThreadData
const queue = queuePort === undefined ? undefined : new PortQueue(queuePort, { leaseWaitMs: DELIVERY_LEASE_WAIT_MS, keepLeasesAliveMs: config.worker?.leaseMs ?? DEFAULT_LEASE_MS })
const service = await openDelivery(config, {
  onReport: (r) => tallies.add(r),
  onError: (err) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
}, queue === undefined ? {} : { queue })
const timer = setInterval(sendTallies, 100)
port.on('message', (m: { type: string }) => {
  if (m.type === 'wake') return service.worker.wake()
  if (m.type !== 'stop') return
  void service.close().then(
    async () => {
      await queue?.close()
      clearInterval(timer)
      sendTallies()
      port.close()
    },
    (err: Error) => {
      send({ type: 'error', message: `the delivery thread could not stop cleanly: ${err.message}` })
      process.exit(1)
    },
  )
})
service.worker.start()
send({ type: 'ready' })
