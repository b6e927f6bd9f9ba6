import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Tallies } from './delivery-records.js'
import type { DeliveryOutcome, OutcomeReport } from './worker.js'

const report = (destinationId: string, outcome: DeliveryOutcome, functionMs?: number): OutcomeReport => ({
  jobId: '1', destinationId, messageId: 'm', attempt: 1, outcome, event: '{}', ...(functionMs === undefined ? {} : { functionMs }),
})

describe('Tallies', () => {
  it('adds up settled jobs by destination, status and detail, keeping each function time', () => {
    const t = new Tallies()
    t.add(report('a', { status: 'delivered' }, 1.5))
    t.add(report('a', { status: 'delivered' }))
    t.add(report('a', { status: 'delivered' }, 2.5))
    t.add(report('a', { status: 'failed', category: 'Message Rejected', reason: 'no' }, 0.5))
    t.add(report('b', { status: 'delivered' }))
    assert.deepEqual(t.take(), [
      { destinationId: 'a', status: 'delivered', detail: '', count: 3, functionMs: [1.5, 2.5] },
      { destinationId: 'a', status: 'failed', detail: 'Message Rejected', count: 1, functionMs: [0.5] },
      { destinationId: 'b', status: 'delivered', detail: '', count: 1, functionMs: [] },
    ])
    assert.deepEqual(t.take(), [], 'taking starts afresh')
  })
})
