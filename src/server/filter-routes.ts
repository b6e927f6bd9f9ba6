// /destination/{destinationId}/filters and /destination/filters/preview (note Segment's singular path).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { applyFilters } from '../fql/index.js'
import { compileFql, type FilterStore } from '../store/filter-store.js'
import { paginationOutput } from './present.js'
import { CreateFilterInput, PreviewFilterInput, UpdateFilterInput } from './schemas.js'

const READ = { permissions: ['sources:read'] } as const
const WRITE = { permissions: ['sources:write'] } as const
const actor = (req: FastifyRequest) => req.token?.name ?? 'unknown'

type Params = { Params: { destinationId: string; filterId: string } }

export async function filterRoutes(app: FastifyInstance, deps: { filters: FilterStore }): Promise<void> {
  const { filters } = deps

  app.post<Params>('/destination/:destinationId/filters', { config: { ...WRITE, body: CreateFilterInput, summary: 'Add a filter (FQL) to a destination' } }, async (req) => {
    const input = CreateFilterInput.parse(req.body)
    return { data: { filter: await filters.create(req.params.destinationId, input, actor(req)) } }
  })
  app.get<Params>('/destination/:destinationId/filters', { config: READ }, async (req) => {
    const list = await filters.list(req.params.destinationId)
    return { data: { filters: list, pagination: paginationOutput(undefined, undefined, list.length) } }
  })
  app.get<Params>('/destination/:destinationId/filters/:filterId', { config: READ }, async (req) => ({ data: { filter: await filters.get(req.params.destinationId, req.params.filterId) } }))
  app.patch<Params>('/destination/:destinationId/filters/:filterId', { config: { ...WRITE, body: UpdateFilterInput } }, async (req) => {
    const input = UpdateFilterInput.parse(req.body ?? {})
    return { data: { filter: await filters.update(req.params.destinationId, req.params.filterId, input, actor(req)) } }
  })
  app.delete<Params>('/destination/:destinationId/filters/:filterId', { config: WRITE }, async (req) => {
    await filters.remove(req.params.destinationId, req.params.filterId, actor(req))
    return { data: { status: 'SUCCESS' } }
  })

  // Try a filter on an event without saving it: the event as the destination would receive it, or null.
  app.post('/destination/filters/preview', { config: { ...READ, body: PreviewFilterInput, summary: 'Try a filter on an event' } }, async (req) => {
    const input = PreviewFilterInput.parse(req.body)
    const ir = compileFql(input.filter.if, 'filter.if')
    const outcome = applyFilters([{ id: 'preview', title: 'preview', ir, actions: input.filter.actions }], input.payload)
    return { data: { inputPayload: input.payload, result: outcome.kept ? outcome.event : null, ...(outcome.kept ? {} : { reason: outcome.reason, ...(outcome.detail === undefined ? {} : { detail: outcome.detail }) }) } }
  })
}
