import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_EVENT_BYTES, stampEvent } from './events.js'

const receivedAt = new Date('2026-11-27T07:00:10.000Z')
const ok = (raw: unknown, options: Partial<Parameters<typeof stampEvent>[1]> = {}) => {
  const r = stampEvent(raw, { receivedAt, ...options })
  if ('problem' in r) throw new Error(r.problem.message)
  return r.event
}
const problem = (raw: unknown, options: Partial<Parameters<typeof stampEvent>[1]> = {}) => {
  const r = stampEvent(raw, { receivedAt, ...options }, 3)
  if (!('problem' in r)) throw new Error('expected a problem')
  return r.problem
}

describe('Segment events on receipt', () => {
  it('stamps receivedAt, keeps a messageId or makes one, and drops the write key', () => {
    const e = ok({ userId: 'u', event: 'E', messageId: 'm-1', writeKey: 'secret' }, { type: 'track' })
    assert.deepEqual([e.type, e.messageId, e.receivedAt, 'writeKey' in e], ['track', 'm-1', receivedAt.toISOString(), false])
    assert.match(ok({ userId: 'u', event: 'E' }, { type: 'track' }).messageId, /^api-[0-9a-f-]{36}$/)
    assert.match(ok({ userId: 'u', event: 'E', messageId: 'x'.repeat(101) }, { type: 'track' }).messageId, /^api-/)
  })

  it('corrects the event time for the sender clock skew: timestamp = receivedAt - (sentAt - originalTimestamp)', () => {
    // The device clock runs 5 s fast: it says it sent at :15 what happened at :12.
    const e = ok({ userId: 'u', event: 'E', timestamp: '2026-11-27T07:00:12.000Z', sentAt: '2026-11-27T07:00:15.000Z' }, { type: 'track' })
    assert.equal(e.originalTimestamp, '2026-11-27T07:00:12.000Z')
    assert.equal(e.timestamp, '2026-11-27T07:00:07.000Z')
    assert.equal(ok({ userId: 'u', event: 'E' }, { type: 'track' }).timestamp, receivedAt.toISOString())
    // An item's sentAt of null is no sentAt: the batch's is used.
    const late = ok({ userId: 'u', event: 'E', timestamp: '2026-11-27T07:00:12.000Z', sentAt: null }, { type: 'track', sentAt: '2026-11-27T07:00:15.000Z' })
    assert.equal(late.timestamp, '2026-11-27T07:00:07.000Z')
  })

  it("merges a batch's context and integrations into each item, the item's own keys winning", () => {
    const e = ok({ type: 'identify', userId: 'u', context: { ip: '1.1.1.1' }, integrations: { Webhook: false } }, { batchContext: { ip: '9.9.9.9', locale: 'en' }, batchIntegrations: { All: true } })
    assert.deepEqual(e.context, { ip: '1.1.1.1', locale: 'en' })
    assert.deepEqual(e.integrations, { All: true, Webhook: false })
  })

  it('measures the 32 KB limit on the event as sent, whatever stamping adds or removes', () => {
    // The stamp adds receivedAt, timestamp and more: an event just under the limit as sent still passes.
    const base = { userId: 'u', event: 'E', properties: { blob: '' } }
    const under = { ...base, properties: { blob: 'x'.repeat(MAX_EVENT_BYTES - Buffer.byteLength(JSON.stringify(base))) } }
    assert.equal(Buffer.byteLength(JSON.stringify(under)), MAX_EVENT_BYTES)
    assert.equal(ok(under, { type: 'track' }).userId, 'u')
    // Multi-byte characters count as bytes, not characters.
    const accented = { ...base, properties: { blob: 'é'.repeat(MAX_EVENT_BYTES / 2) } }
    assert.match(problem(accented, { type: 'track' }).message, new RegExp(`the event is ${Buffer.byteLength(JSON.stringify(accented))} bytes`))
    // A write key is dropped by the stamp, so the stamped event is small, but the event as sent was not.
    assert.match(problem({ ...base, writeKey: 'k'.repeat(MAX_EVENT_BYTES) }, { type: 'track' }).message, /the limit is 32768/)
  })

  it('keeps times already in ISO form as sent, and writes others in that form', () => {
    const e = ok({ userId: 'u', event: 'E', timestamp: 1796022000000, sentAt: '2026-11-27T07:00:00Z' }, { type: 'track' })
    assert.equal(e.originalTimestamp, new Date(1796022000000).toISOString())
    assert.equal(e.sentAt, '2026-11-27T07:00:00.000Z')
    // An impossible date in ISO form is not a time: the event is timed by its receipt.
    const odd = ok({ userId: 'u', event: 'E', timestamp: '2026-13-45T07:00:00.000Z' }, { type: 'track' })
    assert.deepEqual([odd.timestamp, 'originalTimestamp' in odd], [receivedAt.toISOString(), false])
  })

  for (const [what, raw, options, field, message] of [
    ['no userId or anonymousId', { event: 'E' }, { type: 'track' }, 'userId', /no_user_anon_id/],
    ['a track without an event name', { userId: 'u' }, { type: 'track' }, 'event', /needs an event name/],
    ['a group without a groupId', { userId: 'u' }, { type: 'group' }, 'groupId', /needs a groupId/],
    ['an alias without a previousId', { userId: 'u' }, { type: 'alias' }, 'previousId', /needs a previousId/],
    ['a batch item without a known type', { userId: 'u', type: 'purchase' }, {}, 'type', /type must be one of identify, track, page, screen, group, alias, not "purchase"/],
    ['an event that is not an object', ['u'], { type: 'track' }, 'event', /must be a JSON object/],
    ['an event over 32 KB', { userId: 'u', event: 'E', properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }, { type: 'track' }, 'event', /the limit is 32768/],
  ] as const) {
    it(`refuses ${what}, naming ${field}`, () => {
      const p = problem(raw, options as Partial<Parameters<typeof stampEvent>[1]>)
      assert.equal(p.field, field)
      assert.equal(p.index, 3)
      assert.match(p.message, message)
    })
  }
})
