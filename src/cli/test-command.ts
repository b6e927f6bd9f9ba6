// insertfn test: runs a function project's tests (*.test.js, *.test.ts) with Node's test runner, with the
// flag the sandbox needs and TypeScript test files transpiled on load.
import { spawn } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CommandError } from './command-error.js'
import { UsageError } from './usage-error.js'

export const TEST_HELP = `Usage: insertfn test [dir] [-- <node test runner options>]

Runs the tests of the function project in [dir] (default: the current folder): every *.test.js, .mjs,
.ts or .mts file outside node_modules, with Node's test runner, in the production sandbox.
Options after -- go to Node, e.g. \`insertfn test -- --test-name-pattern=retry\`.

Exit status: 0 all tests passed; 1 a test failed or there are no tests; 2 bad usage.
`

const HINT = 'Run `insertfn test --help` for usage.'
const TEST_FILE = /\.test\.(m?js|m?ts)$/
const REGISTER = fileURLToPath(new URL('../toolkit/register-typescript.js', import.meta.url))

async function findTests(dir: string, out: string[] = []): Promise<string[]> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await findTests(path, out)
    else if (TEST_FILE.test(entry.name)) out.push(path)
  }
  return out
}

export async function testCommand(argv: string[]): Promise<number> {
  const split = argv.indexOf('--')
  const own = split === -1 ? argv : argv.slice(0, split)
  const passThrough = split === -1 ? [] : argv.slice(split + 1)
  const unknown = own.find((a) => a.startsWith('-'))
  if (unknown !== undefined) throw new UsageError(`unknown option ${unknown} (options for Node's test runner go after --)`, HINT)
  if (own.length > 1) throw new UsageError(`test takes one folder, not ${own.length}`, HINT)
  const dir = resolve(own[0] ?? '.')
  const info = await stat(dir).catch(() => undefined)
  if (info === undefined || !info.isDirectory()) throw new UsageError(`${dir} is not a folder`, HINT)

  const files = (await findTests(dir)).sort()
  if (files.length === 0) throw new CommandError(`no test files (*.test.js, *.test.ts) in ${dir}`)
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', '--enable-source-maps', '--import', REGISTER, '--test', ...passThrough, ...files.map((f) => relative(dir, f))],
    // NODE_TEST_CONTEXT would make this runner report to an enclosing one (when insertfn test itself runs
    // under node --test) instead of printing its results.
    { cwd: dir, stdio: 'inherit', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  )
  return new Promise((done) => child.on('exit', (code, signal) => done(code ?? (signal === null ? 1 : 128))))
}
