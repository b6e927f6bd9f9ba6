import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serviceOptions } from './service-options.js'
import { UsageError } from './usage-error.js'

const options = (values: Record<string, string>, env: Record<string, string> = {}) => serviceOptions(values, env, 'see --help', (p) => p)

describe('service options: the lease', () => {
  it('is 60 s unless given, from the flag, else from the environment', () => {
    assert.equal(options({}).leaseMs, 60_000)
    assert.equal(options({ lease: '5000' }, { INSERTFN_LEASE_MS: '9000' }).leaseMs, 5000)
    assert.equal(options({}, { INSERTFN_LEASE_MS: '9000' }).leaseMs, 9000)
  })

  it('refuses a lease under a second, saying why', () => {
    assert.throws(() => options({ lease: '0' }), (err: unknown) => err instanceof UsageError && /--lease must be at least 1000 \(ms\), not 0/.test(err.message))
    assert.throws(() => options({}, { INSERTFN_LEASE_MS: '999' }), (err: unknown) => err instanceof UsageError && /not 999/.test(err.message))
  })
})

describe('service options: how much of the delivery records is kept', () => {
  it('keeps the defaults when nothing is given', () => {
    assert.deepEqual(options({}).records, {})
  })

  it('takes hours of details, details per outcome and days of counts from flags, else from the environment', () => {
    assert.deepEqual(options({ 'record-retention': '24', 'records-per-status': '50', 'count-retention': '30' }).records, { retentionMs: 24 * 3600_000, detailsPerStatus: 50, countRetentionMs: 30 * 24 * 3600_000 })
    assert.deepEqual(options({ 'record-retention': '2' }, { INSERTFN_RECORD_RETENTION_HOURS: '9', INSERTFN_RECORDS_PER_STATUS: '7' }).records, { retentionMs: 2 * 3600_000, detailsPerStatus: 7 })
  })

  it('refuses zero and what is not a whole number, naming the flag', () => {
    assert.throws(() => options({ 'record-retention': '0' }), (err: unknown) => err instanceof UsageError && /--record-retention must be at least 1/.test(err.message))
    assert.throws(() => options({}, { INSERTFN_COUNT_RETENTION_DAYS: 'a month' }), (err: unknown) => err instanceof UsageError && /--count-retention must be a whole number, not "a month"/.test(err.message))
  })
})
