import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FunctionLoadError } from './index.js'
import { testEvent, testRuntime } from '../testing/fixtures.js'

const runtime = testRuntime({ timeoutMs: 500 })

describe('loading user code', () => {
  it('finds handlers declared as (async) function declarations', async () => {
    const fn = await runtime.load(`
      async function onTrack(event, settings) { return event }
      function onIdentify(event) { return event }`)
    assert.deepEqual(fn.handlers.sort(), ['onIdentify', 'onTrack'])
  })

  it('finds handlers assigned to undeclared names, as sloppy scripts allow', async () => {
    const fn = await runtime.load(`onTrack = (event, settings) => ({ ...event, seen: true })`)
    const r = await fn.invoke(testEvent())
    assert.equal(r.outcome, 'forwarded')
    assert.equal(r.event?.seen, true)
  })

  it('finds handlers bound with top-level const, let and class-free var', async () => {
    const fn = await runtime.load(`
      const onTrack = async (e) => e
      let onPage = async (e) => e
      var onScreen = function (e) { return e }`)
    assert.deepEqual(fn.handlers.sort(), ['onPage', 'onScreen', 'onTrack'])
  })

  it('ignores handler names bound to something that is not a function', async () => {
    const fn = await runtime.load(`var onTrack = 42; const onPage = { not: 'a function' }`)
    assert.deepEqual(fn.handlers, [])
    const r = await fn.invoke(testEvent())
    assert.equal(r.error?.category, 'Unsupported Event Type')
  })

  it('runs code that uses globals such as Headers, URL and btoa at load time', async () => {
    const fn = await runtime.load(`
      const defaults = new Headers({ 'Content-Type': 'application/json' })
      const endpoint = new URL('/v2/people', 'https://api.example.com')
      const auth = 'Basic ' + btoa('key:secret')
      async function onTrack(event) {
        event.properties.meta = { ct: defaults.get('content-type'), url: endpoint.href, auth }
        return event
      }`)
    const r = await fn.invoke(testEvent())
    assert.deepEqual((r.event?.properties as Record<string, unknown>).meta, {
      ct: 'application/json',
      url: 'https://api.example.com/v2/people',
      auth: 'Basic a2V5OnNlY3JldA==',
    })
  })

  it('reports a syntax error with its message, line and column', async () => {
    const err = await runtime.load(`async function onTrack(event) {\n  return event\n}}\n`).catch((e: unknown) => e)
    assert.ok(err instanceof FunctionLoadError)
    assert.equal(err.name, 'FunctionLoadError')
    assert.match(err.message, /SyntaxError: Unexpected token '}'/)
    assert.equal(err.line, 3)
    assert.equal(err.column, 2)
  })

  it('reports an error thrown by top-level code with its position', async () => {
    const err = await runtime.load(`const x = 1\nnull.boom\n`, { name: 'broken' }).catch((e: unknown) => e)
    assert.ok(err instanceof FunctionLoadError)
    assert.match(err.message, /TypeError: Cannot read properties of null/)
    assert.equal(err.line, 2)
  })

  it('gives up on top-level code that never finishes', async () => {
    const err = await runtime.load(`while (true) {}`).catch((e: unknown) => e)
    assert.ok(err instanceof FunctionLoadError)
    assert.match(err.message, /ran longer than 500 ms while loading/)
  })

  it('refuses import and require, with a message that says what to use instead', async () => {
    const esm = await runtime.load(`import _ from 'lodash'\nasync function onTrack(e) { return e }`).catch((e: unknown) => e)
    assert.ok(esm instanceof FunctionLoadError)
    assert.match(esm.message, /import/)
    const cjs = await runtime.load(`const fs = require('fs')`).catch((e: unknown) => e)
    assert.ok(cjs instanceof FunctionLoadError)
    assert.match(cjs.message, /require\("fs"\) is not available in insert functions: use the globals instead/)
  })

  it('keeps what the code logged while loading', async () => {
    const fn = await runtime.load(`console.log('warming up', 3)\nfunction onTrack(e) { return e }`)
    assert.deepEqual(fn.loadLogs, [{ level: 'log', message: 'warming up 3' }])
  })

  it('rejects a kind it does not know and code that is not a string', async () => {
    await assert.rejects(runtime.load('x', { kind: 'source' as never }), /kind must be "insert" or "destination"/)
    await assert.rejects(runtime.load(42 as never), /code must be a string/)
  })
})
