import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { stampEvent } from '../spec/events.js'
import { retainedMb } from '../testing/heap.js'
import { QueuedEvent } from './queued-event.js'

const stamped = (raw: Record<string, unknown>) => {
  const r = stampEvent(raw, { receivedAt: new Date(), type: 'track' })
  if ('problem' in r) throw new Error(r.problem.message)
  return r.json
}

describe('QueuedEvent', () => {
  it('reads the messageId off the front of a stamped event without parsing it', () => {
    const text = stamped({ userId: 'u', event: 'E', properties: { messageId: 'nested' }, messageId: 'm-1' })
    assert.ok(text.startsWith('{"messageId":"m-1",'))
    const e = QueuedEvent.read(text)!
    assert.equal(e.messageId, 'm-1')
    assert.equal(e.object.userId, 'u')
  })

  it('the messageId it reads does not keep the event text alive (the dedupe holds ids for hours)', () => {
    const padding = 'x'.repeat(30_000)
    // 3,000 events of 30 KB: 90 MB if each id were a view into its event, about 300 KB if not.
    const { mb, kept: ids } = retainedMb(() => Array.from({ length: 3000 }, (_, i) => QueuedEvent.read(stamped({ userId: 'u', event: 'E', messageId: `ajs-next-${i}-4f2a9c1e8b7d`, properties: { padding } }))!.messageId))
    assert.equal(ids[2999], 'ajs-next-2999-4f2a9c1e8b7d')
    assert.ok(mb < 20, `3,000 messageIds kept ${mb.toFixed(1)} MB alive`)
  })

  it('parses text that does not start with the messageId, or whose id has escapes, and refuses what is not an object', () => {
    assert.equal(QueuedEvent.read('{"type":"track","messageId":"late"}')!.messageId, 'late')
    assert.equal(QueuedEvent.read('{"messageId":"a\\"b","type":"track"}')!.messageId, 'a"b')
    assert.equal(QueuedEvent.read('{"type":"track"}')!.messageId, undefined)
    for (const bad of ['[1]', 'null', '"text"', '{not json']) assert.equal(QueuedEvent.read(bad), undefined, bad)
  })

  it('routes by the integrations object, reading the event only when it has a non-empty one', () => {
    const plain = QueuedEvent.read(stamped({ userId: 'u', event: 'E', messageId: 'a', integrations: {} }))!
    assert.equal(plain.routedTo('Webhook'), true)
    const off = QueuedEvent.read(stamped({ userId: 'u', event: 'E', messageId: 'b', integrations: { All: false, Kept: true } }))!
    assert.deepEqual([off.routedTo('Webhook'), off.routedTo('Kept')], [false, true])
    // A property that happens to be called integrations makes it read the event, which then decides.
    const lookalike = QueuedEvent.read(stamped({ userId: 'u', event: 'E', messageId: 'c', properties: { integrations: { Webhook: false } } }))!
    assert.equal(lookalike.routedTo('Webhook'), true)
  })
})
