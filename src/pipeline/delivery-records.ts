// Turns the worker's outcome reports into delivery records.
import type { DeliveryLog } from '../store/delivery-log.js'

/** The record detail of a delivered event that needed more than one attempt. */
export const AFTER_RETRY = 'after retry'
import type { DeliveryOutcome, OutcomeReport } from './worker.js'

/** What metrics need of settled jobs of one destination, status and detail: it crosses from the delivery thread in bulk. */
export interface DeliveryTally {
  destinationId: string
  status: DeliveryOutcome['status']
  detail: string
  /** Jobs settled so. */
  count: number
  /** Time spent in functions, ms, per job that ran one. */
  functionMs: number[]
}

export function detailOf(o: DeliveryOutcome): string {
  return o.status === 'filtered' ? o.by : o.status === 'failed' ? o.category : o.status === 'retrying' ? 'Retry' : ''
}

export function tallyOf(r: OutcomeReport): DeliveryTally {
  return { destinationId: r.destinationId, status: r.outcome.status, detail: detailOf(r.outcome), count: 1, functionMs: r.functionMs === undefined ? [] : [r.functionMs] }
}

/**
 * Adds up reports by destination, status and detail: one tally per kind of outcome, not one per job. Maps
 * within maps, not one map of joined keys: a joined key is a new string per job to write out and hash.
 */
export class Tallies {
  #byDestination = new Map<string, Map<string, Map<string, DeliveryTally>>>()

  add(r: OutcomeReport): void {
    const status = r.outcome.status
    const detail = detailOf(r.outcome)
    let byStatus = this.#byDestination.get(r.destinationId)
    if (byStatus === undefined) this.#byDestination.set(r.destinationId, (byStatus = new Map()))
    let byDetail = byStatus.get(status)
    if (byDetail === undefined) byStatus.set(status, (byDetail = new Map()))
    const t = byDetail.get(detail)
    if (t === undefined) byDetail.set(detail, tallyOf(r))
    else {
      t.count++
      if (r.functionMs !== undefined) t.functionMs.push(r.functionMs)
    }
  }

  /** The tallies so far, and a fresh start. */
  take(): DeliveryTally[] {
    const all = [...this.#byDestination.values()].flatMap((byStatus) => [...byStatus.values()].flatMap((byDetail) => [...byDetail.values()]))
    this.#byDestination.clear()
    return all
  }
}

export function recordTo(log: DeliveryLog, now: () => number = Date.now): (r: OutcomeReport) => void {
  return (r) => {
    const o = r.outcome
    log.report({
      destinationId: r.destinationId,
      messageId: r.messageId,
      status: o.status,
      // A delivery that needed retries is counted apart, for the Delivery Overview's retryCount.
      detail: o.status === 'delivered' && r.attempt > 1 ? AFTER_RETRY : detailOf(o),
      ...(o.status === 'filtered' && o.detail !== undefined ? { reason: o.detail } : 'reason' in o ? { reason: o.reason } : {}),
      attempt: r.attempt,
      at: new Date(now()),
      event: r.event,
      ...(r.sent === undefined ? {} : { sent: r.sent }),
      ...(r.trace === undefined ? {} : { trace: r.trace }),
    })
  }
}
