// Runs every test file in dist with Node's test runner, each file in its own process (so a sandbox
// hazard that kills a process fails one file, not the run). `npm test -- --suite=slow` is for later suites.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) find(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const filter = process.argv[2]
const files = find('dist/src').filter((f) => filter === undefined || f.includes(filter)).sort()
if (files.length === 0) {
  console.error(`no test files found${filter ? ` matching ${filter}` : ''}`)
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--no-node-snapshot', '--enable-source-maps', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --no-node-snapshot`.trim() },
})
process.exit(result.status ?? 1)
