import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidOptionsError, createRuntime } from './index.js'
import { json, mockFetch, testEvent, testRuntime } from '../testing/fixtures.js'

describe('state', () => {
  const runtime = testRuntime()

  it('globals persist between invocations of one loaded function', async () => {
    const fn = await runtime.load(`let count = 0; let token; async function onTrack(e) { token ??= 'tok-' + Math.random(); return { ...e, count: ++count, token } }`)
    const a = (await fn.invoke(testEvent())).event!
    const b = (await fn.invoke(testEvent())).event!
    assert.equal(a.count, 1)
    assert.equal(b.count, 2)
    assert.equal(a.token, b.token)
  })

  it('are never visible to another loaded function, even one with the same code', async () => {
    const code = `var shared = shared || { n: 0 }; globalThis.leak = globalThis.leak || []; async function onTrack(e) { shared.n++; leak.push(e.messageId); return { ...e, n: shared.n, leaked: leak.length } }`
    const one = await runtime.load(code)
    const two = await runtime.load(code)
    await one.invoke(testEvent())
    await one.invoke(testEvent())
    const r = (await two.invoke(testEvent())).event!
    assert.equal(r.n, 1)
    assert.equal(r.leaked, 1)
  })

  it('settings are per invocation: a handler that mutates them does not change the next call', async () => {
    const fn = await runtime.load(`async function onTrack(e, settings) { const before = settings.n; settings.n = 99; return { ...e, before } }`)
    assert.equal((await fn.invoke(testEvent(), { n: 1 })).event!.before, 1)
    assert.equal((await fn.invoke(testEvent(), { n: 2 })).event!.before, 2)
  })
})

