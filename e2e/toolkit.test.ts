// The function author's path, end to end, with the real CLI as a process: `insertfn init` in a temporary
// folder, the generated tests pass, the function is deployed to a running insertfn with
// `insertfn deploy --deploy`, events sent with analytics-node show its behaviour, a change is deployed
// and the events after it show the new behaviour, and `insertfn logs` (and `--follow`) shows them.
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Analytics } from '@segment/analytics-node'
import { apiClient, startServerProcess, type ServerProcess } from '../src/testing/server-process.js'
import { until } from '../src/testing/until.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin/insertfn.js')
const TOKEN = 'toolkit-e2e-owner-token'
const work = mkdtempSync(join(tmpdir(), 'insertfn-toolkit-'))
const project = join(work, 'enrich')

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI (or npm) as a process and collects its output; never rejects on a non-zero exit. */
function run(command: string, args: string[], cwd = work): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}
const cli = (...args: string[]) => run(process.execPath, ['--no-node-snapshot', BIN, ...args])

// One local server plays both the profile service the function calls and the webhook destination.
const received: Record<string, any>[] = []
const receiver = createServer((req, res) => {
  let body = ''
  req.on('data', (c: Buffer) => (body += c.toString()))
  req.on('end', () => {
    if (req.url?.startsWith('/profiles/')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ plan: 'gold' }))
      return
    }
    received.push(JSON.parse(body) as Record<string, any>)
    res.writeHead(200).end()
  })
})
let receiverUrl: string
let server: ServerProcess
let api: ReturnType<typeof apiClient>
let follow: ChildProcess | undefined

async function send(writeKey: string, users: string[], properties: Record<string, unknown> = {}): Promise<void> {
  const analytics = new Analytics({ writeKey, host: server.address, flushAt: 20, flushInterval: 50, maxRetries: 3 })
  for (const userId of users) analytics.track({ userId, event: 'Order Completed', properties: { total: 10, ...properties } })
  await analytics.closeAndFlush({ timeout: 10_000 })
}

before(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
  server = await startServerProcess({ dataDir: join(work, 'data'), token: TOKEN })
  api = apiClient(server.address, TOKEN)
})
after(async () => {
  // A failed assertion must not leave `logs --follow` running: it would hold this test process open.
  if (follow !== undefined && follow.exitCode === null && follow.signalCode === null) follow.kill('SIGKILL')
  await server.stop()
  await new Promise((r) => receiver.close(r))
})

