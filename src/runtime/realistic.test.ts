// Functions written the way third parties write them for Segment run unchanged, with fetch mocked at the host.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { json, mockFetch, testEvent, testRuntime } from '../testing/fixtures.js'

const example = (name: string) => readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8')
const sha = (salt: string, v: string) => createHash('sha256').update(salt + v.trim().toLowerCase()).digest('hex')

describe('examples/mask-pii.js: PII hashing with crypto and lodash', () => {
  const runtime = testRuntime()

  it('hashes emails and phones, removes free text, and keeps the rest', async () => {
    const fn = await runtime.load(example('mask-pii.js'), { name: 'mask-pii' })
    const event = JSON.parse(example('track.json')) as Record<string, unknown>
    const r = await fn.invoke(event, { salt: 'pepper' })
    assert.equal(r.outcome, 'forwarded')
    const props = r.event!.properties as Record<string, unknown>
    assert.equal(props.email, sha('pepper', 'Jane.Doe@example.com'))
    assert.equal('notes' in props, false)
    assert.equal(props.total, 129.5)
    const traits = (r.event!.context as Record<string, Record<string, unknown>>).traits!
    assert.equal(traits.phone, sha('pepper', '+44 20 7946 0000'))
  })

  it('drops internal test users and passes other event types through', async () => {
    const fn = await runtime.load(example('mask-pii.js'), { name: 'mask-pii' })
    const batch = JSON.parse(example('batch.json')) as Record<string, unknown>[]
    const b = await fn.invokeBatch(batch, { salt: 's' })
    assert.deepEqual(b.results.map((r) => r.outcome), ['forwarded', 'dropped', 'forwarded'])
    assert.deepEqual(b.results[1]!.drop, { by: 'DropEvent', message: 'internal test user' })
  })
})

describe('examples/enrich-account.js: enrichment over Basic auth, retries, module-level state', () => {
  const settings = { apiKey: 'sk_live_123', apiBase: 'https://crm.example.com' }

  it('calls the API with Basic auth built by btoa and Headers made at load time, and merges the account', async () => {
    const api = mockFetch({ 'https://crm.example.com/v1/accounts/by-user/user-42': json({ id: 'acct_9', plan: 'enterprise', name: 'Acme' }) })
    const fn = await testRuntime({ fetch: api.fetch }).load(example('enrich-account.js'), { name: 'enrich' })
    const r = await fn.invoke(testEvent({ userId: 'user-42' }), settings)
    assert.equal(r.outcome, 'forwarded')
    assert.deepEqual(_pick(r.event!.properties, ['plan', 'accountName']), { plan: 'enterprise', accountName: 'Acme' })
    assert.equal((r.event!.context as Record<string, unknown>).groupId, 'acct_9')
    assert.equal(api.seen[0]!.headers.authorization, `Basic ${Buffer.from('sk_live_123:').toString('base64')}`)
    assert.equal(api.seen[0]!.headers['user-agent'], 'insertfn-enrich/1.0')
    assert.match(r.logs[0]!.message, /enriched .* \(1 API lookups so far\)/)
  })

  it('caches per user across invocations (module-level state and cache.load)', async () => {
    const api = mockFetch({ 'https://crm.example.com/*': json({ id: 'a', plan: 'pro', name: 'X' }) })
    const fn = await testRuntime({ fetch: api.fetch }).load(example('enrich-account.js'))
    await fn.invoke(testEvent({ userId: 'u1' }), settings)
    await fn.invoke(testEvent({ userId: 'u1' }), settings)
    const third = await fn.invoke(testEvent({ userId: 'u2' }), settings)
    assert.equal(api.seen.length, 2)
    assert.match(third.logs[0]!.message, /\(2 API lookups so far\)/)
  })

  for (const status of [500, 503, 429]) {
    it(`throws RetryError on ${status}, which is retryable`, async () => {
      const api = mockFetch({ 'https://crm.example.com/*': new Response('busy', { status }) })
      const fn = await testRuntime({ fetch: api.fetch }).load(example('enrich-account.js'))
      const r = await fn.invoke(testEvent(), settings)
      assert.deepEqual([r.error?.name, r.error?.category, r.error?.retryable, r.error?.message], ['RetryError', 'Retry', true, `CRM answered ${status}`])
    })
  }

  it('asks for a retry when the API cannot be reached', async () => {
    const fn = await testRuntime({ fetch: mockFetch({}).fetch }).load(example('enrich-account.js'))
    const r = await fn.invoke(testEvent(), settings)
    assert.equal(r.error?.category, 'Retry')
    assert.match(r.error!.message, /CRM unreachable: request to https:\/\/crm\.example\.com\/v1\/accounts\/by-user\/user-1 failed, reason: getaddrinfo ENOTFOUND crm\.example\.com/)
  })

  it('rejects the event, without retrying, when a setting is missing', async () => {
    const fn = await testRuntime({ fetch: mockFetch({}).fetch }).load(example('enrich-account.js'))
    const r = await fn.invoke(testEvent(), {})
    assert.deepEqual([r.error?.category, r.error?.retryable], ['Message Rejected', false])
  })

  it('passes an unknown user through untouched on 404', async () => {
    const api = mockFetch({ 'https://crm.example.com/*': new Response('', { status: 404 }) })
    const fn = await testRuntime({ fetch: api.fetch }).load(example('enrich-account.js'))
    const input = testEvent()
    const r = await fn.invoke(input, settings)
    assert.deepEqual(r.event, input)
  })
})

function _pick(obj: unknown, keys: string[]): Record<string, unknown> {
  const o = obj as Record<string, unknown>
  return Object.fromEntries(keys.map((k) => [k, o[k]]))
}
