// The queue thread's own start (see queue-thread.ts): open the file, serve each port it is given, and
// close the file when told to stop.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { nameThisThread, THREAD_NAMES } from '../thread-name.js'
import { serveQueue } from './port-queue.js'
import type { QueueThreadData, QueueThreadMessage } from './queue-thread.js'
import { SqliteQueue } from './sqlite-queue.js'

nameThisThread(THREAD_NAMES.queue)
const parent = parentPort
if (parent === null) throw new Error('queue-thread-entry runs only as a worker thread (see queue-thread.ts)')
const send = (m: QueueThreadMessage) => parent.postMessage(m)
const { file, checkpoints } = workerData as QueueThreadData

let queue: SqliteQueue
try {
  queue = SqliteQueue.open({ file, checkpoints })
} catch (err) {
  send({ type: 'failed', message: `the queue ${file} could not be opened: ${(err as Error).message}` })
  process.exit(1)
}
const served = new Set<MessagePort>()
parent.on('message', (m: { type: 'serve'; port: MessagePort } | { type: 'stop' }) => {
  if (m.type === 'serve') {
    served.add(m.port)
    m.port.once('close', () => served.delete(m.port))
    serveQueue(queue, m.port)
    return
  }
  void queue.close().finally(() => {
    for (const port of served) port.close()
    parent.close()
  })
})
send({ type: 'ready' })
