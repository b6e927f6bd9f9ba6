import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testEvent, testRuntime } from '../testing/fixtures.js'

const runtime = testRuntime({ timeoutMs: 1000 })

describe('invokeText: the pipeline entry, events as JSON text both ways', () => {
  it('answers the forwarded event as the JSON text of what the handler returned', async () => {
    const fn = await runtime.load(`async function onTrack(e, s) { e.properties.region = s.region; return e }`)
    const event = testEvent({ properties: { plan: 'pro' } })
    const r = await fn.invokeText(JSON.stringify(event), '{"region":"eu"}')
    assert.equal(r.outcome, 'forwarded')
    assert.deepEqual(JSON.parse(r.eventJson!), { ...event, properties: { plan: 'pro', region: 'eu' } })
    assert.equal('event' in r, false)
  })

  it("keeps the input's messageId on an event returned without one (spec 2.2), first in the text", async () => {
    const fn = await runtime.load(`async function onTrack(e) { return { type: e.type, event: 'Rebuilt' } }`)
    const r = await fn.invokeText(JSON.stringify(testEvent({ messageId: 'm-"quoted"' })), '{}')
    assert.deepEqual(JSON.parse(r.eventJson!), { messageId: 'm-"quoted"', type: 'track', event: 'Rebuilt' })
    const empty = await (await runtime.load(`async function onTrack() { return {} }`)).invokeText(JSON.stringify(testEvent({ messageId: 'm1' })), '{}')
    assert.deepEqual(JSON.parse(empty.eventJson!), { messageId: 'm1' })
    // The object form of the result follows the same rule.
    const objectForm = await fn.invoke(testEvent({ messageId: 'm2' }))
    assert.equal(objectForm.event?.messageId, 'm2')
  })

  it('answers drops, errors and logs as invoke does', async () => {
    const fn = await runtime.load(`
      async function onTrack(e) {
        console.log('seen', e.event)
        if (e.event === 'Drop') return
        throw new ValidationError('no ' + e.event)
      }`)
    const dropped = await fn.invokeText(JSON.stringify(testEvent({ event: 'Drop' })), '{}')
    assert.deepEqual([dropped.outcome, dropped.drop, dropped.logs], ['dropped', { by: 'return' }, [{ level: 'log', message: 'seen Drop' }]])
    const failed = await fn.invokeText(JSON.stringify(testEvent({ event: 'Bad' })), '{}')
    assert.deepEqual([failed.outcome, failed.error?.name, failed.error?.message, failed.error?.category], ['error', 'ValidationError', 'no Bad', 'Message Rejected'])
  })

  it('refuses text that is not a JSON object, naming the argument', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return e }`)
    await assert.rejects(fn.invokeText('[1]', '{}'), /invokeText\(eventJson, settingsJson\): eventJson must be the JSON text of an event object/)
    await assert.rejects(fn.invokeText('{}', 'null'), /invokeText\(eventJson, settingsJson\): settingsJson must be the JSON text of an object/)
    await assert.rejects(fn.invokeTextAll(['{}', '"x"'], '{}'), /each of eventsJson must be the JSON text of an event object/)
    await assert.rejects(fn.invokeTextAll(['{}'], '[]'), /invokeTextAll\(eventsJson, settingsJson\): settingsJson must be/)
  })

  it('answers several events at once, in order, each with its own outcome and logs (invokeTextAll)', async () => {
    const fn = await runtime.load(`
      async function onTrack(e, settings) {
        console.log(settings.tag, e.event)
        if (e.event === 'Drop') return
        if (e.event === 'Bad') throw new ValidationError('no')
        if (e.event === 'Wait') await new Promise((r) => setTimeout(r, 20))
        e.properties.tag = settings.tag
        return e
      }`)
    const names = ['A', 'Drop', 'Wait', 'Bad', 'B']
    const results = await fn.invokeTextAll(names.map((event) => JSON.stringify(testEvent({ event }))), '{"tag":"t1"}')
    assert.deepEqual(results.map((r) => r.outcome), ['forwarded', 'dropped', 'forwarded', 'error', 'forwarded'])
    assert.deepEqual([JSON.parse(results[2]!.eventJson!).event, JSON.parse(results[4]!.eventJson!).properties.tag], ['Wait', 't1'])
    assert.deepEqual(results.map((r) => r.logs.map((l) => l.message)), names.map((n) => [`t1 ${n}`]))
    assert.deepEqual(await fn.invokeTextAll([], '{}'), [])
  })
})
