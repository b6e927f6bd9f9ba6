import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readLeased, readNewJobs, readSettlements, writeLeased, writeNewJobs, writeSettlements } from './port-wire.js'
import type { LeasedJob, NewJob, QueueSettlement } from './queue.js'

/** What a MessagePort does to a message: V8's structured clone. */
const cross = <T>(value: T): T => structuredClone(value)

describe('the port wire format', () => {
  it('brings leased jobs across as they were, in order, whatever they share or not', () => {
    const job = (id: string, over: Partial<LeasedJob> = {}): LeasedJob => ({ id, destinationId: 'd1', payload: `{"id":"${id}"}`, attempts: 1, enqueuedAt: 1000, leaseToken: 't', ...over })
    const jobs = [job('1.0'), job('1.1'), job('2', { attempts: 3 }), job('3.0', { destinationId: 'd2' }), job('3.1', { destinationId: 'd2', enqueuedAt: 2000 }), job('4', { leaseToken: 'u', payload: 'x,"\u2028' })]
    const wire = cross(writeLeased(jobs))
    assert.deepEqual(readLeased(wire), jobs)
    assert.equal(wire.runs.length, 5, 'jobs that share destination, attempts, enqueue time and token share a run')
    assert.deepEqual(readLeased(cross(writeLeased([]))), [])
  })

  it('brings new jobs across with their dedupe keys where they have them', () => {
    const keyed: NewJob[] = [{ destinationId: 'a', payload: '1', dedupeKey: 'm1:a' }, { destinationId: 'a', payload: '2' }, { destinationId: 'b', payload: '3', dedupeKey: 'm,"1:b' }, { destinationId: 'a', payload: '4', dedupeKey: 'm2:a' }]
    assert.deepEqual(readNewJobs(cross(writeNewJobs(keyed))), keyed)
    const plain: NewJob[] = [{ destinationId: 'a', payload: '1' }, { destinationId: 'a', payload: '2' }]
    const wire = cross(writeNewJobs(plain))
    assert.equal(wire.dedupeKeys, undefined)
    assert.deepEqual(wire.runs, [['a', 2]])
    assert.deepEqual(readNewJobs(wire), plain)
  })

  it('keeps a job the queue must refuse as it was sent, so the queue names what is wrong', () => {
    const bad = [{ destinationId: 'd' } as NewJob, { destinationId: 'd', payload: '1', dedupeKey: '' }]
    assert.deepEqual(readNewJobs(cross(writeNewJobs(bad))), [{ destinationId: 'd', payload: undefined }, { destinationId: 'd', payload: '1', dedupeKey: '' }])
  })

  it('brings a round of settlements across in their order, acks as id and token only', () => {
    const leased: LeasedJob = { id: '7.2', destinationId: 'd', payload: '{"big":true}', attempts: 2, enqueuedAt: 5, leaseToken: 't' }
    const list: QueueSettlement[] = [
      { op: 'ack', job: { id: '7.0', leaseToken: 't' } },
      { op: 'retryAt', job: leased, at: 99, reason: 'later' },
      { op: 'ack', job: { id: '7.1', leaseToken: 't' } },
      { op: 'fail', job: { ...leased, id: '7.3' }, reason: 'no' },
      { op: 'ack', job: { id: '8', leaseToken: 'u' } },
    ]
    assert.deepEqual(readSettlements(cross(writeSettlements(list))), list)
    assert.deepEqual(readSettlements(cross(writeSettlements([]))), [])
  })
})
