// Segment's Public API Delivery Overview, for the steps insertfn records per destination: successful
// deliveries, failed deliveries and events filtered at the destination, over minute, hour or day buckets,
// optionally grouped by discard reason. Segment's own SDK (DeliveryOverviewApi) calls these unchanged.
// Counts are kept per outcome and reason, not per event name, type or app version: grouping or filtering
// by those is refused with a message that says so, rather than answered wrongly.
import type { FastifyInstance } from 'fastify'
import { AFTER_RETRY } from '../pipeline/delivery-records.js'
import type { ConnectionStore } from '../store/connection-store.js'
import type { DeliveryLog } from '../store/delivery-log.js'
import { ApiError } from './api-errors.js'
import { paginationOutput } from './present.js'
import { pagination } from './schemas.js'

const READ = { permissions: ['sources:read'] } as const

/** Segment's limits per granularity: the longest range, and how far back it may start. */
const GRANULARITY = {
  minute: { ms: 60_000, maxRangeMs: 4 * 3600_000, maxAgeMs: 48 * 3600_000 },
  hour: { ms: 3600_000, maxRangeMs: 14 * 24 * 3600_000, maxAgeMs: 30 * 24 * 3600_000 },
  day: { ms: 24 * 3600_000, maxRangeMs: 30 * 24 * 3600_000, maxAgeMs: 30 * 24 * 3600_000 },
} as const
type Granularity = keyof typeof GRANULARITY

const STEPS = {
  'successful-delivery': 'delivered',
  'failed-delivery': 'failed',
  'filtered-at-destination': 'filtered',
} as const


interface Dataset {
  discardReason?: string
  total: number
  totalRetryCount?: number
  series: { time: string; count: number; retryCount?: number }[]
}

function requiredString(query: Record<string, unknown>, name: string): string {
  const value = query[name]
  if (typeof value !== 'string' || value === '') throw new ApiError('INSERTFN_VALIDATION', `${name} is required`, name)
  return value
}

function time(query: Record<string, unknown>, name: string): number {
  const value = requiredString(query, name)
  const t = Date.parse(value)
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new ApiError('INSERTFN_VALIDATION', `${name} must be an ISO-8601 time such as 2026-11-27T08:00:00Z, not "${value}"`, name)
  return t
}

/** Values of a list parameter, as Segment's SDK sends them (name[0]=a&name[1]=b) or comma-separated (name=a,b). */
function listParam(query: Record<string, unknown>, name: string): string[] {
  const out: string[] = []
  const prefix = new RegExp(`^${name.replace(/[[\]]/g, '\\$&')}(\\[\\d*\\])?$`)
  for (const [key, value] of Object.entries(query)) {
    if (!prefix.test(key)) continue
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') out.push(...v.split(',').map((s) => s.trim()).filter((s) => s !== ''))
  }
  return out
}

function unsupportedDimension(field: string, names: string[]): void {
  const bad = names.find((n) => n !== 'discardReason')
  if (bad === undefined) return
  const known = ['eventName', 'eventType', 'appVersion']
  throw new ApiError(
    'INSERTFN_VALIDATION',
    known.includes(bad)
      ? `${field} ${bad} is not available: insertfn counts deliveries per outcome and discard reason, not per ${bad}; use discardReason`
      : `${field} must be discardReason (Segment also names eventName, eventType and appVersion, which insertfn does not count by), not "${bad}"`,
    field,
  )
}

