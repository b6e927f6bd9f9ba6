// insertfn/testing: functions run in the real sandbox, their requests answered by declared expectations,
// and every way a test can go wrong ends in an error that says what happened.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { loadFunction, PendingRequestsError, UnmatchedRequestError, type FunctionUnderTest } from './testing.js'

const dir = mkdtempSync(join(tmpdir(), 'insertfn-testing-'))
function file(name: string, code: string): string {
  const path = join(dir, name)
  writeFileSync(path, code)
  return path
}

const open: FunctionUnderTest[] = []
async function load(name: string, code: string, options?: Parameters<typeof loadFunction>[1]): Promise<FunctionUnderTest> {
  const fn = await loadFunction(file(name, code), options)
  open.push(fn)
  return fn
}
after(() => Promise.all(open.map((f) => f.close())))

const track = { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm1', properties: { total: 5 } }

const LOOKUP = `
async function onTrack(event, settings) {
  const res = await fetch(settings.url + '/users/' + event.userId, {
    method: 'POST', headers: { authorization: 'Bearer ' + settings.key, 'content-type': 'application/json' },
    body: JSON.stringify({ id: event.userId }),
  })
  if (!res.ok) throw new RetryError('lookup answered ' + res.status)
  const body = await res.json()
  return { ...event, properties: { ...event.properties, tier: body.tier } }
}`

describe('answering requests', () => {
  it('answers a matching request with the declared JSON and records what was sent', async () => {
    const fn = await load('lookup.js', LOOKUP, { settings: { url: 'https://api.example.com', key: 'k1' } })
    fn.http.expect('POST', 'https://api.example.com/users/u1', { headers: { Authorization: 'Bearer k1' }, body: { id: 'u1' } }).reply(200, { tier: 'gold' })
    const result = await fn.invoke(track)
    assert.equal(result.outcome, 'forwarded')
    assert.deepEqual(result.event?.properties, { total: 5, tier: 'gold' })
    assert.deepEqual(result.requests.map((r) => [r.method, r.url, r.status]), [['POST', 'https://api.example.com/users/u1', 200]])
    assert.equal(fn.http.requests[0]?.body, '{"id":"u1"}')
    assert.equal(fn.http.requests[0]?.headers['content-type'], 'application/json')
    fn.http.done()
  })

  it('lets the status decide: a 503 is a Retry error', async () => {
    const fn = await load('lookup-503.js', LOOKUP, { settings: { url: 'https://api.example.com', key: 'k1' } })
    fn.http.expect('POST', /\/users\/u1$/).reply(503, 'down')
    const result = await fn.invoke(track)
    assert.equal(result.error?.category, 'Retry')
    assert.equal(result.error?.message, 'lookup answered 503')
  })

  it('matches expectations in order, once each, unless persist() is called', async () => {
    const fn = await load('twice.js', `async function onTrack(e) { const a = await (await fetch('https://x.test/n')).text(); const b = await (await fetch('https://x.test/n')).text(); return { ...e, properties: { a, b } } }`)
    fn.http.expect('GET', 'https://x.test/n').reply(200, 'first')
    fn.http.expect('GET', 'https://x.test/n').reply(200, 'second')
    assert.deepEqual((await fn.invoke(track)).event?.properties, { a: 'first', b: 'second' })
    fn.http.expect('GET', 'https://x.test/n').reply(200, 'always').persist()
    assert.deepEqual((await fn.invoke(track)).event?.properties, { a: 'always', b: 'always' })
    fn.http.done()
  })

  it('fails a request as the network would with failWith(): user code sees a FetchError', async () => {
    const fn = await load('network.js', `async function onTrack(e) { try { await fetch('https://x.test/') } catch (err) { return { ...e, properties: { name: err.name, message: err.message } } } }`)
    fn.http.expect('GET', 'https://x.test/').failWith('ECONNRESET')
    const result = await fn.invoke(track)
    const properties = result.event?.properties as { name: string; message: string }
    assert.equal(properties.name, 'FetchError')
    assert.match(properties.message, /ECONNRESET/)
  })
})

describe('failing loudly', () => {
  it('rejects invoke() on a request nobody expected, even when the function swallows the failure', async () => {
    const fn = await load('swallow.js', `async function onTrack(e) { try { await fetch('https://api.example.com/v2/users?id=1', { method: 'PUT', body: 'x=1' }) } catch {} return e }`)
    fn.http.expect('GET', 'https://api.example.com/v1/users').reply(200, {})
    await assert.rejects(fn.invoke(track), (err: unknown) => {
      assert.ok(err instanceof UnmatchedRequestError)
      assert.match(err.message, /made 1 request\(s\) that no expectation matches:\n {2}PUT https:\/\/api\.example\.com\/v2\/users\?id=1\n {4}body: x=1/)
      assert.match(err.message, /Open expectations:\n {2}GET https:\/\/api\.example\.com\/v1\/users/)
      assert.match(err.message, /fn\.http\.expect\('PUT', 'https:\/\/api\.example\.com\/v2\/users\?id=1'\)/)
      return true
    })
  })

  it('done() names the requests that were declared and never made, then starts afresh', async () => {
    const fn = await load('quiet.js', 'async function onTrack(e) { return e }')
    fn.http.expect('DELETE', 'https://x.test/cache').reply(204)
    await fn.invoke(track)
    assert.throws(() => fn.http.done(), (err: unknown) => err instanceof PendingRequestsError && /1 expected request\(s\) were not made:\n {2}DELETE https:\/\/x\.test\/cache/.test(err.message))
    fn.http.done()
  })

  it('refuses to run with an expectation that has no answer', async () => {
    const fn = await load('unanswered.js', 'async function onTrack(e) { return e }')
    fn.http.expect('GET', 'https://x.test/')
    await assert.rejects(fn.invoke(track), /expectation GET https:\/\/x\.test\/ has no answer: add \.reply\(status, body\) or \.failWith\(message\)/)
    assert.throws(() => fn.http.expect('GET', 'https://x.test/').reply(99), /status must be a whole number from 200 to 599, not 99/)
  })

  it('names the missing file', async () => {
    await assert.rejects(loadFunction(join(dir, 'nope.ts')), /cannot read function file .*nope\.ts: no such file/)
  })
})

describe('TypeScript functions', () => {
  it('points a load error at the line of the .ts file', async () => {
    const path = file('broken.ts', ['interface FunctionSettings {', '  key: string', '}', '', 'const limit: number = 3', 'throw new Error("boom at load")', ''].join('\n'))
    await assert.rejects(loadFunction(path), (err: unknown) => {
      assert.match((err as Error).message, /broken\.ts does not load: Error: boom at load \(line 6, column \d+\)/)
      return true
    })
  })

  it('maps stack traces of a thrown error to the .ts lines', async () => {
    const fn = await load('throws.ts', ['interface FunctionSettings {', '  key: string', '}', '', 'async function onTrack(event: SegmentTrackEvent): Promise<SegmentTrackEvent> {', '  throw new ValidationError("no " + event.event)', '}', ''].join('\n'))
    const result = await fn.invoke(track)
    assert.equal(result.error?.category, 'Message Rejected')
    assert.match(result.error?.stack ?? '', /throws\.ts:6:\d+/)
  })

  it('runs destination functions, whose return value is the result', async () => {
    const fn = await load('destination.ts', 'async function onTrack(event: SegmentTrackEvent) { const r = await fetch("https://x.test/e", { method: "POST", body: JSON.stringify(event) }); return { status: r.status } }', { kind: 'destination' })
    fn.http.expect('POST', 'https://x.test/e', { body: (b) => b !== undefined && JSON.parse(b).event === 'Order Completed' }).reply(201)
    const result = await fn.invoke(track)
    assert.equal(result.outcome, 'delivered')
    assert.deepEqual(result.value, { status: 201 })
  })
})
