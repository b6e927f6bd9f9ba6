// Checkpoints of SQLite's write-ahead logs, in a thread of their own. A checkpoint copies the log into the
// database file and syncs it to disk; left to SQLite, it runs inside whichever commit crosses the log's
// size, on the thread that is taking events or delivering them, and its fsync stalls that thread for tens
// of milliseconds: measured, it doubled the p99 latency of delivery at 1,000 events/s. Connections opened
// with `checkpoints: 'external'` leave it to this thread, which checkpoints each file every `everyMs`
// without blocking writers (PASSIVE).
import { Worker } from 'node:worker_threads'

/**
 * Bytes a write-ahead log keeps on disk once it restarts (PRAGMA journal_size_limit). SQLite reuses a
 * log from its start after a checkpoint but never shrinks it by itself: after 780,000 events at full
 * speed the queue's log stayed at 62 MB on disk (and in the page cache), most of it frames nobody would
 * read again. With the limit it stays near 5 MB.
 */
export const WAL_SIZE_LIMIT = 4 * 1024 * 1024

export interface Checkpointer {
  close(): Promise<void>
}

export function startCheckpointer(files: string[], everyMs = 250): Checkpointer {
  const thread = new Worker(new URL('./checkpoint-thread.js', import.meta.url), { workerData: { files, everyMs } })
  thread.unref()
  thread.on('error', (err) => process.stderr.write(`insertfn: the SQLite checkpoint thread failed (SQLite checkpoints stop; the logs grow until restart): ${err.message}\n`))
  return {
    async close() {
      const exited = new Promise<void>((r) => thread.once('exit', () => r()))
      thread.ref() // the last checkpoint is worth waiting for
      thread.postMessage('stop')
      await exited
    },
  }
}
