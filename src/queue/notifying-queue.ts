// A queue that says when jobs were enqueued, so an idle worker elsewhere (another thread) can start at once
// instead of at the end of its polling wait.
import type { BulkSettling, JobQueue } from './queue.js'

export function notifyingQueue(queue: JobQueue & Partial<BulkSettling>, onEnqueued: () => void): JobQueue & Partial<BulkSettling> {
  return {
    ...(queue.settleAll === undefined ? {} : { settleAll: (list) => queue.settleAll!(list) }),
    ...(queue.settleMany === undefined ? {} : { settleMany: (list) => queue.settleMany!(list) }),
    async enqueue(jobs) {
      await queue.enqueue(jobs)
      onEnqueued()
    },
    lease: (max, leaseMs) => queue.lease(max, leaseMs),
    ack: (job) => queue.ack(job),
    retryAt: (job, at, reason) => queue.retryAt(job, at, reason),
    fail: (job, reason) => queue.fail(job, reason),
    depth: () => queue.depth(),
    replay: (destinationId, filter) => queue.replay(destinationId, filter),
    close: () => queue.close(),
  }
}
