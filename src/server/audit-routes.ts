// GET /audit-events: the audit trail, newest first, as the Public API's AuditTrailApi lists it.
import type { FastifyInstance } from 'fastify'
import type { AuditLog } from '../store/audit-log.js'
import { ApiError } from './api-errors.js'
import { paginationOutput } from './present.js'
import { pagination } from './schemas.js'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

export async function auditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): Promise<void> {
  app.get('/audit-events', { config: { permissions: ['audit:read'] } }, async (req) => {
    const query = req.query as Record<string, unknown>
    const page = pagination(query)
    const cursor = page.cursor === undefined ? undefined : Number(page.cursor)
    if (cursor !== undefined && !Number.isInteger(cursor)) throw new ApiError('INSERTFN_VALIDATION', 'pagination.cursor is not a cursor this API gave', 'pagination.cursor')
    const filters: Record<string, string> = {}
    for (const key of ['startTime', 'endTime', 'resourceId', 'resourceType'] as const) {
      const value = query[key]
      if (value === undefined) continue
      if (typeof value !== 'string') throw new ApiError('INSERTFN_VALIDATION', `${key} must be given once`, key)
      if ((key === 'startTime' || key === 'endTime') && !ISO.test(value)) throw new ApiError('INSERTFN_VALIDATION', `${key} must be an ISO-8601 UTC time such as 2026-11-27T07:00:00Z`, key)
      filters[key] = value
    }
    const { events, next } = await deps.audit.list({ count: page.count, ...(cursor === undefined ? {} : { cursor }), ...filters })
    return { data: { events, pagination: paginationOutput(page.cursor, next === undefined ? undefined : String(next)) } }
  })
}
