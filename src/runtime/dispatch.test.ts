import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classify } from './index.js'
import { testEvent, testRuntime } from '../testing/fixtures.js'

const runtime = testRuntime({ timeoutMs: 1000 })

const ALL_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias', 'delete'] as const

describe('dispatch', () => {
  it('calls the handler named for event.type with (event, settings)', async () => {
    const fn = await runtime.load(
      ALL_TYPES.map((t) => `async function on${t[0]!.toUpperCase()}${t.slice(1)}(event, settings) { return { ...event, handledBy: '${t}', region: settings.region } }`).join('\n'),
    )
    for (const type of ALL_TYPES) {
      const r = await fn.invoke(testEvent({ type }), { region: 'eu' })
      assert.equal(r.outcome, 'forwarded', type)
      assert.equal(r.event?.handledBy, type)
      assert.equal(r.event?.region, 'eu')
    }
  })

  it('awaits async handlers, including ones that wait on timers', async () => {
    const fn = await runtime.load(`async function onTrack(e) { await new Promise(r => setTimeout(r, 20)); e.waited = true; return e }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.event?.waited, true)
    assert.ok(r.durationMs >= 15)
  })

  it('treats a synchronous throw the same as a rejected promise', async () => {
    const sync = await runtime.load(`function onTrack() { throw new ValidationError('missing orderId') }`)
    const async = await runtime.load(`async function onTrack() { throw new ValidationError('missing orderId') }`)
    const a = await sync.invoke(testEvent())
    const b = await async.invoke(testEvent())
    assert.deepEqual({ ...a.error, stack: undefined }, { ...b.error, stack: undefined })
    assert.equal(a.error?.category, 'Message Rejected')
  })

  it('throws EventNotSupported when there is no handler for the type', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return e }`)
    const r = await fn.invoke(testEvent({ type: 'identify' }))
    assert.equal(r.outcome, 'error')
    assert.equal(r.error?.name, 'EventNotSupported')
    assert.equal(r.error?.message, 'identify not supported')
    assert.equal(r.error?.category, 'Unsupported Event Type')
    assert.equal(r.error?.retryable, false)
  })

  it('treats an unknown or missing type as unsupported', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return e }`)
    assert.equal((await fn.invoke(testEvent({ type: 'purchase' }))).error?.name, 'EventNotSupported')
    assert.equal((await fn.invoke({ event: 'no type' })).error?.name, 'EventNotSupported')
  })

  it('rejects calls that are not events, as the caller\'s mistake', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return e }`)
    await assert.rejects(fn.invoke([] as never), /event must be an object, not an array/)
    await assert.rejects(fn.invoke(testEvent(), 'secret' as never), /settings must be an object/)
    await assert.rejects(fn.invoke({ type: 'track', n: 1n }), /must be JSON values: Do not know how to serialize a BigInt/)
    const cyclic: Record<string, unknown> = { type: 'track' }
    cyclic.self = cyclic
    await assert.rejects(fn.invoke(cyclic), /must be JSON values: Converting circular structure to JSON/)
  })
})

