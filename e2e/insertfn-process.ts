// One real `insertfn start` process for a browser suite, on a fresh data directory and a free port, with a
// known owner token, plus a small client for its management API.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const BIN = new URL('../../bin/insertfn.js', import.meta.url).pathname

export interface InsertfnProcess {
  address: string
  token: string
  /** Calls the management API as the owner; throws with the server's message on any non-2xx. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>
  stop(): Promise<void>
}

export async function startInsertfn(token = 'e2e-owner-token'): Promise<InsertfnProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'insertfn-e2e-'))
  const child: ChildProcess = spawn(process.execPath, ['--no-node-snapshot', BIN, 'start', '--port', '0', '--data-dir', dataDir, '--allow-private-network'], {
    env: { ...process.env, NODE_OPTIONS: '', INSERTFN_ADMIN_TOKEN: token, INSERTFN_LOG_LEVEL: 'warn' },
  })
  let out = ''
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`insertfn was not listening after 20 s:\n${out}`)), 20_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      const m = /listening on (http:\/\/\S+) /.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`insertfn exited with ${code} before listening:\n${out}`)))
  })
  return {
    address,
    token,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${address}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const json = (await res.json()) as { data: T }
      if (!res.ok) throw new Error(`${method} /api${path} answered ${res.status}: ${JSON.stringify(json)}`)
      return json.data
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.on('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}
