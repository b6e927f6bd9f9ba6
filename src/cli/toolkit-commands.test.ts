// init, test, deploy and logs as a CI job sees them: the real CLI as a process, its exit code (0 done,
// 1 failed, 2 bad usage) and a message that says what to fix, for each way of getting it wrong.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { testServer, type TestServer } from '../testing/server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const BIN = join(ROOT, 'bin/insertfn.js')
const work = mkdtempSync(join(tmpdir(), 'insertfn-cli-'))

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, NODE_OPTIONS: '', NODE_TEST_CONTEXT: undefined, INSERTFN_TOKEN: undefined, INSERTFN_SERVER: undefined }
    execFile(process.execPath, ['--no-node-snapshot', BIN, ...args], { cwd: work, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

async function expectExit(args: string[], code: number, message: RegExp): Promise<void> {
  const r = await cli(...args)
  assert.equal(r.code, code, `exit ${r.code}\n${r.stdout}${r.stderr}`)
  assert.match(code === 0 ? r.stdout : r.stderr, message)
}

function folder(name: string, files: Record<string, string> = {}): string {
  const dir = join(work, name)
  mkdirSync(dir, { recursive: true })
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

const manifest = (over: Record<string, unknown> = {}) => JSON.stringify({ displayName: 'Pass through', kind: 'insert', code: 'function.js', settings: [], ...over })

describe('--help', () => {
  for (const command of ['init', 'test', 'deploy', 'logs']) {
    it(`insertfn ${command} --help prints its usage and exits 0`, () => expectExit([command, '--help'], 0, new RegExp(`^Usage: insertfn ${command}[\\s\\S]*Exit status: 0`)))
  }
  it('insertfn --help lists the toolkit commands', () => expectExit(['--help'], 0, /insertfn init <dir>[\s\S]*insertfn test[\s\S]*insertfn deploy[\s\S]*insertfn logs/))
  it('an unknown command is bad usage', () => expectExit(['deplyo'], 2, /unknown command "deplyo"/))
})

describe('insertfn init', () => {
  it('needs a folder', () => expectExit(['init'], 2, /init needs the folder to create/))
  it('knows two languages', () => expectExit(['init', 'x', '--lang', 'py'], 2, /--lang must be ts or js, not "py"/))
  it('will not write into a folder that has files', () => {
    folder('taken', { 'keep.txt': 'mine' })
    return expectExit(['init', 'taken'], 2, /taken already exists and is not empty: choose a new folder/)
  })
  it('makes a JavaScript project whose tests pass at once', async () => {
    await expectExit(['init', 'js-project', '--lang', 'js', '--name', 'JS enrich'], 0, /Created js-project: a JavaScript insert function, "JS enrich"/)
    const project = join(work, 'js-project')
    mkdirSync(join(project, 'node_modules'))
    symlinkSync(ROOT, join(project, 'node_modules/insertfn'))
    const manifest = JSON.parse(readFileSync(join(project, 'insertfn.json'), 'utf8')) as { displayName: string; code: string }
    assert.deepEqual([manifest.displayName, manifest.code], ['JS enrich', 'src/function.js'])
    // Run from this checkout, whose version is not on the registry, the project depends on the checkout.
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    assert.equal(pkg.devDependencies.insertfn, `file:${ROOT.replace(/\/$/, '')}`)
    await expectExit(['test', 'js-project'], 0, /# pass 4\n# fail 0/)
  })
  it('refuses an empty name', () => expectExit(['init', 'nameless', '--name', ' '], 2, /--name must be 1 to 120 characters/))
})

describe('insertfn test', () => {
  it('exits 0 when the tests pass, TypeScript ones included', () => {
    folder('passing', {
      'a.test.mjs': "import { it } from 'node:test'\nit('passes', () => {})\n",
      'test/b.test.ts': "import { it } from 'node:test'\nconst n: number = 2\nit('types are stripped', () => { if (n !== 2) throw new Error('no') })\n",
      'node_modules/dep/c.test.js': "throw new Error('tests under node_modules are not run')\n",
    })
    return expectExit(['test', 'passing'], 0, /# pass 2\n# fail 0/)
  })
  it('exits 1 when a test fails', () => {
    folder('failing', { 'a.test.js': "import { it } from 'node:test'\nit('fails', () => { throw new Error('expected failure') })\n" })
    return expectExit(['test', 'failing'], 1, /^$/)
  })
  it('exits 1 when there are no tests', () => {
    folder('empty')
    return expectExit(['test', 'empty'], 1, /no test files \(\*\.test\.js, \*\.test\.ts\) in .*empty/)
  })
  it('needs an existing folder', () => expectExit(['test', 'missing'], 2, /missing is not a folder/))
  it('passes options after -- to Node, and refuses others', () => expectExit(['test', '--only'], 2, /unknown option --only \(options for Node's test runner go after --\)/))
})

describe('insertfn deploy and logs against a server', () => {
  let server: TestServer
  let address: string
  let closedPort: string
  before(async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    closedPort = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
    await new Promise((r) => probe.close(r))
    server = await testServer()
    await server.app.listen({ port: 0, host: '127.0.0.1' })
    address = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`
  })
  after(() => server.close())
  const owner = () => ['--server', address, '--token', server.tokens['Workspace Owner']]

  it('needs a token', () => expectExit(['deploy', folder('no-token', { 'insertfn.json': manifest(), 'function.js': 'async function onTrack(e) { return e }' }), '--server', address], 2, /an API token is needed: pass --token <token> or set INSERTFN_TOKEN/))
  it('needs an http(s) server address', () => expectExit(['deploy', '--server', 'ftp://x', '--token', 't'], 2, /--server must be an http:\/\/ or https:\/\/ URL, not "ftp:\/\/x"/))
  it('needs insertfn.json', () => expectExit(['deploy', folder('not-a-project'), ...owner()], 2, /insertfn\.json not found: is .*not-a-project a function project\? \(`insertfn init` makes one\)/))
  it('names the wrong field of insertfn.json', () => {
    const dir = folder('bad-manifest', { 'insertfn.json': manifest({ settings: [{ name: 'key', label: 'Key', description: '', type: 'NUMBER', required: true, sensitive: false }] }) })
    return expectExit(['deploy', dir, ...owner()], 2, /insertfn\.json is not a valid project file: settings\.0\.type: /)
  })
  it('names the missing function file', () => expectExit(['deploy', folder('no-code', { 'insertfn.json': manifest() }), ...owner()], 2, /cannot read function file .*function\.js: no such file/))
  it('refuses code that does not load, at the line of the .ts file, before the server sees it', () => {
    const dir = folder('no-load', { 'insertfn.json': manifest({ code: 'src/function.ts' }), 'src/function.ts': 'interface FunctionSettings {\n  key: string\n}\n\nconst n: number = 1\nthrow new Error("broken at load")\n' })
    return expectExit(['deploy', dir, ...owner()], 2, /src\/function\.ts does not load: Error: broken at load \(line 6, column \d+\)/)
  })
  it('says when the server cannot be reached', () => {
    const dir = folder('unreachable', { 'insertfn.json': manifest(), 'function.js': 'async function onTrack(e) { return e }' })
    return expectExit(['deploy', dir, '--server', closedPort, '--token', 't'], 1, /cannot reach insertfn at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/)
  })
  it('says when the token is not accepted', () => {
    const dir = folder('bad-token', { 'insertfn.json': manifest(), 'function.js': 'async function onTrack(e) { return e }' })
    return expectExit(['deploy', dir, '--server', address, '--token', 'nope'], 1, /the server did not accept the token \(401\).*Check --token or INSERTFN_TOKEN/)
  })
  it('names the permission a token lacks for --deploy, after saving', async () => {
    const dir = folder('no-deploy-right', { 'insertfn.json': manifest({ displayName: 'Admin saves' }), 'function.js': 'async function onTrack(e) { return e }' })
    await expectExit(['deploy', dir, '--server', address, '--token', server.tokens['Functions Admin'], '--deploy'], 1, /POST \/functions\/ifnd_\w+\/deploy was refused \(403 INSERTFN_FORBIDDEN\): .*functions:deploy/)
  })
  it('takes the token from INSERTFN_TOKEN and refuses two functions of the same name', async () => {
    const code = 'async function onTrack(e) { return e }'
    for (let i = 0; i < 2; i++) await server.functions.create({ resourceType: 'INSERT_DESTINATION', displayName: 'Twin', description: '', logoUrl: null, code, settings: [], author: 'test' })
    const dir = folder('twins', { 'insertfn.json': manifest({ displayName: 'Twin' }), 'function.js': code })
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--no-node-snapshot', BIN, 'deploy', dir, '--server', address], { env: { ...process.env, NODE_OPTIONS: '', INSERTFN_TOKEN: server.tokens['Workspace Owner'] } }, (err, _out, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stderr }))
    })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /2 functions are named "Twin" \(ifnd_\w+, ifnd_\w+\): set "functionId" in insertfn\.json to the one to update/)
  })
  it('says when the functionId of insertfn.json does not exist', () => {
    const dir = folder('pinned', { 'insertfn.json': manifest({ functionId: 'ifnd_gone' }), 'function.js': 'async function onTrack(e) { return e }' })
    return expectExit(['deploy', dir, ...owner()], 1, /was refused \(404 INSERTFN_NOT_FOUND\)/)
  })

  it('creates a destination function from kind "destination", and a second deploy of the same code saves nothing', async () => {
    const dir = folder('destination', { 'insertfn.json': manifest({ displayName: 'Forwarder', kind: 'destination' }), 'function.js': 'async function onTrack(e) { return { ok: true } }' })
    const first = await cli('deploy', dir, ...owner(), '--json')
    assert.equal(first.code, 0, first.stderr)
    const created = JSON.parse(first.stdout) as { functionId: string; versionId: string; created: boolean; saved: boolean; deployed: boolean }
    assert.deepEqual({ created: created.created, saved: created.saved, deployed: created.deployed }, { created: true, saved: true, deployed: false })
    assert.equal((await server.functions.get(created.functionId)).resourceType, 'DESTINATION')
    const again = await cli('deploy', dir, ...owner(), '--json')
    assert.deepEqual(JSON.parse(again.stdout), { ...created, created: false, saved: false })
  })

  it('logs needs a destination', () => expectExit(['logs', ...owner()], 2, /logs needs a destination id/))
  it('logs knows the statuses', () => expectExit(['logs', 'dst_x', '--status', 'lost', ...owner()], 2, /--status must be one of delivered, filtered, retrying, failed, not "lost"/))
  it('logs wants a sensible count', () => expectExit(['logs', 'dst_x', '--count', '0', ...owner()], 2, /--count must be a whole number from 1 to 1000, not "0"/))
  it('logs says when the destination does not exist', () => expectExit(['logs', 'dst_gone', ...owner()], 1, /GET \/destinations\/dst_gone\/events.* was refused \(404 INSERTFN_NOT_FOUND\)/))
})
