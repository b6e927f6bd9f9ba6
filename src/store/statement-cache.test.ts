import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { cachingStatements } from './statement-cache.js'

describe('cachingStatements', () => {
  it('prepares each SQL text once, and queries through Kysely still see fresh data', async () => {
    const sqlite = new SQLite(':memory:')
    let prepared = 0
    const prepare = sqlite.prepare.bind(sqlite)
    sqlite.prepare = ((sql: string) => {
      prepared++
      return prepare(sql)
    }) as typeof sqlite.prepare
    const db = new Kysely<{ t: { id: number; v: string } }>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) })
    await db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'text').execute()
    const before = prepared
    for (let i = 0; i < 5; i++) await db.insertInto('t').values({ id: i, v: `v${i}` }).execute()
    for (let i = 0; i < 5; i++) assert.equal((await db.selectFrom('t').select('v').where('id', '=', i).executeTakeFirstOrThrow()).v, `v${i}`)
    assert.equal(prepared - before, 2, 'one insert and one select statement')
    await db.destroy()
  })
})