it('init, test, deploy, change, deploy again, and see both versions at work in insertfn logs', async () => {
  const init = await cli('init', project, '--name', 'Enrich (e2e)', '--insertfn-version', `file:${ROOT}`)
  assert.equal(init.code, 0, init.stderr)
  assert.match(init.stdout, /Created .*TypeScript insert function/)
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> }
  assert.equal(pkg.devDependencies.insertfn, `file:${ROOT}`)

  // What `npm install` of a file: dependency makes (a link), without going to the network for the rest.
  mkdirSync(join(project, 'node_modules/.bin'), { recursive: true })
  symlinkSync(ROOT, join(project, 'node_modules/insertfn'))
  symlinkSync('../insertfn/bin/insertfn.js', join(project, 'node_modules/.bin/insertfn'))
  const tests = await run('npm', ['test'], project)
  assert.equal(tests.code, 0, tests.stdout + tests.stderr)
  assert.match(tests.stdout, /# pass 4/)
  assert.match(tests.stdout, /# fail 0/)

  const source = (await api('POST', '/sources', { slug: 'shop', enabled: true, metadataId: 'http' })).source
  const destination = (await api('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Orders', settings: { url: `${receiverUrl}/hook` } })).destination

  const first = await cli('deploy', project, '--server', server.address, '--token', TOKEN, '--deploy', '--json')
  assert.equal(first.code, 0, first.stderr)
  const v1 = JSON.parse(first.stdout) as { functionId: string; versionId: string; created: boolean; saved: boolean; deployed: boolean }
  assert.deepEqual({ created: v1.created, saved: v1.saved, deployed: v1.deployed }, { created: true, saved: true, deployed: true })
  const fn = (await api('GET', `/functions/${v1.functionId}`)).function
  assert.equal(fn.displayName, 'Enrich (e2e)')
  assert.deepEqual(fn.settings.map((s: { name: string }) => s.name), ['apiKey', 'apiUrl'])
  await api('POST', '/insert-function-instances', { functionId: v1.functionId, integrationId: destination.id, name: 'enrich', settings: { apiKey: 'secret-api-key-0001', apiUrl: receiverUrl } })

  await send(source.writeKeys[0], ['a1', 'a2', 'a3'])
  await send(source.writeKeys[0], ['internal-1'], { internal: true })
  await until('the first three events at the webhook', () => received.length === 3, 20_000)
  assert.deepEqual(received.map((e) => e.properties.plan), ['gold', 'gold', 'gold'])

  // The change: plans in capitals. Saved without --deploy first: the running version must not change.
  const file = join(project, 'src/function.ts')
  writeFileSync(file, readFileSync(file, 'utf8').replace('properties: { ...event.properties, plan }', 'properties: { ...event.properties, plan: plan.toUpperCase() }'))
  const saved = await cli('deploy', project, '--server', server.address, '--token', TOKEN)
  assert.equal(saved.code, 0, saved.stderr)
  assert.match(saved.stdout, /Updated "Enrich \(e2e\)"/)
  assert.match(saved.stdout, /Saved version ver_\w+\nNot deployed/)
  await send(source.writeKeys[0], ['b1'])
  await until('the event sent after a save without deploy', () => received.length === 4, 20_000)
  assert.equal(received[3]!.properties.plan, 'gold')

  const second = await cli('deploy', project, '--server', server.address, '--token', TOKEN, '--deploy')
  assert.equal(second.code, 0, second.stderr)
  const version = /Deployed version (ver_\w+)/.exec(second.stdout)?.[1]
  assert.ok(version !== undefined && version !== v1.versionId, second.stdout)
  assert.match(second.stdout, /No change to code or settings/)
  const versions = (await api('GET', `/functions/${v1.functionId}/versions`)).versions as { id: string; isDeployed: boolean }[]
  assert.deepEqual(versions.filter((v) => v.isDeployed).map((v) => v.id), [version])

  // Delivery reads a destination's setup again at most a second after a change (docs/data-plane.md).
  await new Promise((r) => setTimeout(r, 1500))
  await send(source.writeKeys[0], ['c1', 'c2'])
  await until('the events sent after the second deploy', () => received.length === 6, 20_000)
  assert.deepEqual(received.slice(4).map((e) => e.properties.plan), ['GOLD', 'GOLD'])

  // insertfn logs: every delivered event and the filtered one, with what the function fetched.
  let logs: Run | undefined
  await until('seven delivery records in insertfn logs', async () => {
    logs = await cli('logs', destination.id, '--server', server.address, '--token', TOKEN, '--count', '100')
    return logs.code === 0 && (logs.stdout.match(/^\S+ {2}(delivered|filtered)/gm) ?? []).length === 7
  }, 20_000)
  for (const e of received) assert.ok(logs!.stdout.includes(`messageId=${String(e.messageId)}`), `${String(e.messageId)} in\n${logs!.stdout}`)
  assert.match(logs!.stdout, /filtered \(insert function\) +track "Order Completed" \(user internal-1\).*\n {4}reason: internal test event/)
  assert.match(logs!.stdout, /delivered +track "Order Completed" \(user c2\).*\n {4}GET http:\/\/127\.0\.0\.1:\d+\/profiles\/c2 -> 200/)

  // --follow prints what arrives after it started, then stops cleanly on SIGTERM.
  const tail = spawn(process.execPath, ['--no-node-snapshot', BIN, 'logs', destination.id, '--follow', '--count', '1', '--interval', '200', '--server', server.address, '--token', TOKEN], {
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  follow = tail
  let followed = ''
  tail.stdout.on('data', (c: Buffer) => (followed += c.toString()))
  tail.stderr.on('data', (c: Buffer) => (followed += c.toString()))
  // c1 and c2 were sent together: either may have settled last.
  await until('the newest record when --follow starts', () => /\(user c[12]\)/.test(followed), 20_000)
  await send(source.writeKeys[0], ['followed-1'])
  await until('a new record in --follow', () => followed.includes('(user followed-1)'), 20_000)
  assert.equal(received.at(-1)!.properties.plan, 'GOLD')
  assert.doesNotMatch(followed, /\(user a1\)/) // older than --count 1: not printed, not even later
  const exited = new Promise<number | null>((r) => tail.once('exit', (c) => r(c)))
  tail.kill('SIGTERM')
  const code = await exited
  assert.equal(code, 0, followed)
})
