// A function that allocates without bound is stopped; the process lives on and memory comes back.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { testEvent, testRuntime } from '../../testing/fixtures.js'

it('a heap bomb gets an error result, its isolate is rebuilt, and the process and other functions keep working', async () => {
  const runtime = testRuntime({ memoryMb: 32, timeoutMs: 5000 })
  const bystander = await runtime.load(`let n = 0; async function onTrack(e) { return { ...e, n: ++n } }`)
  const bomb = await runtime.load(`async function onTrack(e) {
    if (!e.explode) return e
    const hoard = []
    for (;;) hoard.push(new Array(100000).fill(Math.random()))
  }`)
  const rssBefore = process.memoryUsage().rss
  const r = await bomb.invoke(testEvent({ explode: true }))
  assert.equal(r.outcome, 'error')
  assert.equal(r.error?.name, 'MemoryLimitExceeded')
  assert.match(r.error!.message, /more than its 32 MB memory limit; its sandbox was rebuilt/)
  assert.equal((await bomb.invoke(testEvent())).outcome, 'forwarded')
  assert.equal(bomb.rebuilds, 1)
  assert.equal((await bystander.invoke(testEvent())).event!.n, 1)
  // Run it a few more times: the host must not grow with each bomb (the isolate's heap is freed).
  for (let i = 0; i < 3; i++) assert.equal((await bomb.invoke(testEvent({ explode: true }))).error?.name, 'MemoryLimitExceeded')
  const grownMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024
  assert.ok(grownMb < 200, `host memory grew by ${grownMb.toFixed(0)} MB over four bombs`)
})

it('a bomb made of one huge string is an ordinary error inside the sandbox', async () => {
  const runtime = testRuntime({ memoryMb: 32 })
  const fn = await runtime.load(`async function onTrack(e) { return { ...e, s: 'x'.repeat(2 ** 30) } }`)
  const r = await fn.invoke(testEvent())
  assert.equal(r.outcome, 'error')
  assert.ok(r.error?.name === 'RangeError' || r.error?.name === 'MemoryLimitExceeded', JSON.stringify(r.error))
})
