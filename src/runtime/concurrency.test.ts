import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { json, mockFetch, testEvent, testRuntime } from '../testing/fixtures.js'

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('many invocations in flight on one function', () => {
  it('each gets its own result, logs and requests, whatever order they finish in', async () => {
    const api = mockFetch({
      'https://api.example.com/*': async (req) => {
        const n = Number(new URL(req.url).pathname.slice(1))
        await delay((n * 7) % 23)
        return json({ n })
      },
    })
    const runtime = testRuntime({ fetch: api.fetch })
    const fn = await runtime.load(`async function onTrack(e) {
      console.log('start', e.n)
      const body = await (await fetch('https://api.example.com/' + e.n)).json()
      console.log('end', e.n)
      return { ...e, got: body.n }
    }`)
    const results = await Promise.all(Array.from({ length: 30 }, (_, n) => fn.invoke(testEvent({ n }))))
    results.forEach((r, n) => {
      assert.equal(r.event!.got, n)
      assert.deepEqual(r.requests.map((q) => q.url), [`https://api.example.com/${n}`])
      assert.deepEqual(r.logs.map((l) => l.message), [`start ${n}`, `end ${n}`])
    })
  })

  it('a fire-and-forget request finishes after its invocation returned without disturbing later ones', async () => {
    let completed = 0
    const api = mockFetch({
      'https://api.example.com/ping': async () => {
        await delay(300)
        completed++
        return json({})
      },
    })
    const runtime = testRuntime({ fetch: api.fetch })
    const fn = await runtime.load(`let acks = 0
      async function onTrack(e) { fetch('https://api.example.com/ping').then(() => { acks++; console.log('late log') }); return { ...e, acks } }`)
    const first = await fn.invoke(testEvent())
    assert.equal(first.outcome, 'forwarded')
    assert.ok(first.durationMs < 250, `waited ${first.durationMs} ms for a request it did not await`)
    assert.equal(completed, 0)
    await delay(400)
    assert.equal(completed, 1)
    const second = await fn.invoke(testEvent())
    assert.equal(second.event!.acks, 1) // the late continuation ran in the isolate
    assert.deepEqual(second.logs, []) // and its log line did not land in someone else's invocation
  })
})