export async function deliveryOverviewRoutes(app: FastifyInstance, deps: { deliveries: DeliveryLog; connections: ConnectionStore }): Promise<void> {
  for (const [step, status] of Object.entries(STEPS)) {
    app.get(`/delivery-overview/${step}`, { config: { ...READ, summary: `Delivery Overview: ${status} events of a destination per time bucket (Segment's shape)` } }, async (req) => {
      const query = req.query as Record<string, unknown>
      const sourceId = requiredString(query, 'sourceId')
      const destinationId = requiredString(query, 'destinationConfigId')
      const granularity = requiredString(query, 'granularity') as Granularity
      if (!(granularity in GRANULARITY)) throw new ApiError('INSERTFN_VALIDATION', `granularity must be one of minute, hour, day, not "${granularity}"`, 'granularity')
      const from = time(query, 'startTime')
      const to = time(query, 'endTime')
      const limits = GRANULARITY[granularity]
      if (to <= from) throw new ApiError('INSERTFN_VALIDATION', 'endTime must be after startTime', 'endTime')
      if (to - from > limits.maxRangeMs) throw new ApiError('INSERTFN_VALIDATION', `with granularity ${granularity} the range may be at most ${limits.maxRangeMs / 3600_000} hours`, 'endTime')
      if (Date.now() - from > limits.maxAgeMs) throw new ApiError('INSERTFN_VALIDATION', `with granularity ${granularity} startTime may be at most ${limits.maxAgeMs / 3600_000} hours ago`, 'startTime')
      const groupBy = listParam(query, 'groupBy')
      unsupportedDimension('groupBy', groupBy)
      const filterKeys = Object.keys(query).filter((k) => k.startsWith('filter[') || k.startsWith('filter.')).map((k) => k.replace(/^filter[[.]/, '').replace(/[\]].*$|\..*$/, ''))
      unsupportedDimension('filter', filterKeys)
      const reasons = new Set(listParam(query, 'filter[discardReason]').concat(listParam(query, 'filter.discardReason')))
      const { count, cursor } = pagination(query)

      const destination = await deps.connections.getDestination(destinationId)
      if (destination.sourceId !== sourceId) throw new ApiError('INSERTFN_VALIDATION', `destination ${destinationId} belongs to source ${destination.sourceId}, not ${sourceId}`, 'destinationConfigId')

      // Buckets are aligned to the granularity from startTime, and every one is listed, zeros included, so a chart needs no gaps filled.
      const bucketCount = Math.ceil((to - from) / limits.ms)
      const bucketOf = (minute: string) => Math.floor((Date.parse(`${minute}:00Z`) - from) / limits.ms)
      const byReason = new Map<string, { counts: number[]; retries: number[] }>()
      const grouped = groupBy.includes('discardReason')
      for (const row of await deps.deliveries.counts(destinationId, new Date(from).toISOString(), new Date(to + 60_000).toISOString())) {
        if (row.status !== status) continue
        const i = bucketOf(row.bucket)
        if (i < 0 || i >= bucketCount) continue
        const retried = status === 'delivered' && row.detail === AFTER_RETRY
        const reason = status === 'delivered' ? '' : row.detail
        if (reasons.size > 0 && !reasons.has(reason)) continue
        const key = grouped ? reason : ''
        let entry = byReason.get(key)
        if (entry === undefined) byReason.set(key, (entry = { counts: new Array<number>(bucketCount).fill(0), retries: new Array<number>(bucketCount).fill(0) }))
        entry.counts[i]! += row.count
        if (retried) entry.retries[i]! += row.count
      }
      if (!grouped && byReason.size === 0) byReason.set('', { counts: new Array<number>(bucketCount).fill(0), retries: new Array<number>(bucketCount).fill(0) })
      const all: Dataset[] = [...byReason].sort((a, b) => a[0].localeCompare(b[0])).map(([reason, e]) => ({
        ...(grouped ? { discardReason: reason } : {}),
        total: e.counts.reduce((n, c) => n + c, 0),
        ...(status === 'delivered' ? { totalRetryCount: e.retries.reduce((n, c) => n + c, 0) } : {}),
        series: e.counts.map((c, i) => ({ time: new Date(from + i * limits.ms).toISOString(), count: c, ...(status === 'delivered' ? { retryCount: e.retries[i]! } : {}) })),
      }))
      const start = cursor === undefined ? 0 : Number(Buffer.from(cursor, 'base64url').toString())
      if (!Number.isInteger(start) || start < 0) throw new ApiError('INSERTFN_VALIDATION', 'pagination.cursor is not one this server gave out', 'pagination.cursor')
      const page = all.slice(start, start + count)
      const next = start + count < all.length ? Buffer.from(String(start + count)).toString('base64url') : undefined
      return {
        data: {
          total: all.reduce((n, d) => n + d.total, 0),
          dataset: page,
          pagination: paginationOutput(cursor, next, all.length),
        },
      }
    })
  }
}
