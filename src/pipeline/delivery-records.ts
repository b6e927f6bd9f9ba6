// Turns the worker's outcome reports into delivery records.
import type { DeliveryLog } from '../store/delivery-log.js'

/** The record detail of a delivered event that needed more than one attempt. */
export const AFTER_RETRY = 'after retry'
import type { DeliveryOutcome, OutcomeReport } from './worker.js'

/** What metrics need of a settled job: small enough to cross from the delivery thread in bulk. */
export interface DeliveryTally {
  destinationId: string
  status: DeliveryOutcome['status']
  detail: string
  functionMs?: number
}

export function detailOf(o: DeliveryOutcome): string {
  return o.status === 'filtered' ? o.by : o.status === 'failed' ? o.category : o.status === 'retrying' ? 'Retry' : ''
}

export function tallyOf(r: OutcomeReport): DeliveryTally {
  return { destinationId: r.destinationId, status: r.outcome.status, detail: detailOf(r.outcome), ...(r.functionMs === undefined ? {} : { functionMs: r.functionMs }) }
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
      ...(r.trace === undefined ? {} : { trace: r.trace }),
    })
  }
}
