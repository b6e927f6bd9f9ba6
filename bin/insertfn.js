#!/usr/bin/env node
// isolated-vm needs Node started with --no-node-snapshot; re-run ourselves with it when it is missing,
// passing signals on so that stopping this process stops the server too.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const flag = '--no-node-snapshot'
if (!process.execArgv.includes(flag) && !(process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag)) {
  const self = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, [flag, ...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, INSERTFN_WRAPPER_PID: String(process.pid) },
  })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)))
} else {
  // Under the wrapper: if it is killed outright (SIGKILL), stop too rather than run on as an orphan.
  const wrapper = Number(process.env.INSERTFN_WRAPPER_PID)
  if (wrapper > 0) {
    setInterval(() => {
      if (process.ppid !== wrapper) process.kill(process.pid, 'SIGTERM')
    }, 500).unref()
  }
  const { main } = await import('../dist/src/cli/main.js')
  process.exitCode = await main(process.argv.slice(2))
}
