#!/usr/bin/env node
// isolated-vm needs Node started with --no-node-snapshot; re-run ourselves with it when it is missing.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const flag = '--no-node-snapshot'
if (!process.execArgv.includes(flag) && !(process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag)) {
  const self = fileURLToPath(import.meta.url)
  const child = spawnSync(process.execPath, [flag, ...process.execArgv, self, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}
const { main } = await import('../dist/src/cli/main.js')
process.exitCode = await main(process.argv.slice(2))
