// Kysely's SQLite driver prepares every query afresh, and preparing (parsing and planning the SQL) costs
// more than running the small statements of the data path. This hands it better-sqlite3 statements it
// prepared before, keyed by their SQL text. Kysely runs one query at a time on its one connection, so a
// cached statement is never used by two queries at once.
import type SQLite from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

/** Statements kept per generation; two generations are kept (multi-row inserts vary in text). */
const GENERATION = 256

export function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  let current = new Map<string, SqliteStatement>()
  let previous = new Map<string, SqliteStatement>()
  return {
    prepare(sql: string): SqliteStatement {
      let stmt = current.get(sql)
      if (stmt !== undefined) return stmt
      stmt = previous.get(sql) ?? (sqlite.prepare(sql) as unknown as SqliteStatement)
      if (current.size >= GENERATION) {
        previous = current
        current = new Map()
      }
      current.set(sql, stmt)
      return stmt
    },
    close: () => sqlite.close(),
  }
}
