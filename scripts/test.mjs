// Runs every test file in dist with Node's test runner, each file in its own process (so a sandbox
// hazard that kills a process fails one file, not the run). Fast suites sit beside the code in src/;
// the slow ones (browser, scale-out, soak) live in e2e/ and run after them, in the same runner, so
// the pass/fail counts at the end cover everything.
//   node scripts/test.mjs [filter]        only files whose path contains filter
//   node scripts/test.mjs --fast          src/ only
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function find(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) find(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const args = process.argv.slice(2)
const fast = args.includes('--fast')
const filter = args.find((a) => !a.startsWith('--'))
const roots = fast ? ['dist/src'] : ['dist/src', 'dist/e2e']
const files = roots
  .flatMap((root) => find(root).sort())
  .filter((f) => filter === undefined || f.includes(filter))
if (files.length === 0) {
  console.error(`no test files found${filter ? ` matching ${filter}` : ''}`)
  process.exit(1)
}
// Every file the tests make in the temporary directory (queue files, data directories, browser
// profiles; the servers they start inherit TMPDIR) goes under one directory of this run, removed at the
// end: a run made about fifty directories there and left them. INSERTFN_KEEP_TEST_FILES=1 keeps it.
const scratch = mkdtempSync(join(tmpdir(), 'insertfn-test-run-'))
const result = spawnSync(process.execPath, ['--no-node-snapshot', '--enable-source-maps', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: scratch, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --no-node-snapshot`.trim() },
})
if (process.env.INSERTFN_KEEP_TEST_FILES === '1') console.log(`test files kept in ${scratch}`)
else rmSync(scratch, { recursive: true, force: true })
process.exit(result.status ?? 1)
