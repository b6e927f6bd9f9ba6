import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testEvent, testRuntime } from '../testing/fixtures.js'

const runtime = testRuntime({ timeoutMs: 400 })
const three = () => [testEvent({ messageId: 'm1' }), testEvent({ messageId: 'm2', type: 'identify' }), testEvent({ messageId: 'm3' })]

describe('onBatch, insert functions', () => {
  it('is called once with all events and settings; outputs pair with inputs by index when lengths match', async () => {
    const fn = await runtime.load(`
      let calls = 0
      async function onBatch(events, settings) { calls++; return events.map((e, i) => ({ ...e, position: i, calls, key: settings.key })) }
      async function onTrack(e) { throw new Error('single handler must not run') }`)
    const b = await fn.invokeBatch(three(), { key: 'k' })
    assert.deepEqual(b.results.map((r) => [r.outcome, r.event?.messageId, r.event?.position, r.event?.calls, r.event?.key]), [
      ['forwarded', 'm1', 0, 1, 'k'],
      ['forwarded', 'm2', 1, 1, 'k'],
      ['forwarded', 'm3', 2, 1, 'k'],
    ])
    assert.equal(b.error, undefined)
  })

  it('filters null and undefined entries of a same-length output', async () => {
    const fn = await runtime.load(`async function onBatch(events) { return [events[0], null, undefined] }`)
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.results.map((r) => r.outcome), ['forwarded', 'dropped', 'dropped'])
  })

  it('pairs by messageId when the output is shorter, filtering the events left out', async () => {
    const fn = await runtime.load(`async function onBatch(events) { return events.filter(e => e.type === 'track').reverse() }`)
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.results.map((r) => [r.outcome, r.event?.messageId]), [
      ['forwarded', 'm1'],
      ['dropped', undefined],
      ['forwarded', 'm3'],
    ])
  })

  it('fails the batch, without retrying, when an output pairs with no input', async () => {
    const fn = await runtime.load(`async function onBatch(events) { return [{ ...events[0], messageId: 'invented' }] }`)
    const b = await fn.invokeBatch(three())
    assert.equal(b.error?.category, 'Bad Request')
    assert.match(b.error!.message, /onBatch returned 1 entries for 3 events, so entries are paired with events by messageId, and entry 0 \(messageId "invented"\) matches no event/)
    assert.ok(b.results.every((r) => r.outcome === 'error'))
  })

  it('fails the batch when onBatch returns something other than an array', async () => {
    const fn = await runtime.load(`async function onBatch(events) { return events[0] }`)
    const b = await fn.invokeBatch(three())
    assert.match(b.error!.message, /onBatch returned an object; an insert function's onBatch must return an array of events/)
  })

  it('marks one entry as failed when it is not an event, keeping the others', async () => {
    const fn = await runtime.load(`async function onBatch(events) { return [events[0], 'nope', events[2]] }`)
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.results.map((r) => r.outcome), ['forwarded', 'error', 'forwarded'])
  })

  it('a RetryError fails the whole batch as retryable', async () => {
    const fn = await runtime.load(`async function onBatch() { throw new RetryError('rate limited') }`)
    const b = await fn.invokeBatch(three())
    assert.equal(b.error?.category, 'Retry')
    assert.equal(b.error?.retryable, true)
    assert.deepEqual(b.results.map((r) => r.error?.retryable), [true, true, true])
  })

  it('any other error discards the whole batch', async () => {
    const fn = await runtime.load(`async function onBatch() { throw new ValidationError('bad batch') }`)
    const b = await fn.invokeBatch(three())
    assert.equal(b.error?.category, 'Message Rejected')
    assert.equal(b.error?.retryable, false)
    assert.equal(b.results.length, 3)
  })

  it('a timeout fails the whole batch as retryable', async () => {
    const fn = await runtime.load(`async function onBatch() { await new Promise(() => {}) }`)
    const b = await fn.invokeBatch(three())
    assert.equal(b.error?.category, 'Timeout')
    assert.deepEqual(b.results.map((r) => r.error?.category), ['Timeout', 'Timeout', 'Timeout'])
  })

  it('returning nothing filters every event', async () => {
    const fn = await runtime.load(`async function onBatch() {}`)
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.results.map((r) => r.outcome), ['dropped', 'dropped', 'dropped'])
  })
})

describe('batches without onBatch', () => {
  it('run each event through its single-event handler, each with its own outcome', async () => {
    const fn = await runtime.load(`
      async function onTrack(e) { return e.messageId === 'm3' ? undefined : { ...e, seen: true } }
      async function onIdentify() { throw new RetryError('later') }`)
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.results.map((r) => [r.outcome, r.error?.category]), [
      ['forwarded', undefined],
      ['error', 'Retry'],
      ['dropped', undefined],
    ])
    assert.equal(b.error, undefined)
  })

  it('keep the results that finished when the deadline passes, and time out the rest', async () => {
    const fn = await runtime.load(`async function onTrack(e) { if (e.messageId === 'm3') await new Promise(() => {}); return e }`)
    const b = await fn.invokeBatch([testEvent({ messageId: 'm1' }), testEvent({ messageId: 'm3' })])
    assert.deepEqual(b.results.map((r) => r.outcome), ['forwarded', 'error'])
    assert.equal(b.results[1]!.error?.category, 'Timeout')
  })

  it('accept an empty batch', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return e }`)
    assert.deepEqual((await fn.invokeBatch([])).results, [])
  })
})

describe('onBatch, destination functions', () => {
  it('maps one status object per event to delivered, retry and rejected', async () => {
    const fn = await runtime.load(
      `async function onBatch(events) { return [{ status: 200 }, { status: 400, errormessage: 'Bad Request' }, { status: 500, errormessage: 'Error processing request' }] }`,
      { kind: 'destination' },
    )
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.results.map((r) => [r.outcome, r.error?.category, r.error?.message]), [
      ['delivered', undefined, undefined],
      ['error', 'Bad Request', 'status 400: Bad Request'],
      ['error', 'Retry', 'status 500: Error processing request'],
    ])
  })

  it('records any other return value once for the batch, every event delivered', async () => {
    const fn = await runtime.load(`async function onBatch(events) { return { accepted: events.length } }`, { kind: 'destination' })
    const b = await fn.invokeBatch(three())
    assert.deepEqual(b.value, { accepted: 3 })
    assert.deepEqual(b.results.map((r) => r.outcome), ['delivered', 'delivered', 'delivered'])
  })
})
