// `insertfn start` as a person runs it: a real process, a data directory, the owner token, a clean stop.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'

const BIN = new URL('../../../bin/insertfn.js', import.meta.url).pathname

interface Started {
  child: ChildProcess
  address: string
  output: () => string
}

function start(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, NODE_OPTIONS: '', INSERTFN_LOG_LEVEL: 'warn', ...env },
  })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line in 20 s:\n${out}`)), 20_000)
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/[^\s]+) /.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve({ child, address: m[1]!, output: () => out })
      }
    })
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)))
  })
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit')
    child.on('exit', (code) => resolve(code))
    child.kill('SIGTERM')
  })
}

it('starts on SQLite in the data directory, prints a new owner token once, and keeps it across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-start-'))
  // Logging at info, so every request is logged: the secret must still not appear.
  const first = await start(dataDir, { INSERTFN_LOG_LEVEL: 'info' })
  const token = /owner token \(shown only this once\): (\S+)/.exec(first.output())?.[1]
  assert.ok(token, first.output())
  assert.ok(existsSync(join(dataDir, 'insertfn.db')))
  const created = await fetch(`${first.address}/api/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ code: 'async function onTrack(e) { return e }', displayName: 'kept', resourceType: 'INSERT_DESTINATION' }),
  })
  assert.equal(created.status, 200)
  // A secret sent to the API never reaches the log, and the key that seals it is private to the owner.
  const secret = 'hook-secret-never-logged-9876'
  const source = (await (await fetch(`${first.address}/api/sources`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'web', enabled: true, metadataId: 'http' }) })).json()) as { data: { source: { id: string } } }
  const dest = await fetch(`${first.address}/api/destinations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sourceId: source.data.source.id, metadataId: 'webhook', settings: { url: 'https://x.example/in', headers: { 'X-Key': secret } } }) })
  assert.equal(dest.status, 200)
  assert.equal(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600)
  assert.equal(await stop(first.child), 0)
  assert.equal(first.output().includes(secret), false)

  const second = await start(dataDir)
  assert.doesNotMatch(second.output(), /owner token/)
  const listed = await fetch(`${second.address}/api/functions?resourceType=INSERT_DESTINATION`, { headers: { authorization: `Bearer ${token}` } })
  const body = (await listed.json()) as { data: { functions: { displayName: string }[] } }
  assert.deepEqual(body.data.functions.map((f) => f.displayName), ['kept'])
  assert.equal(await stop(second.child), 0)
})

it('uses INSERTFN_ADMIN_TOKEN as the owner token on first start, and prints no token', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-start-'))
  const s = await start(dataDir, { INSERTFN_ADMIN_TOKEN: 'my-chosen-owner-token' })
  assert.doesNotMatch(s.output(), /owner token/)
  const ok = await fetch(`${s.address}/api/functions?resourceType=DESTINATION`, { headers: { authorization: 'Bearer my-chosen-owner-token' } })
  assert.equal(ok.status, 200)
  assert.equal(await stop(s.child), 0)
})

it('exits 2 with a clear message when the port is taken or an option is out of range', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-start-'))
  const s = await start(dataDir)
  const port = new URL(s.address).port
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, ...args], { env: { ...process.env, NODE_OPTIONS: '' } })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      child.stderr.on('data', (c: Buffer) => (out += c.toString()))
      child.on('exit', (code) => resolve({ code, out }))
    })
  const taken = await run(['--port', port])
  assert.equal(taken.code, 2)
  assert.match(taken.out, new RegExp(`port ${port} on 127.0.0.1 is already in use`))
  const bad = await run(['--port', '0', '--timeout', '5'])
  assert.equal(bad.code, 2)
  assert.match(bad.out, /timeoutMs/)
  assert.equal(await stop(s.child), 0)
})

it('takes options from a config file where no flag or variable gives them, and says what is wrong with a bad one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'insertfn-start-config-'))
  const fromFile = join(dir, 'from-file')
  const config = join(dir, 'insertfn.json')
  writeFileSync(config, JSON.stringify({ port: 0, 'data-dir': fromFile, timeout: 2000 }))
  const run = (args: string[], env: Record<string, string> = {}) => spawn(process.execPath, [BIN, 'start', ...args], { env: { ...process.env, NODE_OPTIONS: '', INSERTFN_LOG_LEVEL: 'warn', ...env } })
  const listening = (child: ChildProcess) => new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      if (/listening on/.test(out)) resolve(out)
    })
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)))
  })
  for (const [args, env, expected] of [
    [['--config', config], {}, fromFile],
    [[], { INSERTFN_CONFIG: config, INSERTFN_DATA_DIR: join(dir, 'from-env') }, join(dir, 'from-env')],
    [['--config', config, '--data-dir', join(dir, 'from-flag')], { INSERTFN_DATA_DIR: join(dir, 'from-env') }, join(dir, 'from-flag')],
  ] as const) {
    const child = run([...args], { ...env })
    const out = await listening(child)
    assert.match(out, new RegExp(`data in ${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},`))
    assert.equal(await stop(child), 0)
  }
  writeFileSync(config, '{"port": 0, "dta-dir": "x"}')
  const bad = run(['--config', config])
  let err = ''
  bad.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const code = await new Promise((r) => bad.on('exit', r))
  assert.equal(code, 2)
  assert.match(err, /unknown option "dta-dir"/)
})

it('stops when the wrapper that started it is SIGKILLed, instead of running on as an orphan', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-start-'))
  const s = await start(dataDir)
  s.child.kill('SIGKILL')
  const url = `${s.address}/api/openapi.json`
  const end = Date.now() + 10_000
  let stopped = false
  while (Date.now() < end) {
    stopped = await fetch(url).then(() => false, () => true)
    if (stopped) break
    await new Promise((r) => setTimeout(r, 200))
  }
  assert.equal(stopped, true, 'the server still answers after its wrapper was killed')
})
