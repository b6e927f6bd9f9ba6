// Delivery records of a destination: counts per outcome, and the recent events with their details.
import type { FastifyInstance } from 'fastify'
import type { ConnectionStore } from '../store/connection-store.js'
import type { DeliveryLog } from '../store/delivery-log.js'
import type { JobQueue } from '../queue/queue.js'
import { z } from 'zod'
import { ApiError } from './api-errors.js'
import { pagination } from './schemas.js'

const STATUSES = ['delivered', 'filtered', 'retrying', 'failed']
// Records hold events (and so personal data): reading them takes the right to read sources.
const READ = { permissions: ['sources:read'] } as const

const ReplayInput = z
  .strictObject({ since: z.iso.datetime().optional(), until: z.iso.datetime().optional(), messageId: z.string().min(1).max(200).optional() })
  .refine((r) => r.since === undefined || r.until === undefined || Date.parse(r.since) < Date.parse(r.until), { message: 'since must be before until', path: ['until'] })

export async function deliveryRoutes(app: FastifyInstance, deps: { deliveries: DeliveryLog; connections: ConnectionStore; queue: JobQueue }): Promise<void> {
  // After fixing a function or a destination: failed events go back to the queue, all of them, those that
  // failed in a time range, or one event by its messageId.
  app.post<{ Params: { destinationId: string } }>('/destinations/:destinationId/replay', { config: { permissions: ['sources:write'], body: ReplayInput, summary: 'Queue the failed events of a destination again: all, those that failed in a range ({since?, until?}), or one ({messageId})' } }, async (req) => {
    await deps.connections.getDestination(req.params.destinationId)
    const input = ReplayInput.parse(req.body ?? {})
    const replayed = await deps.queue.replay(req.params.destinationId, {
      ...(input.since === undefined ? {} : { since: Date.parse(input.since) }),
      ...(input.until === undefined ? {} : { until: Date.parse(input.until) }),
      ...(input.messageId === undefined ? {} : { messageId: input.messageId }),
    })
    if (input.messageId !== undefined && replayed === 0) {
      throw new ApiError('INSERTFN_NOT_FOUND', `no failed event with messageId ${input.messageId} is waiting for replay on this destination (replayed already, or it did not fail)`, 'messageId')
    }
    return { data: { replayed } }
  })

  app.get<{ Params: { destinationId: string } }>('/destinations/:destinationId/events', { config: { ...READ, summary: 'The most recent delivery records of a destination (?status=delivered|filtered|retrying|failed)' } }, async (req) => {
    await deps.connections.getDestination(req.params.destinationId)
    const query = req.query as Record<string, unknown>
    const status = query.status
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status))) {
      throw new ApiError('INSERTFN_VALIDATION', `status must be one of ${STATUSES.join(', ')}`, 'status')
    }
    const { count } = pagination(query)
    const events = await deps.deliveries.recent(req.params.destinationId, { count, ...(status === undefined ? {} : { status: status as string }) })
    return { data: { events } }
  })

  app.get<{ Params: { destinationId: string } }>('/destinations/:destinationId/delivery-metrics', { config: { ...READ, summary: 'Delivery counts per minute and outcome (?startTime&endTime)' } }, async (req) => {
    await deps.connections.getDestination(req.params.destinationId)
    const query = req.query as Record<string, unknown>
    const from = typeof query.startTime === 'string' ? query.startTime : undefined
    const to = typeof query.endTime === 'string' ? query.endTime : undefined
    const buckets = await deps.deliveries.counts(req.params.destinationId, from, to)
    const totals: Record<string, number> = {}
    const byDetail: Record<string, Record<string, number>> = {}
    for (const b of buckets) {
      totals[b.status] = (totals[b.status] ?? 0) + b.count
      if (b.detail !== '') (byDetail[b.status] ??= {})[b.detail] = ((byDetail[b.status] ?? {})[b.detail] ?? 0) + b.count
    }
    return { data: { destinationId: req.params.destinationId, totals, byDetail, buckets } }
  })
}
