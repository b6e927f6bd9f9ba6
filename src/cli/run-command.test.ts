// `insertfn run` as a person uses it: a real process, real files, real HTTP.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

const BIN = new URL('../../../bin/insertfn.js', import.meta.url).pathname
const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'insertfn-cli-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A clean NODE_OPTIONS: the bin must add --no-node-snapshot itself.
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NODE_OPTIONS: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(stdin ?? '')
  })
}

describe('insertfn run', () => {
  it('runs an example function on an event file and prints the result as JSON', async () => {
    const r = await cli(['run', EXAMPLES + 'mask-pii.js', '--event', EXAMPLES + 'track.json', '--settings', EXAMPLES + 'settings.json'])
    assert.equal(r.code, 0, r.stderr)
    const result = JSON.parse(r.stdout)
    assert.equal(result.outcome, 'forwarded')
    assert.equal(result.event.properties.notes, undefined)
    assert.match(result.event.properties.email, /^[0-9a-f]{64}$/)
  })

  it('reads the event from standard input with --event -', async () => {
    const fn = file('stdin.js', 'onTrack = (e) => ({ ...e, viaStdin: true })')
    const r = await cli(['run', fn, '--event', '-'], JSON.stringify({ type: 'track', event: 'X' }))
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).event.viaStdin, true)
  })

  it('runs a JSON array as a batch', async () => {
    const r = await cli(['run', EXAMPLES + 'mask-pii.js', '--event', EXAMPLES + 'batch.json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout).results.map((x: { outcome: string }) => x.outcome), ['forwarded', 'dropped', 'forwarded'])
  })

  it('transpiles TypeScript function files', async () => {
    const fn = file('typed.ts', `interface Ev { type: string; properties?: Record<string, unknown> }
async function onTrack(event: Ev, settings: { tag: string }): Promise<Ev> {
  const tag: string = settings.tag ?? 'none'
  return { ...event, properties: { ...event.properties, tag } }
}`)
    const r = await cli(['run', fn, '--event', '-', '--settings', file('s.json', '{"tag":"ts"}')], '{"type":"track"}')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).event.properties.tag, 'ts')
  })

  it('reports TypeScript errors at the positions of the .ts file, not of the transpiled code', async () => {
    const fn = file('lines.ts', `interface Order {\n  id: string\n  total: number\n}\n\ntype Settings = { strict?: string }\n\nasync function onTrack(event: { properties: Order }, settings: Settings) {\n  throw new ValidationError('no ' + settings.strict)\n}\n`)
    const r = await cli(['run', fn, '--event', '-', '--settings', file('strict.json', '{"strict":"x"}')], '{"type":"track","properties":{}}')
    assert.equal(r.code, 0, r.stderr)
    assert.match(JSON.parse(r.stdout).error.stack, /at onTrack \(lines\.ts:9:\d+\)/)
    const broken = file('broken-lines.ts', 'interface A { a: number }\n\nconst x: A = { a: 1 }\n;(x as any).b.c = 1\n')
    const load = await cli(['run', broken, '--event', '-'], '{}')
    assert.equal(load.code, 2)
    assert.match(load.stderr, /broken-lines\.ts does not load: TypeError: Cannot set properties of undefined \(setting 'c'\) \(line 4, column \d+\)/)
  })

  it('exits 0 when the function ran and failed: the outcome is in the output', async () => {
    const fn = file('retry.js', 'async function onTrack() { throw new RetryError("upstream 503") }')
    const r = await cli(['run', fn, '--event', '-'], '{"type":"track"}')
    assert.equal(r.code, 0)
    assert.deepEqual(JSON.parse(r.stdout).error, { name: 'RetryError', message: 'upstream 503', category: 'Retry', retryable: true, stack: 'RetryError: upstream 503\n    at onTrack (retry.js:1:34)' })
  })

  it('uses the real network, and refuses private addresses with --deny-private-network', async () => {
    const server = createServer((_req, res) => res.end('{"live":true}'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    after(() => server.close())
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const fn = file('net.js', `async function onTrack(e, s) { try { return { ...e, got: await (await fetch(s.url)).json() } } catch (err) { return { ...e, err: err.message } } }`)
    const settings = file('net.json', JSON.stringify({ url }))
    const allowed = await cli(['run', fn, '--event', '-', '--settings', settings], '{"type":"track"}')
    assert.deepEqual(JSON.parse(allowed.stdout).event.got, { live: true })
    const denied = await cli(['run', fn, '--event', '-', '--settings', settings, '--deny-private-network'], '{"type":"track"}')
    assert.match(JSON.parse(denied.stdout).event.err, /may not reach/)
  })

  for (const [what, args, stdin, message] of [
    ['no function file', ['run', '--event', '-'], '{}', /run needs a function file/],
    ['no --event', ['run', 'x.js'], '', /run needs --event/],
    ['a missing file', ['run', '/nonexistent/f.js', '--event', '-'], '{}', /cannot read function file \/nonexistent\/f\.js: no such file/],
    ['an event that is not JSON', ['run', EXAMPLES + 'mask-pii.js', '--event', '-'], '{oops', /--event \(standard input\) is not valid JSON/],
    ['an event that is not an object', ['run', EXAMPLES + 'mask-pii.js', '--event', '-'], '"track"', /--event must hold an event object or an array of event objects, not a string/],
    ['a bad --kind', ['run', EXAMPLES + 'mask-pii.js', '--event', '-', '--kind', 'source'], '{}', /--kind must be insert or destination/],
    ['a bad --timeout', ['run', EXAMPLES + 'mask-pii.js', '--event', '-', '--timeout', 'soon'], '{}', /--timeout must be a positive whole number/],
    ['an unknown option', ['run', EXAMPLES + 'mask-pii.js', '--event', '-', '--evnt', 'x'], '{}', /Unknown option '--evnt'/],
    ['an unknown command', ['deploy-all'], '', /unknown command "deploy-all"/],
  ] as const) {
    it(`exits 2 with a clear message for ${what}`, async () => {
      const r = await cli([...args], stdin)
      assert.equal(r.code, 2, r.stdout)
      assert.match(r.stderr, message)
      assert.equal(r.stdout, '')
    })
  }

  it('exits 2 for code that does not load, naming the line and column', async () => {
    const fn = file('broken.js', 'async function onTrack(e) {\n  return e +\n}\n')
    const r = await cli(['run', fn, '--event', '-'], '{"type":"track"}')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /broken\.js does not load: SyntaxError: Unexpected token '}' \(line 3, column 1\)/)
  })
})
