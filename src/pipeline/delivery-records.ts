// Turns the worker's outcome reports into delivery records.
import type { DeliveryLog } from '../store/delivery-log.js'
import type { OutcomeReport } from './worker.js'

export function recordTo(log: DeliveryLog, now: () => number = Date.now): (r: OutcomeReport) => void {
  return (r) => {
    const o = r.outcome
    log.report({
      destinationId: r.destinationId,
      messageId: r.messageId,
      status: o.status,
      detail: o.status === 'filtered' ? o.by : o.status === 'failed' ? o.category : o.status === 'retrying' ? 'Retry' : '',
      ...(o.status === 'filtered' && o.detail !== undefined ? { reason: o.detail } : 'reason' in o ? { reason: o.reason } : {}),
      attempt: r.attempt,
      at: new Date(now()),
      event: r.event,
      ...(r.trace === undefined ? {} : { trace: r.trace }),
    })
  }
}
