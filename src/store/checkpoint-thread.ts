// The checkpoint thread's own start (see checkpointer.ts): one connection per file, a PASSIVE checkpoint of
// each every everyMs, and a last one on 'stop'.
import { parentPort, workerData } from 'node:worker_threads'
import SQLite from 'better-sqlite3'
import { nameThisThread, THREAD_NAMES } from '../thread-name.js'

nameThisThread(THREAD_NAMES.checkpoints)

const { files, everyMs } = workerData as { files: string[]; everyMs: number }
const dbs = files.map((file) => {
  const db = new SQLite(file)
  db.pragma('busy_timeout = 5000')
  return db
})
const checkpoint = () => {
  for (const db of dbs) db.pragma('wal_checkpoint(PASSIVE)')
}
const timer = setInterval(checkpoint, everyMs)
parentPort!.on('message', () => {
  clearInterval(timer)
  checkpoint()
  for (const db of dbs) db.close()
  parentPort!.close()
})
