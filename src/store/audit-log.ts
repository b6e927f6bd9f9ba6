// The audit trail: every change, who made it, when, and what it was before and after. Entries are written
// in the same transaction as the change they describe, so there is never a change without its entry.
// Snapshots hold no secret values (callers pass summaries, and mask sensitive settings).
import type { Kysely, Transaction } from 'kysely'
import { newId } from './ids.js'
import type { Database } from './schema.js'

export interface AuditEntry {
  type: string
  actor: string
  resourceId: string
  resourceType: string
  resourceName: string
  before?: unknown
  after?: unknown
}

export interface AuditEvent extends Required<Omit<AuditEntry, 'before' | 'after'>> {
  id: string
  timestamp: string
  before: unknown
  after: unknown
}

// Microseconds since the epoch, never repeating within a process: an order that needs no read of the
// table (so concurrent writers on Postgres never collide); writers in two processes may only tie.
let lastSeq = 0
function nextSeq(): number {
  lastSeq = Math.max(Date.now() * 1000, lastSeq + 1)
  return lastSeq
}

export async function recordAudit(tx: Transaction<Database>, entry: AuditEntry, at: string): Promise<void> {
  await tx
    .insertInto('audit_events')
    .values({
      id: newId('audit_'),
      seq: nextSeq(),
      timestamp: at,
      type: entry.type,
      actor: entry.actor,
      resource_id: entry.resourceId,
      resource_type: entry.resourceType,
      resource_name: entry.resourceName,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute()
}

export interface AuditQuery {
  count: number
  /** The seq of the last event of the previous page. */
  cursor?: number
  startTime?: string
  endTime?: string
  resourceId?: string
  resourceType?: string
}

export class AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Newest first. */
  async list(q: AuditQuery): Promise<{ events: AuditEvent[]; next?: number }> {
    let query = this.db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').orderBy('id', 'desc').limit(q.count + 1)
    if (q.cursor !== undefined) query = query.where('seq', '<', q.cursor)
    if (q.startTime !== undefined) query = query.where('timestamp', '>=', q.startTime)
    if (q.endTime !== undefined) query = query.where('timestamp', '<', q.endTime)
    if (q.resourceId !== undefined) query = query.where('resource_id', '=', q.resourceId)
    if (q.resourceType !== undefined) query = query.where('resource_type', '=', q.resourceType)
    const rows = await query.execute()
    const events = rows.slice(0, q.count).map((r) => ({
      id: r.id,
      timestamp: r.timestamp,
      type: r.type,
      actor: r.actor,
      resourceId: r.resource_id,
      resourceType: r.resource_type,
      resourceName: r.resource_name,
      before: r.before === null ? null : (JSON.parse(r.before) as unknown),
      after: r.after === null ? null : (JSON.parse(r.after) as unknown),
    }))
    return rows.length > q.count ? { events, next: Number(rows[q.count - 1]!.seq) } : { events }
  }
}
