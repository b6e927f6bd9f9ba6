import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { stampEvent } from '../spec/events.js'
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
