// How jobs and settlements are written to cross a MessagePort (port-queue.ts). Structured cloning costs
// per value, not per byte: a lease of 100 jobs as objects made V8 write and read 600 keys and strings,
// about four times what the jobs' texts alone cost to copy. So what repeats from job to job (destination,
// attempts, enqueue time, lease token) is written once per run of jobs that share it, small strings travel
// as one JSON text, and only the events' texts cross one by one.
import type { JobLease, LeasedJob, NewJob, QueueSettlement } from './queue.js'

/** Consecutive jobs with the same destination, attempts, enqueue time and lease token. */
interface LeasedRun {
  destinationId: string
  attempts: number
  enqueuedAt: number
  leaseToken: string
  /** The jobs' ids, as a JSON array. */
  ids: string
}

export interface LeasedWire {
  runs: LeasedRun[]
  /** Every job's payload, in order. */
  payloads: string[]
}

export function writeLeased(jobs: readonly LeasedJob[]): LeasedWire {
  const runs: LeasedRun[] = []
  const payloads: string[] = []
  let ids: string[] = []
  let run: Omit<LeasedRun, 'ids'> | undefined
  for (const job of jobs) {
    if (run === undefined || run.destinationId !== job.destinationId || run.attempts !== job.attempts || run.enqueuedAt !== job.enqueuedAt || run.leaseToken !== job.leaseToken) {
      if (run !== undefined) runs.push({ ...run, ids: JSON.stringify(ids) })
      run = { destinationId: job.destinationId, attempts: job.attempts, enqueuedAt: job.enqueuedAt, leaseToken: job.leaseToken }
      ids = []
    }
    ids.push(job.id)
    payloads.push(job.payload)
  }
  if (run !== undefined) runs.push({ ...run, ids: JSON.stringify(ids) })
  return { runs, payloads }
}

export function readLeased(wire: LeasedWire): LeasedJob[] {
  const jobs: LeasedJob[] = []
  for (const { destinationId, attempts, enqueuedAt, leaseToken, ids } of wire.runs) {
    for (const id of JSON.parse(ids) as string[]) jobs.push({ id, destinationId, payload: wire.payloads[jobs.length]!, attempts, enqueuedAt, leaseToken })
  }
  return jobs
}

export interface NewJobsWire {
  /** Consecutive jobs of one destination: [destinationId, how many]. */
  runs: [string, number][]
  payloads: string[]
  /** The jobs' dedupe keys as a JSON array (null where a job has none), or undefined when none has one. */
  dedupeKeys?: string
}

export function writeNewJobs(jobs: readonly NewJob[]): NewJobsWire {
  const runs: [string, number][] = []
  let keyed = false
  for (const job of jobs) {
    const last = runs[runs.length - 1]
    if (last !== undefined && last[0] === job.destinationId) last[1]++
    else runs.push([job.destinationId, 1])
    if (job.dedupeKey !== undefined) keyed = true
  }
  return {
    runs,
    payloads: jobs.map((j) => j.payload),
    ...(keyed ? { dedupeKeys: JSON.stringify(jobs.map((j) => j.dedupeKey ?? null)) } : {}),
  }
}

export function readNewJobs(wire: NewJobsWire): NewJob[] {
  const keys = wire.dedupeKeys === undefined ? undefined : (JSON.parse(wire.dedupeKeys) as (string | null)[])
  const jobs: NewJob[] = []
  for (const [destinationId, n] of wire.runs) {
    for (let i = 0; i < n; i++) {
      const at = jobs.length
      const key = keys?.[at]
      // The queue checks each job (checkJob): a payload that is not a string reaches it as it was sent.
      jobs.push({ destinationId, payload: wire.payloads[at]!, ...(key == null ? {} : { dedupeKey: key }) })
    }
  }
  return jobs
}

/**
 * A round's settlements in their order: acks (nearly all of them) as ids and tokens in one JSON text,
 * the rest (which carry the job, to be stored again) as they are.
 */
export interface SettlementsWire {
  /** 'a' for an ack, 'o' for any other settlement, one per settlement. */
  order: string
  /** [id, leaseToken, id, leaseToken, ...] of the acks, as JSON. */
  acks: string
  others: QueueSettlement[]
}

export function writeSettlements(list: readonly QueueSettlement[]): SettlementsWire {
  let order = ''
  const acks: string[] = []
  const others: QueueSettlement[] = []
  for (const s of list) {
    if (s.op === 'ack') {
      order += 'a'
      acks.push(s.job.id, s.job.leaseToken)
    } else {
      order += 'o'
      others.push(s)
    }
  }
  return { order, acks: JSON.stringify(acks), others }
}

export function readSettlements(wire: SettlementsWire): QueueSettlement[] {
  const acks = JSON.parse(wire.acks) as string[]
  let a = 0
  let o = 0
  const list: QueueSettlement[] = []
  for (const kind of wire.order) {
    if (kind === 'a') {
      const job: JobLease = { id: acks[a]!, leaseToken: acks[a + 1]! }
      list.push({ op: 'ack', job })
      a += 2
    } else list.push(wire.others[o++]!)
  }
  return list
}
