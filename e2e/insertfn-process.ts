// One real `insertfn start` process for a browser suite, on a fresh data directory and a free port, with a
// known owner token, plus a client for its management API.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { apiClient, startServerProcess } from '../src/testing/server-process.js'

export interface InsertfnProcess {
  address: string
  token: string
  /** Calls the management API as the owner; throws with the server's message on any non-2xx. */
  api: ReturnType<typeof apiClient>
  stop(): Promise<void>
}

export async function startInsertfn(token = 'e2e-owner-token'): Promise<InsertfnProcess> {
  const server = await startServerProcess({ dataDir: mkdtempSync(join(tmpdir(), 'insertfn-e2e-')), token })
  return { address: server.address, token, api: apiClient(server.address, token), stop: () => server.stop() }
}
