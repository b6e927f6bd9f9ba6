// Opens the store: SQLite (one file, the embedded default) or Postgres (scaled out), same schema.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { WAL_SIZE_LIMIT } from './checkpointer.js'
import { migrateToLatest } from './migrations.js'
import type { Database } from './schema.js'
import { cachingStatements } from './statement-cache.js'

export type Dialect = 'sqlite' | 'postgres'

export interface StoreDatabase {
  db: Kysely<Database>
  dialect: Dialect
  close(): Promise<void>
}

/** 'external': this connection never checkpoints its write-ahead log; a checkpointer thread does (checkpointer.ts). */
export type Checkpoints = 'auto' | 'external'

export async function openSqlite(file: string, checkpoints: Checkpoints = 'auto'): Promise<StoreDatabase> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  // WAL lets readers run beside the one writer; NORMAL sync is durable across process crashes.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  if (checkpoints === 'external') sqlite.pragma('wal_autocheckpoint = 0')
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) })
  await migrateToLatest(db as Kysely<unknown>)
  return { db, dialect: 'sqlite', close: () => db.destroy() }
}

export interface PostgresOptions {
  /** A schema of its own (created if missing): tests use one each; production uses the default. */
  schema?: string
  maxConnections?: number
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<StoreDatabase> {
  const { schema } = options
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid Postgres schema name ${schema}`)
  if (schema !== undefined) {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    } finally {
      await admin.end()
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  await migrateToLatest(db as Kysely<unknown>, schema)
  return { db, dialect: 'postgres', close: () => db.destroy() }
}

/** The SQLite file a store setting names, or undefined for a postgres:// URL; throws for other URLs. */
export function sqliteFileOf(location: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(location)) return undefined
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location) && !/^(sqlite|file):/i.test(location)) {
    throw new Error(`database URL ${location.replace(/\/\/[^@/]*@/, '//••••@')}: use a postgres:// URL or a SQLite file path`)
  }
  return location.replace(/^sqlite:(\/\/)?/i, '').replace(/^file:\/\//i, '')
}

/**
 * The store a setting names: a postgres:// (or postgresql://) URL, whose optional `schema` query parameter
 * picks a schema (created if missing), or else a SQLite file (a path, or a sqlite: URL).
 */
export async function openStore(location: string, checkpoints: Checkpoints = 'auto'): Promise<StoreDatabase> {
  const file = sqliteFileOf(location)
  if (file !== undefined) return openSqlite(file, checkpoints)
  const url = new URL(location)
  const schema = url.searchParams.get('schema') ?? undefined
  url.searchParams.delete('schema')
  return openPostgres(url.toString(), schema === undefined ? {} : { schema })
}