describe('limits', () => {
  it('times out an invocation that awaits a request past the deadline, and cancels the request', async () => {
    let aborted = false
    const hang = (_url: string, init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => {
          aborted = true
          reject(new Error('aborted'))
        })
      })
    const runtime = testRuntime({ timeoutMs: 200, fetch: hang })
    const fn = await runtime.load(`async function onTrack(e) { await fetch('https://slow.example.com'); return e }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'error')
    assert.deepEqual([r.error?.name, r.error?.category, r.error?.retryable], ['Timeout', 'Timeout', true])
    assert.ok(r.durationMs >= 190 && r.durationMs < 1000, `took ${r.durationMs} ms`)
    assert.equal(aborted, true)
  })

  it('times out an async loop of timers, and the function keeps working', async () => {
    const runtime = testRuntime({ timeoutMs: 200 })
    const fn = await runtime.load(`let calls = 0; async function onTrack(e) { calls++; if (e.spin) for (;;) await new Promise(r => setTimeout(r, 1)); return { ...e, calls } }`)
    const r = await fn.invoke(testEvent({ spin: true }))
    assert.equal(r.error?.category, 'Timeout')
    const next = await fn.invoke(testEvent())
    assert.equal(next.outcome, 'forwarded')
    assert.equal(next.event!.calls, 2) // waiting out the deadline left the isolate, and its state, in place
  })

  it('stops a CPU-bound loop, rebuilds the isolate, and the next invocation succeeds', async () => {
    const runtime = testRuntime({ timeoutMs: 200 })
    const fn = await runtime.load(`async function onTrack(e) { if (e.spin) for (;;) {} return e }`)
    const r = await fn.invoke(testEvent({ spin: true }))
    assert.deepEqual([r.error?.name, r.error?.category, r.error?.retryable], ['Timeout', 'Timeout', true])
    assert.match(r.error!.message, /ran for more than 200 ms without yielding/)
    assert.equal((await fn.invoke(testEvent())).outcome, 'forwarded')
    assert.equal(fn.rebuilds, 1)
  })

  it('stops a microtask flood the same way', async () => {
    const runtime = testRuntime({ timeoutMs: 200 })
    const fn = await runtime.load(`async function onTrack(e) { if (e.spin) { for (;;) await null } return e }`)
    assert.equal((await fn.invoke(testEvent({ spin: true }))).error?.category, 'Timeout')
    assert.equal((await fn.invoke(testEvent())).outcome, 'forwarded')
  })

  it('a stuck invocation fails its neighbours in the same isolate as retryable, and other functions not at all', async () => {
    const fn = await testRuntime({ timeoutMs: 300 }).load(`async function onTrack(e) { await new Promise(r => setTimeout(r, 20)); if (e.spin) for (;;) {} return e }`)
    // The loop holds this thread until its own deadline, so the other function's deadline is set well past
    // it: one that passes while the thread is held is the next test's case.
    const other = await testRuntime({ timeoutMs: 3_000 }).load(`async function onTrack(e) { await new Promise(r => setTimeout(r, 60)); return e }`)
    const [stuck, neighbour, elsewhere] = await Promise.all([fn.invoke(testEvent({ spin: true })), fn.invoke(testEvent()), other.invoke(testEvent())])
    assert.equal(stuck.error?.category, 'Timeout')
    // The neighbour either finished before the loop started or was reset: never lost, never a permanent error.
    assert.ok(neighbour.outcome === 'forwarded' || neighbour.error?.retryable === true, JSON.stringify(neighbour))
    assert.equal(elsewhere.outcome, 'forwarded', JSON.stringify(elsewhere))
    assert.equal(other.rebuilds, 0)
  })

  it('times out an invocation whose deadline passed while the thread was held, as retryable, and keeps its isolate', async () => {
    const api = mockFetch({ 'https://api.example.com/': json({ ok: true }) })
    const fn = await testRuntime({ timeoutMs: 100, fetch: api.fetch }).load(`let calls = 0
      async function onTrack(e) {
        calls++
        if (e.event === 'timer') await new Promise(r => setTimeout(r, 10))
        if (e.event === 'fetch') await fetch('https://api.example.com/')
        e.properties.calls = calls
        return e
      }`)
    for (const event of ['timer', 'fetch']) {
      const pending = fn.invoke(testEvent({ event }))
      // Its timer or its answer comes after its deadline: the thread is held for 250 ms.
      const end = Date.now() + 250
      while (Date.now() < end) {}
      const r = await pending
      assert.deepEqual([r.outcome, r.error?.category, r.error?.retryable], ['error', 'Timeout', true], `${event}: ${JSON.stringify(r)}`)
    }
    assert.equal(fn.rebuilds, 0)
    const next = await fn.invoke(testEvent())
    assert.deepEqual([next.outcome, (next.event?.properties as { calls?: number } | undefined)?.calls], ['forwarded', 3])
  })

  it('caps captured logs per invocation and says how much was dropped', async () => {
    const runtime = testRuntime({ maxLogBytes: 100 })
    const fn = await runtime.load(`async function onTrack(e) { for (let i = 0; i < 50; i++) console.log('line ' + i + ' ' + 'x'.repeat(10)); return e }`)
    const r = await fn.invoke(testEvent())
    const kept = r.logs.slice(0, -1).reduce((n, l) => n + l.message.length, 0)
    assert.equal(kept, 100)
    assert.match(r.logs.at(-1)!.message, /^\[insertfn\] \d+ more bytes of log output were dropped \(limit 100 bytes per invocation\)$/)
    const next = await fn.invoke(testEvent())
    assert.equal(next.logs.length, r.logs.length, 'the cap is per invocation, not per function')
  })

  it('caps the size of a returned event', async () => {
    const runtime = testRuntime({ maxResultBytes: 2048 })
    const fn = await runtime.load(`async function onTrack(e) { e.blob = 'x'.repeat(5000); return e }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'error')
    assert.match(r.error!.message, /its JSON is \d+ bytes, over the limit of 2048/)
  })

  it('caps the number of requests per event', async () => {
    const api = mockFetch({ 'https://api.example.com/*': json({ ok: true }) })
    const runtime = testRuntime({ fetch: api.fetch, maxRequestsPerEvent: 3 })
    const fn = await runtime.load(`async function onTrack(e) {
      const out = []
      for (let i = 0; i < 5; i++) out.push(await fetch('https://api.example.com/' + i).then(r => r.status, err => err.message))
      return { ...e, out } }`)
    const r = await fn.invoke(testEvent())
    assert.deepEqual(r.event!.out, [200, 200, 200, 'too many requests: an invocation may make 3 (maxRequestsPerEvent × events)', 'too many requests: an invocation may make 3 (maxRequestsPerEvent × events)'])
    assert.equal(api.seen.length, 3)
  })

  it('caps the size of a response body user code may read', async () => {
    const api = mockFetch({ 'https://api.example.com/big': new Response('x'.repeat(5000)) })
    const runtime = testRuntime({ fetch: api.fetch, maxResponseBytes: 1000 })
    const fn = await runtime.load(`async function onTrack(e) { return { ...e, err: await fetch('https://api.example.com/big').then(() => 'read', x => x.message) } }`)
    assert.match((await fn.invoke(testEvent())).event!.err as string, /response body from https:\/\/api\.example\.com\/big exceeds the limit of 1000 bytes/)
  })

  it('records requests without credentials or secret-looking query values', async () => {
    const api = mockFetch({ 'https://user:pw@api.example.com/*': json({}), 'https://api.example.com/*': json({}) })
    const runtime = testRuntime({ fetch: api.fetch })
    const fn = await runtime.load(`async function onTrack(e) { await fetch('https://user:pw@api.example.com/x?api_key=s3cret&page=2'); return e }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.requests[0]!.url, 'https://REDACTED@api.example.com/x?api_key=REDACTED&page=2')
    assert.equal(api.seen[0]!.url, 'https://user:pw@api.example.com/x?api_key=s3cret&page=2')
  })

  it('refuses fetch while the code loads, with a message that says where to call it', async () => {
    const runtime = testRuntime()
    const fn = await runtime.load(`var early = fetch('https://api.example.com').then(() => 'fetched', e => e.message)
      async function onTrack(e) { return { ...e, early: await early } }`)
    assert.equal((await fn.invoke(testEvent())).event!.early, 'this cannot be used while the function loads; use it inside a handler')
  })

  it('validates runtime options once, with a clear message', () => {
    assert.throws(() => createRuntime({ timeoutMs: -5 }), InvalidOptionsError)
    assert.throws(() => createRuntime({ memoryMb: 'lots' as never }), /memoryMb/)
    assert.throws(() => createRuntime({ timeoutsMs: 5 } as never), /Unrecognized key/)
  })

  it('a disposed function resolves what is in flight as retryable and refuses new work', async () => {
    const runtime = testRuntime()
    const fn = await runtime.load(`async function onTrack(e) { await new Promise(r => setTimeout(r, 1000)); return e }`)
    const pending = fn.invoke(testEvent())
    await fn.dispose()
    const r = await pending
    assert.equal(r.error?.retryable, true)
    await assert.rejects(fn.invoke(testEvent()), /was disposed/)
  })
})
