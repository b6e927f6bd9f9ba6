import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely'
import pg from 'pg'
import { POSTGRES_URL, DIALECTS } from '../testing/stores.js'
import { migrateToLatest, migrateUpTo } from './migrations.js'

async function bareDatabase(dialect: string): Promise<{ db: Kysely<unknown>; schema?: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(join(mkdtempSync(join(tmpdir(), 'insertfn-migrate-')), 'store.db')) }) })
    return { db, drop: () => db.destroy() }
  }
  const schema = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: POSTGRES_URL, max: 2, options: `-c search_path=${schema}` }) }) })
  return {
    db, schema,
    async drop() {
      await db.destroy()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    },
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: store migrations`, () => {
    it('0010 carries the log of deliveries over as rows of one, and new rows are numbered after them', async () => {
      const { db, schema, drop } = await bareDatabase(dialect)
      try {
        await migrateUpTo(db, '0009_delivered_log', schema)
        await sql`INSERT INTO delivered_log (id, writer, destination_id, message_id, at) VALUES (5, 'w_a', 'dst_1', 'm-"quoted"', 1000), (9, 'w_a', 'dst_2', 'm2', 2000)`.execute(db)
        await migrateToLatest(db, schema)
        const copied = await sql<{ id: number | string; destination_id: string; message_ids: string; n: number | string; at: number | string }>`SELECT id, destination_id, message_ids, n, at FROM delivered_batches ORDER BY id`.execute(db)
        assert.deepEqual(copied.rows.map((r) => [Number(r.id), r.destination_id, JSON.parse(r.message_ids) as string[], Number(r.n), Number(r.at)]), [
          [5, 'dst_1', ['m-"quoted"'], 1, 1000],
          [9, 'dst_2', ['m2'], 1, 2000],
        ])
        await sql`INSERT INTO delivered_batches (writer, destination_id, message_ids, n, at) VALUES ('w_b', 'dst_1', '["m3"]', 1, 3000)`.execute(db)
        const { rows } = await sql<{ id: number | string }>`SELECT max(id) AS id FROM delivered_batches`.execute(db)
        assert.ok(Number(rows[0]!.id) > 9)
        const old = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${sql.raw(dialect === 'sqlite' ? 'sqlite_master' : 'information_schema.tables')} WHERE ${sql.raw(dialect === 'sqlite' ? 'name' : 'table_name')} = 'delivered_log'${sql.raw(dialect === 'sqlite' ? '' : ` AND table_schema = '${schema}'`)}`.execute(db)
        assert.equal(Number(old.rows[0]!.n), 0, 'the old log is gone')
      } finally {
        await drop()
      }
    })
  })
}
