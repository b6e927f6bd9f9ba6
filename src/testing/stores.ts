// The store suites run once per dialect, on real databases: a temporary SQLite file, and a schema of its
// own in the Postgres on this machine (INSERTFN_TEST_POSTGRES_URL), dropped afterwards.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openPostgres, openSqlite, type Dialect, type StoreDatabase } from '../store/database.js'

export const POSTGRES_URL = process.env.INSERTFN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const DIALECTS: Dialect[] = (process.env.INSERTFN_TEST_DIALECTS?.split(',') as Dialect[] | undefined) ?? ['sqlite', 'postgres']

export interface TestStore extends StoreDatabase {
  /** Where the data lives: the SQLite file, or the Postgres schema. */
  location: string
  destroy(): Promise<void>
}

export async function openTestStore(dialect: Dialect): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'insertfn-store-'))
    const file = join(dir, 'insertfn.db')
    const store = await openSqlite(file)
    return { ...store, location: file, destroy: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) } }
  }
  const schema = `t_${randomBytes(6).toString('hex')}`
  const store = await openPostgres(POSTGRES_URL, { schema, maxConnections: 4 })
  return {
    ...store,
    location: schema,
    destroy: async () => {
      await store.close()
      const admin = new pg.Client({ connectionString: POSTGRES_URL })
      await admin.connect()
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await admin.end()
    },
  }
}
