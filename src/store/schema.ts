// The tables, as Kysely sees them. Times are ISO-8601 text and JSON is text, so one schema and one set of
// migrations serve SQLite and Postgres alike.
import type { Generated, Insertable, Selectable } from 'kysely'

export interface FunctionsTable {
  id: string
  resource_type: 'INSERT_DESTINATION' | 'DESTINATION'
  display_name: string
  description: string
  logo_url: string | null
  created_at: string
  created_by: string
  updated_at: string
  latest_version_id: string
  deployed_version_id: string | null
  deployed_at: string | null
}

export interface FunctionVersionsTable {
  id: string
  function_id: string
  number: number
  code: string
  /** JSON: FunctionSetting[] */
  settings: string
  author: string
  created_at: string
  /** The version this one was restored from, if it is a restore. */
  restored_from: string | null
}

export interface TokensTable {
  id: string
  name: string
  /** JSON: Role[] */
  roles: string
  /** SHA-256 of the token, hex: the token itself is never stored. */
  hash: string
  created_at: string
}

export interface AuditEventsTable {
  id: string
  /** Order of recording, microseconds since the epoch; the newest event has the highest. */
  seq: number | string
  timestamp: string
  type: string
  actor: string
  resource_id: string
  resource_type: string
  resource_name: string
  /** JSON snapshots without secret values. */
  before: string | null
  after: string | null
}

export interface SourcesTable {
  id: string
  slug: string
  name: string
  /** 0 or 1 */
  enabled: number
  /** JSON object */
  settings: string
  created_at: string
  updated_at: string
}

export interface SourceWriteKeysTable {
  write_key: string
  source_id: string
  created_at: string
}

export interface DestinationsTable {
  id: string
  source_id: string
  name: string
  /** 'webhook' or 'function' */
  metadata_id: string
  enabled: number
  /** JSON object; values of secret settings are sealed (see secret-box.ts) */
  settings: string
  created_at: string
  updated_at: string
}

export interface InsertFunctionInstancesTable {
  id: string
  function_id: string
  /** The destination ("integration"); at most one instance each. */
  destination_id: string
  name: string
  enabled: number
  /** JSON object of the settings that are not sensitive */
  settings: string
  /** JSON object of sealed values of the sensitive settings */
  encrypted_settings: string
  /** The deployed version the instance runs. */
  version_id: string
  created_at: string
  updated_at: string
}

export interface DestinationFiltersTable {
  id: string
  destination_id: string
  source_id: string
  title: string
  description: string | null
  /** FQL text, parsed when saved */
  if_fql: string
  /** JSON: FilterAction[] */
  actions: string
  enabled: number
  created_at: string
  updated_at: string
}

export interface DeliveryEventsTable {
  id: string
  destination_id: string
  message_id: string
  /** delivered, filtered, retrying or failed */
  status: string
  /** For filtered: by what; for failed and retrying: the category; for delivered: '' */
  detail: string
  reason: string | null
  attempt: number
  at: string
  /** The event as queued, JSON */
  event: string | null
  /** The event as sent to the destination, JSON, when a function or a filter changed it; secrets redacted */
  sent: string | null
  /** JSON: { logs, requests } of the function run, secrets redacted */
  trace: string | null
}

export interface DeliveryCountsTable {
  destination_id: string
  /** The minute, as ISO-8601 to the minute */
  bucket: string
  status: string
  detail: string
  n: number | string
}

/**
 * What was delivered where, in the order it happened, for the messageId dedupe: workers read it into
 * memory at start and follow what other workers append. Pruned after the window, or beyond a count.
 */
export interface DeliveredBatchesTable {
  id: Generated<number | string>
  /** The DeliveryLog that wrote the row: a reader skips its own. */
  writer: string
  destination_id: string
  /** The messageIds delivered to the destination, as a JSON array of strings. */
  message_ids: string
  /** How many messageIds the row holds. */
  n: number
  /** ms since the epoch, of the latest delivery in the row */
  at: number | string
}

export interface Database {
  delivery_events: DeliveryEventsTable
  delivery_counts: DeliveryCountsTable
  delivered_batches: DeliveredBatchesTable
  destination_filters: DestinationFiltersTable
  sources: SourcesTable
  source_write_keys: SourceWriteKeysTable
  destinations: DestinationsTable
  insert_function_instances: InsertFunctionInstancesTable
  functions: FunctionsTable
  function_versions: FunctionVersionsTable
  tokens: TokensTable
  audit_events: AuditEventsTable
}

export type FunctionRow = Selectable<FunctionsTable>
export type NewFunctionRow = Insertable<FunctionsTable>
export type VersionRow = Selectable<FunctionVersionsTable>
