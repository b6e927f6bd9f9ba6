// Connections opened with external checkpoints never move their log into the database file themselves;
// the checkpoint thread does, off the caller's thread.
import assert from 'node:assert/strict'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { sql } from 'kysely'
import { startCheckpointer } from './checkpointer.js'
import { openSqlite } from './database.js'

const size = (file: string) => statSync(file).size

it('with external checkpoints the log keeps the writes until the checkpoint thread moves them into the file', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'insertfn-checkpoint-')), 'store.db')
  const store = await openSqlite(file, 'external')
  await sql`CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)`.execute(store.db)
  const before = size(file)
  // About 6 MB of writes: past SQLite's own checkpoint threshold (1,000 pages, about 4 MB).
  for (let batch = 0; batch < 30; batch++) {
    await store.db.transaction().execute(async (tx) => {
      for (let i = 0; i < 200; i++) await sql`INSERT INTO blobs (body) VALUES (${'x'.repeat(1000)})`.execute(tx)
    })
  }
  assert.ok(size(`${file}-wal`) > 4_000_000, `the log holds the writes (${size(`${file}-wal`)} bytes)`)
  assert.ok(size(file) - before < 1_000_000, `the database file was not written by the connection (${size(file) - before} bytes more)`)

  const checkpointer = startCheckpointer([file], 20)
  const end = Date.now() + 10_000
  while (size(file) - before < 4_000_000 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  await checkpointer.close()
  assert.ok(size(file) - before >= 4_000_000, `the checkpoint thread moved the log into the file (${size(file) - before} bytes)`)
  assert.equal((await sql<{ n: number }>`SELECT count(*) AS n FROM blobs`.execute(store.db)).rows[0]!.n, 6000)
  await store.close()
})
