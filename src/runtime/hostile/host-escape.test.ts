// Known escapes from vm2-style sandboxes, each tried from user code: none may reach the host.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testEvent, testRuntime } from '../../testing/fixtures.js'

const runtime = testRuntime({ timeoutMs: 1000 })

/** Runs `body` in onTrack and returns what it returns as event.out. */
async function probe(body: string): Promise<unknown> {
  const fn = await runtime.load(`async function onTrack(event) { event.out = await (async () => { ${body} })(); return event }`)
  const r = await fn.invoke(testEvent())
  assert.equal(r.outcome, 'forwarded', JSON.stringify(r.error))
  return r.event!.out
}

describe('user code gets nothing of the host', () => {
  it('has no process, require, module, global Node objects or isolated-vm', async () => {
    assert.deepEqual(
      await probe(`return [typeof process, typeof module, typeof exports, typeof global, typeof __dirname, typeof ivm, typeof _ivm, typeof __insertfn_boot]`),
      ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
    )
    assert.match(String(await probe(`try { require('child_process') } catch (e) { return e.message }`)), /is not available in insert functions/)
  })

  it('constructor chains reach only the sandbox\'s own Function', async () => {
    assert.deepEqual(
      await probe(`
        const viaThis = this.constructor.constructor('return typeof process')()
        const viaFn = (() => {}).constructor('return this')()
        const viaAsync = (async () => {}).constructor('return typeof require')
        const viaError = new Error().constructor.constructor('return globalThis')()
        return [viaThis, viaFn === globalThis, await viaAsync(), viaError === globalThis, typeof viaError.process]`),
      ['undefined', true, 'function', true, 'undefined'],
    )
  })

  it('host functions handed to the sandbox expose no host objects or frames', async () => {
    assert.deepEqual(
      await probe(`
        const probes = [fetch, console.log, crypto.createHash, setTimeout, URL]
        const out = []
        for (const f of probes) {
          out.push(f.constructor === Function)
          try { out.push(typeof f.caller) } catch (e) { out.push('no caller') }
        }
        const stack = (() => { try { new URL('::bad') } catch (e) { return e.stack } })()
        out.push(/node:|file:|\\/work\\//.test(stack))
        return out`),
      [true, 'no caller', true, 'no caller', true, 'no caller', true, 'no caller', true, 'no caller', false],
    )
  })

  it('Error.prepareStackTrace sees only sandbox call sites', async () => {
    const out = (await probe(`
      Error.prepareStackTrace = (err, frames) => frames.map(f => [String(f.getFileName()), typeof f.getThis(), typeof f.getFunction()])
      const frames = (() => { try { crypto.createHash('nope') } catch (e) { return e.stack } })()
      const viaHost = await fetch('file:///etc/passwd').catch(e => e.stack)
      Error.prepareStackTrace = undefined
      return { frames, viaHost }`)) as { frames: [string, string, string][]; viaHost: unknown }
    for (const [file] of out.frames) assert.doesNotMatch(file, /node:|file:\/\/|\/work\//)
  })

  it('our own functions are strict: a handler\'s caller and arguments do not leak the dispatcher', async () => {
    const fn = await runtime.load(`function onTrack(e) { return { ...e, caller: onTrack.caller, callerType: typeof onTrack.caller, args: onTrack.arguments && onTrack.arguments.length } }`)
    const r = await fn.invoke(testEvent())
    assert.deepEqual([r.event!.caller, r.event!.callerType, r.event!.args], [null, 'object', 2])
  })

  it('Proxy tricks in the returned event cannot reach the host', async () => {
    const fn = await runtime.load(`async function onTrack(e) {
      return new Proxy(e, { get(t, k) { if (k === 'toJSON') return () => ({ trapped: typeof process }); return t[k] }, ownKeys() { throw new Error('trap') } })
    }`)
    const r = await fn.invoke(testEvent())
    // JSON encoding happens inside the sandbox: the proxy's traps run there, and the host sees plain data.
    assert.deepEqual(r.event, { trapped: 'undefined', messageId: r.event?.messageId })
    const thrower = await runtime.load(`async function onTrack(e) { return new Proxy({}, { ownKeys() { throw new Error('no keys for you') } }) }`)
    const t = await thrower.invoke(testEvent())
    assert.equal(t.outcome, 'error')
    assert.match(t.error!.message, /no keys for you/)
  })

  it('a thrown Proxy or a hostile getter on an error cannot break result reporting', async () => {
    const fn = await runtime.load(`async function onTrack() {
      const err = new Error('x'); Object.defineProperty(err, 'message', { get() { throw new Error('gotcha') } })
      throw err }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'error')
    const proxy = await runtime.load(`async function onTrack() { throw new Proxy({}, { get() { throw new Error('trap') } }) }`)
    assert.equal((await proxy.invoke(testEvent())).outcome, 'error')
  })

  it('__proto__ keys in a returned event cannot pollute the host', async () => {
    const fn = await runtime.load(`async function onTrack(e) { return JSON.parse('{"type":"track","__proto__":{"polluted":"yes"},"properties":{"constructor":{"prototype":{"polluted":"yes"}}}}') }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'forwarded')
    assert.equal(Object.getPrototypeOf(r.event), Object.prototype)
    assert.equal(Object.hasOwn(r.event!, '__proto__'), false)
    const merged = Object.assign({}, r.event)
    assert.equal((merged as Record<string, unknown>).polluted, undefined)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('prototype tampering inside the sandbox stays inside it', async () => {
    const fn = await runtime.load(`Object.prototype.hacked = 'yes'; Array.prototype.push = () => 0; JSON.stringify = () => '"nope"'
      async function onTrack(e) { return { ...e, ok: true } }`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'forwarded')
    assert.equal(r.event!.ok, true)
    assert.equal(({} as Record<string, unknown>).hacked, undefined)
    // Events given as text share a run, whose bookkeeping must not depend on what user code replaced.
    const texts = await Promise.all([1, 2, 3].map((n) => fn.invokeText(JSON.stringify(testEvent({ event: `e${n}` })), '{}')))
    assert.deepEqual(texts.map((t) => [t.outcome, JSON.parse(t.eventJson!).ok]), [['forwarded', true], ['forwarded', true], ['forwarded', true]])
  })

  it('a function that breaks the run bookkeeping only harms its own events, which fail or retry, never hang', async () => {
    const fn = await testRuntime({ timeoutMs: 300 }).load(`Object.defineProperty(Array.prototype, '0', { set() {}, configurable: true })
      async function onTrack(e) { return e }`)
    const results = await Promise.all([1, 2, 3].map((n) => fn.invokeText(JSON.stringify(testEvent({ event: `e${n}` })), '{}')))
    for (const r of results) assert.ok(r.outcome === 'forwarded' || r.error?.retryable === true, JSON.stringify(r))
  })

  it('cannot block the thread on shared memory or compile WebAssembly', async () => {
    assert.deepEqual(await probe(`return [typeof SharedArrayBuffer, typeof Atomics.wait, typeof WebAssembly]`), ['undefined', 'undefined', 'undefined'])
  })

  it('the handler install hook cannot be replaced or called again', async () => {
    const fn = await runtime.load(`async function onTrack(e) { let again; try { __insertfn_install(() => 1) } catch (err) { again = err.message }
      __insertfn_install = null; return { ...e, again, still: typeof __insertfn_install } }`)
    assert.deepEqual([(await fn.invoke(testEvent())).event!.again, (await fn.invoke(testEvent())).event!.still], ['handlers are already installed', 'function'])
  })

  it('malformed calls to the host bridge get errors, never crash the host', async () => {
    assert.deepEqual(
      await probe(`
        const errs = []
        for (const bad of [() => new URL({ toString() { return 'https://ok.example' } }, 5), () => crypto.randomBytes(-1), () => crypto.randomBytes(2 ** 40), () => crypto.createCipheriv('aes-256-gcm', 'short', 'iv')])
          try { bad(); errs.push('none') } catch (e) { errs.push(e.name) }
        return errs`),
      ['TypeError', 'RangeError', 'RangeError', 'Error'],
    )
  })
})
