// A management server on a real SQLite file, with one token per role. Call close() in the file's after().
import type { FastifyInstance } from 'fastify'
import { createRuntime } from '../runtime/index.js'
import { buildServer } from '../server/app.js'
import { AuditLog } from '../store/audit-log.js'
import { ConnectionStore } from '../store/connection-store.js'
import { FilterStore } from '../store/filter-store.js'
import { DeliveryLog } from '../store/delivery-log.js'
import { FunctionStore } from '../store/function-store.js'
import { SecretBox } from '../store/secret-box.js'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { SqliteQueue } from '../queue/sqlite-queue.js'
import { TokenStore, type Role } from '../store/token-store.js'
import { openTestStore, type TestStore } from './stores.js'

export interface TestServer {
  app: FastifyInstance
  store: TestStore
  functions: FunctionStore
  connections: ConnectionStore
  queue: SqliteQueue
  deliveries: DeliveryLog
  /** A token for each role, and one holding Functions Admin and Source Admin together. */
  tokens: Record<Role | 'Functions Admin + Source Admin', string>
  close(): Promise<void>
}

export async function testServer(options: { maxQueueDepth?: number; uiDir?: string } = {}): Promise<TestServer> {
  const store = await openTestStore('sqlite')
  const tokenStore = new TokenStore(store.db)
  const tokens = {} as TestServer['tokens']
  for (const role of ['Workspace Owner', 'Functions Admin', 'Functions Read-only', 'Source Admin'] as const) {
    tokens[role] = (await tokenStore.create(role, [role])).token
  }
  tokens['Functions Admin + Source Admin'] = (await tokenStore.create('admin+source', ['Functions Admin', 'Source Admin'])).token
  const runtime = createRuntime({ timeoutMs: 1000 })
  const functions = new FunctionStore(store.db)
  const connections = new ConnectionStore(store.db, new SecretBox(randomBytes(32)))
  const queue = SqliteQueue.open({ file: join(dirname(store.location), 'queue.db') })
  const deliveries = new DeliveryLog(store.db, { flushMs: 0 })
  const app = buildServer({ ...options, queue, deliveries, functions, connections, filters: new FilterStore(store.db), audit: new AuditLog(store.db), tokens: tokenStore, runtime })
  const close = async () => {
    await app.close()
    await runtime.close()
    await deliveries.close()
    await queue.close()
    await store.destroy()
  }
  return { app, store, functions, connections, queue, deliveries, tokens, close }
}
