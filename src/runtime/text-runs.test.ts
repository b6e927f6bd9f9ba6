// invokeText calls made in the same turn of the event loop enter the sandbox together, as one run. Each
// event must still be its own invocation: its own result, logs, requests, timeout and fault.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RuntimeOptions } from './options.js'
import { testEvent, testRuntime as runtimeFor } from '../testing/fixtures.js'

const text = (fields: Record<string, unknown>) => JSON.stringify(testEvent(fields))

// Every case holds whether runs go to isolated-vm's threads (the default) or block the calling thread.
for (const offThreadRuns of [true, false]) {
  const testRuntime = (options: RuntimeOptions = {}) => runtimeFor({ ...options, offThreadRuns })
  describe(`invokeText runs: events of one turn share an entry into the sandbox (${offThreadRuns ? 'off' : 'on'} the calling thread)`, () => {
    it('gives each event its own result and logs, in order, when handlers await between lines', async () => {
      const fn = await (testRuntime()).load(`
        async function onTrack(e) {
          console.log('start', e.event)
          await null
          await Promise.resolve()
          console.log('end', e.event)
          if (e.event === 'drop') return
          e.properties.seen = true
          return e
        }`)
      const names = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? 'drop' : `e${i}`))
      const results = await Promise.all(names.map((event) => fn.invokeText(text({ event }), '{}')))
      results.forEach((r, i) => {
        assert.deepEqual(r.logs.map((l) => l.message), [`start ${names[i]}`, `end ${names[i]}`])
        if (names[i] === 'drop') assert.equal(r.outcome, 'dropped')
        else assert.deepEqual([r.outcome, JSON.parse(r.eventJson!).event, JSON.parse(r.eventJson!).properties.seen], ['forwarded', names[i], true])
      })
    })

    it('does not hold the others back behind an event that awaits a timer, and keeps that event its logs', async () => {
      const fn = await testRuntime().load(`
        async function onTrack(e) {
          if (e.event === 'slow') await new Promise((r) => setTimeout(r, 300))
          console.log('done', e.event)
          return e
        }`)
      const order: string[] = []
      const names = ['a', 'slow', 'b', 'c']
      const results = await Promise.all(names.map((event) => fn.invokeText(text({ event }), '{}').then((r) => (order.push(event), r))))
      results.forEach((r, i) => assert.deepEqual([r.outcome, r.logs.map((l) => l.message)], ['forwarded', [`done ${names[i]}`]]))
      assert.deepEqual(order, ['a', 'b', 'c', 'slow'])
    })

    it('runs events that all wait on I/O side by side, not one after another', async () => {
      // Module state counts the events waiting at once; one after another, it would never pass 1.
      const fn = await testRuntime().load(`
        let waiting = 0, most = 0
        async function onTrack(e) {
          most = Math.max(most, ++waiting)
          await new Promise((r) => setTimeout(r, 50))
          waiting--
          e.properties.most = most
          return e
        }`)
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fn.invokeText(text({ event: `e${i}` }), '{}')))
      assert.equal(Math.max(...results.map((r) => JSON.parse(r.eventJson!).properties.most as number)), 20)
    })

    it('gives each event its own settings: one handler changing them does not change the next', async () => {
      const fn = await testRuntime().load(`async function onTrack(e, s) { e.properties.seen = s.count ?? 0; s.count = (s.count ?? 0) + 1; return e }`)
      const results = await Promise.all(Array.from({ length: 5 }, () => fn.invokeText(text({}), '{}')))
      assert.deepEqual(results.map((r) => JSON.parse(r.eventJson!).properties.seen), [0, 0, 0, 0, 0])
    })

    it('gives each event its whole timeout, however many CPU-heavy events share the run', async () => {
      // 20 events of about 15 ms each take three times the 100 ms timeout together: the run must hand back
      // what it did not start rather than let the whole run time out.
      const fn = await testRuntime({ timeoutMs: 100 }).load(`
        async function onTrack(e) { const end = Date.now() + 15; while (Date.now() < end) {} return e }`)
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fn.invokeText(text({ event: `e${i}` }), '{}')))
      assert.deepEqual(results.map((r) => r.outcome), Array(20).fill('forwarded'))
      assert.equal(fn.rebuilds, 0)
    })

    it('fails only the event that loops, as a Timeout; the events before and after it in the run are delivered', async () => {
      const fn = await testRuntime({ timeoutMs: 200 }).load(`async function onTrack(e) { if (e.event === 'spin') for (;;) {} console.log('ok', e.event); return e }`)
      const names = ['a', 'b', 'spin', 'c', 'd']
      const results = await Promise.all(names.map((event) => fn.invokeText(text({ event }), '{}')))
      assert.deepEqual(results.map((r) => r.outcome), ['forwarded', 'forwarded', 'error', 'forwarded', 'forwarded'])
      assert.equal(results[2]!.error?.name, 'Timeout')
      assert.match(results[2]!.error!.message, /without yielding/)
      assert.deepEqual(results[0]!.logs, [{ level: 'log', message: 'ok a' }])
      assert.deepEqual(results[4]!.logs, [{ level: 'log', message: 'ok d' }])
      assert.equal(fn.rebuilds, 1)
    })

    it('finds the event that exhausts memory among many, fails it alone, and delivers the others', async () => {
      const fn = await testRuntime({ memoryMb: 32 }).load(`
        async function onTrack(e) {
          if (e.event === 'bomb') { const hoard = []; for (;;) hoard.push(new Array(100000).fill(Math.random())) }
          return e
        }`)
      const names = ['a', 'b', 'bomb', 'c']
      const results = await Promise.all(names.map((event) => fn.invokeText(text({ event }), '{}')))
      assert.deepEqual(results.map((r) => r.outcome), ['forwarded', 'forwarded', 'error', 'forwarded'])
      assert.equal(results[2]!.error?.name, 'MemoryLimitExceeded')
      assert.equal((await fn.invokeText(text({ event: 'after' }), '{}')).outcome, 'forwarded')
    })

    it('fails an event whose text is not JSON as InvalidEventPayload, and runs the others of its run', async () => {
      const fn = await testRuntime().load(`async function onTrack(e) { return e }`)
      const results = await Promise.all([text({ event: 'a' }), '{"type": "track", oops', text({ event: 'b' })].map((t) => fn.invokeText(t, '{}')))
      assert.deepEqual(results.map((r) => r.outcome), ['forwarded', 'error', 'forwarded'])
      assert.deepEqual([results[1]!.error?.name, results[1]!.error?.retryable], ['InvalidEventPayload', false])
      assert.match(results[1]!.error!.message, /not valid JSON/)
      assert.equal(fn.rebuilds, 0)
    })

    it('answers calls waiting for a run when the function is disposed, as retryable', async () => {
      const fn = await testRuntime().load(`async function onTrack(e) { return e }`)
      const pending = fn.invokeText(text({}), '{}')
      await fn.dispose()
      const r = await pending
      assert.deepEqual([r.outcome, r.error?.name, r.error?.retryable], ['error', 'SandboxReset', true])
    })
  })
}
