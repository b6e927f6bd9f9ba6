// A real `insertfn start` (or `insertfn worker`) in its own process, for end-to-end tests and benchmarks,
// and a small client for the management API. The server is started with --no-node-snapshot itself (not behind the bin's re-exec),
// so that a SIGKILL reaches the server and /proc shows its CPU time.
import { spawn, type ChildProcess } from 'node:child_process'

const BIN = new URL('../../../bin/insertfn.js', import.meta.url).pathname

export interface ServerProcess {
  child: ChildProcess
  /** The server's base URL (for a worker, just "delivering"). */
  address: string
  /** Everything the process printed so far. */
  output(): string
  /** SIGTERM (a clean stop) or SIGKILL, and waits for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
}

export function startServerProcess(options: { dataDir: string; token: string; args?: string[]; env?: Record<string, string>; nodeArgs?: string[] }): Promise<ServerProcess> {
  return spawnInsertfn(
    ['start', '--port', '0', '--data-dir', options.dataDir, '--allow-private-network', ...(options.args ?? [])],
    { INSERTFN_ADMIN_TOKEN: options.token, ...options.env },
    /listening on (http:\/\/\S+) /,
    options.nodeArgs,
  )
}

/** `insertfn worker` in its own process; resolves once it is delivering. */
export function startWorkerProcess(options: { args: string[]; env?: Record<string, string>; nodeArgs?: string[] }): Promise<ServerProcess> {
  return spawnInsertfn(['worker', '--allow-private-network', ...options.args], options.env ?? {}, /insertfn worker: (delivering) from/, options.nodeArgs)
}

function spawnInsertfn(args: string[], env: Record<string, string>, ready: RegExp, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', ...nodeArgs, BIN, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', INSERTFN_LOG_LEVEL: 'warn', ...env },
  })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`insertfn ${args[0]} was not ready after 20 s:\n${out}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`insertfn ${args[0]} exited with code ${code} before it was ready:\n${out}`)))
    child.stdout!.on('data', () => {
      const m = ready.exec(out)
      if (m === null) return
      clearTimeout(timer)
      resolve({
        child,
        address: m[1]!,
        output: () => out,
        async stop(signal = 'SIGTERM') {
          child.kill(signal)
          await exited
        },
      })
    })
  })
}

/** Calls the management API; throws with the server's answer when it is not a success. */
export function apiClient(address: string, token: string) {
  return async function api<T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${address}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} /api${path} answered ${res.status}: ${text}`)
    return (JSON.parse(text) as { data: T }).data
  }
}
