// Runs the function in insertfn's production sandbox; its requests are answered by the expectations
// declared here, and a request nobody expected fails the test. Run with `npm test` (insertfn test).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, afterEach, before, it } from 'node:test'
import { loadFunction, type FunctionUnderTest } from 'insertfn/testing'

const settings = { apiKey: 'test-key', apiUrl: 'https://profiles.example.com' }
const sample = (name: string) => JSON.parse(readFileSync(new URL(`../events/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>

let fn: FunctionUnderTest
before(async () => {
  fn = await loadFunction(new URL('../src/function.ts', import.meta.url), { settings })
})
afterEach(() => fn.http.done())
after(() => fn.close())

it('adds the plan from the profile service to track events', async () => {
  fn.http.expect('GET', 'https://profiles.example.com/profiles/user-42', { headers: { authorization: 'Bearer test-key' } }).reply(200, { plan: 'pro' })
  const result = await fn.invoke(sample('track'))
  assert.equal(result.outcome, 'forwarded', JSON.stringify(result.error))
  assert.deepEqual(result.event?.properties, { orderId: 'ord_1001', total: 129.5, currency: 'EUR', plan: 'pro' })
})

it('asks for a retry when the profile service is down', async () => {
  fn.http.expect('GET', /\/profiles\/user-42$/).reply(503)
  const result = await fn.invoke(sample('track'))
  assert.equal(result.outcome, 'error')
  assert.equal(result.error?.category, 'Retry')
})

it('filters out internal test events without calling the service', async () => {
  const result = await fn.invoke({ ...sample('track'), properties: { internal: true } })
  assert.equal(result.outcome, 'dropped')
})

it('sends identify events on unchanged', async () => {
  const event = sample('identify')
  const result = await fn.invoke(event)
  assert.deepEqual(result.event, event)
})