describe('insert functions', () => {
  it('forwards a returned object, which replaces the event', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return { type: 'track', event: 'Renamed', messageId: e.messageId } }`)
    const input = testEvent()
    const r = await fn.invoke(input)
    assert.equal(r.outcome, 'forwarded')
    assert.deepEqual(r.event, { type: 'track', event: 'Renamed', messageId: input.messageId })
  })

  it('does not change the caller\'s event object', async () => {
    const fn = await runtime.load(`async function onTrack(e) { e.properties.total = 0; return e }`)
    const input = testEvent()
    await fn.invoke(input)
    assert.equal((input.properties as Record<string, unknown>).total, 42.5)
  })

  it('keeps the input messageId when the returned event has none', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return { type: 'track', event: 'New' } }`)
    const input = testEvent()
    assert.equal((await fn.invoke(input)).event?.messageId, input.messageId)
  })

  for (const [what, body] of [['undefined', 'return'], ['null', 'return null'], ['no return at all', 'e.x = 1']] as const) {
    it(`drops the event when the handler returns ${what} (filtered, not a failure)`, async () => {
      const fn = await runtime.load(`async function onTrack(e) { ${body} }`)
      const r = await fn.invoke(testEvent())
      assert.equal(r.outcome, 'dropped')
      assert.deepEqual(r.drop, { by: 'return' })
      assert.equal(r.error, undefined)
    })
  }

  it('drops the event when the handler throws DropEvent, keeping its reason', async () => {
    const fn = await runtime.load(`async function onTrack(e) { if (e.userId.startsWith('test-')) throw new DropEvent('test user'); return e }`)
    const r = await fn.invoke(testEvent({ userId: 'test-7' }))
    assert.equal(r.outcome, 'dropped')
    assert.deepEqual(r.drop, { by: 'DropEvent', message: 'test user' })
  })

  for (const [what, value, said] of [
    ['an array', '[e]', 'an array'],
    ['a string', "'ok'", 'a string'],
    ['a number', '42', 'a number'],
    ['a boolean', 'true', 'a boolean'],
  ] as const) {
    it(`fails with a message that says why when the handler returns ${what}`, async () => {
      const fn = await runtime.load(`async function onTrack(e) { return ${value} }`)
      const r = await fn.invoke(testEvent())
      assert.equal(r.outcome, 'error')
      assert.equal(r.error?.category, 'Bad Request')
      assert.equal(r.error?.message, `onTrack returned ${said}; an insert function must return one event object, or nothing to drop the event`)
    })
  }

  it('fails when the returned event cannot be encoded as JSON', async () => {
    const fn = await runtime.load(`async function onTrack(e) { e.self = e; return e }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'error')
    assert.match(r.error!.message, /onTrack returned an event that cannot be forwarded: it cannot be encoded as JSON \(.*circular/i)
  })
})

describe('destination functions', () => {
  it('records the handler\'s return value as the result', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return { status: 'sent', id: e.messageId } }`, { kind: 'destination' })
    const input = testEvent()
    const r = await fn.invoke(input)
    assert.equal(r.outcome, 'delivered')
    assert.deepEqual(r.value, { status: 'sent', id: input.messageId })
  })

  it('accepts any JSON value, or none', async () => {
    const text = await runtime.load(`async function onTrack() { return 'ok' }`, { kind: 'destination' })
    assert.deepEqual(await text.invoke(testEvent()).then((r) => [r.outcome, r.value]), ['delivered', 'ok'])
    const none = await runtime.load(`async function onTrack() {}`, { kind: 'destination' })
    const r = await none.invoke(testEvent())
    assert.equal(r.outcome, 'delivered')
    assert.equal('value' in r, false)
  })

  it('reports errors the same way insert functions do', async () => {
    const fn = await runtime.load(`async function onTrack() { throw new RetryError('503 from API') }`, { kind: 'destination' })
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'error')
    assert.equal(r.error?.category, 'Retry')
    assert.equal(r.error?.retryable, true)
  })
})

describe('errors and categories', () => {
  const cases = [
    ['EventNotSupported', 'Unsupported Event Type', false],
    ['InvalidEventPayload', 'Message Rejected', false],
    ['ValidationError', 'Message Rejected', false],
    ['RetryError', 'Retry', true],
    ['TypeError', 'Bad Request', false],
    ['Error', 'Bad Request', false],
  ] as const
  for (const [cls, category, retryable] of cases) {
    it(`${cls} is a global whose name is its class name, categorised ${category}${retryable ? ', retryable' : ''}`, async () => {
      const fn = await runtime.load(`async function onTrack() { const e = new ${cls}('because'); if (e.name !== '${cls}' || !(e instanceof Error)) throw new Error('bad class'); throw e }`)
      const r = await fn.invoke(testEvent())
      assert.deepEqual({ ...r.error, stack: undefined }, { name: cls, message: 'because', category, retryable, stack: undefined })
    })
  }

  it('DropEvent is a global error class too', async () => {
    const fn = await runtime.load(`async function onTrack() { const e = new DropEvent('x'); return { name: e.name, isError: e instanceof Error } }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.event?.name, 'DropEvent')
    assert.equal(r.event?.isError, true)
  })

  it('classifies classes that code ported from other runtimes declares itself', async () => {
    const fn = await runtime.load(`
      class RetryError extends Error {}
      class ValidationError extends Error { constructor(m) { super(m); this.name = 'ValidationError' } }
      async function onTrack(e) { throw new RetryError('own class') }
      async function onIdentify(e) { throw new ValidationError('own class') }`)
    assert.equal((await fn.invoke(testEvent())).error?.category, 'Retry')
    assert.equal((await fn.invoke(testEvent({ type: 'identify' }))).error?.category, 'Message Rejected')
  })

  it('reports thrown non-errors as Bad Request with their text', async () => {
    const fn = await runtime.load(`async function onTrack() { throw 'plain string' }`)
    const r = await fn.invoke(testEvent())
    assert.deepEqual(r.error, { name: 'Error', message: 'plain string', category: 'Bad Request', retryable: false })
  })

  it('keeps only the user code\'s frames in the stack', async () => {
    const fn = await runtime.load(`\nasync function onTrack() {\n  throw new Error('deep')\n}`, { name: 'my-fn' })
    const r = await fn.invoke(testEvent())
    assert.match(r.error!.stack!, /^Error: deep\n\s+at onTrack \(my-fn\.js:3:9\)$/)
  })

  it('only Retry and Timeout are retryable', () => {
    assert.deepEqual(classify('Timeout'), { category: 'Timeout', retryable: true })
    assert.deepEqual(classify('RetryError'), { category: 'Retry', retryable: true })
    assert.deepEqual(classify('Anything'), { category: 'Bad Request', retryable: false })
  })
})
