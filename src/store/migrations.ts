// One ordered list of migrations for every dialect. Append, never edit: a migration that ran is history.
import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely'

const migrations: Record<string, Migration> = {
  '0001_functions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('functions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('logo_url', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('latest_version_id', 'text', (c) => c.notNull())
        .addColumn('deployed_version_id', 'text')
        .addColumn('deployed_at', 'text')
        .execute()
      await db.schema.createIndex('functions_by_type').on('functions').columns(['resource_type', 'id']).execute()
      await db.schema
        .createTable('function_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('function_id', 'text', (c) => c.notNull().references('functions.id').onDelete('cascade'))
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('restored_from', 'text')
        .addUniqueConstraint('function_versions_number', ['function_id', 'number'])
        .execute()
    },
  },
  '0002_tokens': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
    },
  },
  '0003_audit_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('timestamp', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('resource_name', 'text', (c) => c.notNull())
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .execute()
      await db.schema.createIndex('audit_events_by_seq').on('audit_events').column('seq').execute()
      await db.schema.createIndex('audit_events_by_resource').on('audit_events').columns(['resource_id', 'seq']).execute()
    },
  },
  '0004_sources_destinations_instances': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('source_write_keys')
        .addColumn('write_key', 'text', (c) => c.primaryKey())
        .addColumn('source_id', 'text', (c) => c.notNull().references('sources.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('write_keys_by_source').on('source_write_keys').column('source_id').execute()
      await db.schema
        .createTable('destinations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source_id', 'text', (c) => c.notNull().references('sources.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('metadata_id', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('destinations_by_source').on('destinations').column('source_id').execute()
      await db.schema
        .createTable('insert_function_instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('function_id', 'text', (c) => c.notNull().references('functions.id').onDelete('cascade'))
        .addColumn('destination_id', 'text', (c) => c.notNull().unique().references('destinations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('encrypted_settings', 'text', (c) => c.notNull())
        .addColumn('version_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('instances_by_function').on('insert_function_instances').column('function_id').execute()
    },
  },
  '0005_destination_filters': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('destination_filters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('destination_id', 'text', (c) => c.notNull().references('destinations.id').onDelete('cascade'))
        .addColumn('source_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('if_fql', 'text', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('filters_by_destination').on('destination_filters').columns(['destination_id', 'created_at']).execute()
    },
  },
  '0006_delivery_records': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('delivery_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('destination_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('event', 'text')
        .addColumn('trace', 'text')
        .execute()
      await db.schema.createIndex('delivery_events_recent').on('delivery_events').columns(['destination_id', 'status', 'at']).execute()
      await db.schema.createIndex('delivery_events_age').on('delivery_events').column('at').execute()
      await db.schema
        .createTable('delivery_counts')
        .addColumn('destination_id', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('delivery_counts_pk', ['destination_id', 'bucket', 'status', 'detail'])
        .execute()
    },
  },
  '0007_delivery_dedupe_index': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('delivery_events_by_message').on('delivery_events').columns(['destination_id', 'message_id', 'status']).execute()
    },
  },
  // Event details became a bounded sample (the most recent per destination and status), so the dedupe
  // window moved to a table of its own that records every delivery in a narrow row.
  '0008_delivered_messages': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('delivered_messages')
        .addColumn('destination_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('delivered_messages_pk', ['destination_id', 'message_id'])
        .execute()
      await db.schema.createIndex('delivered_messages_age').on('delivered_messages').column('at').execute()
      await db.schema.dropIndex('delivery_events_by_message').execute()
    },
  },
  // Remembering each delivery in a table keyed by messageId cost a random B-tree write per event, 25 to 40
  // µs in SQLite once the table grew (the log rewrites a whole page per key), and the table grows by
  // hundreds of millions of rows a day at the target rates. Deliveries are now appended to a log in the
  // order they happen (cheap) and looked up in memory by the workers that read it (pipeline/worker.ts).
  '0009_delivered_log': {
    async up(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      await db.schema
        .createTable('delivered_log')
        .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('writer', 'text', (c) => c.notNull())
        .addColumn('destination_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('delivered_log_age').on('delivered_log').column('at').execute()
      await db.schema.dropTable('delivered_messages').execute()
    },
  },
  // A row per delivery was about a tenth of the delivery thread's time at 10,000 events/s. A flush now
  // writes a row per destination and second: the messageIds delivered, as a JSON array. Rows of the old
  // log come along as rows of one.
  '0010_delivered_batches': {
    async up(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      await db.schema
        .createTable('delivered_batches')
        .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('writer', 'text', (c) => c.notNull())
        .addColumn('destination_id', 'text', (c) => c.notNull())
        .addColumn('message_ids', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('delivered_batches_age').on('delivered_batches').column('at').execute()
      const asArray = postgres ? sql`json_build_array(message_id)::text` : sql`json_array(message_id)`
      await sql`INSERT INTO delivered_batches (id, writer, destination_id, message_ids, n, at) SELECT id, writer, destination_id, ${asArray}, 1, at FROM delivered_log ORDER BY id`.execute(db)
      // Postgres: the new ids go on after the copied ones.
      if (postgres) await sql`SELECT setval(pg_get_serial_sequence('delivered_batches', 'id'), coalesce((SELECT max(id) FROM delivered_batches), 0) + 1, false)`.execute(db)
      await db.schema.dropTable('delivered_log').execute()
    },
  },
  // What the destination was sent, when an insert function (or a filter's action) changed the event: a
  // record that showed only the event as queued hid what the function did to it.
  '0011_delivery_sent': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('delivery_events').addColumn('sent', 'text').execute()
    },
  },
}

const provider: MigrationProvider = { getMigrations: async () => migrations }

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<string[]> {
  // With a schema, the migration tables are looked for in it: otherwise Kysely finds them in any schema of
  // the database (another insertfn's, say), decides they exist, and fails to use them from this search_path.
  const { error, results } = await new Migrator({ db, provider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) }).migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`store migration ${failed} failed: ${(error as Error).message}`)
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** Runs the migrations up to and including `name`: for tests of a migration on data of the schema before it. */
export async function migrateUpTo(db: Kysely<unknown>, name: string, schema?: string): Promise<void> {
  const { error } = await new Migrator({ db, provider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) }).migrateTo(name)
  if (error !== undefined) throw error as Error
}
