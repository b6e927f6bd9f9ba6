// /sources, /destinations and /insert-function-instances in the Segment Public API's shapes.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ConnectionStore, DestinationRecord, InstanceRecord, SourceRecord } from '../store/connection-store.js'
import { ApiError } from './api-errors.js'
import { paginationOutput } from './present.js'
import {
  CreateDestinationInput, CreateInstanceInput, CreateSourceInput, UpdateDestinationInput, UpdateInstanceInput, UpdateSourceInput, pagination,
} from './schemas.js'

const SOURCES_READ = { permissions: ['sources:read'] } as const
const SOURCES_WRITE = { permissions: ['sources:write'] } as const
const INSTANCES_READ = { permissions: ['functions:read'] } as const
// Connecting a function to a destination takes both rights, as in Segment.
const INSTANCES_WRITE = { permissions: ['functions:write', 'sources:write'] } as const

const actor = (req: FastifyRequest) => req.token?.name ?? 'unknown'
const logos = { default: '' }

function sourceV1(s: SourceRecord) {
  return {
    id: s.id,
    slug: s.slug,
    name: s.name,
    metadata: { id: 'insertfn-http', name: 'HTTP Tracking API', slug: 'http-api', description: 'Any Segment library, sending to /v1', logos, options: [], categories: ['Server'], isCloudEventSource: false },
    workspaceId: 'insertfn',
    enabled: s.enabled,
    writeKeys: s.writeKeys,
    settings: s.settings,
    labels: [],
  }
}

const DESTINATION_METADATA = {
  webhook: { name: 'Webhook', description: 'POSTs each event as JSON to a URL' },
  function: { name: 'Destination Function', description: 'Runs a deployed DESTINATION function for each event' },
} as const

function destinationV1(d: DestinationRecord, connections: ConnectionStore) {
  const meta = DESTINATION_METADATA[d.metadataId]
  return {
    id: d.id,
    name: d.name,
    enabled: d.enabled,
    metadata: {
      id: d.metadataId, name: meta.name, description: meta.description, slug: d.metadataId, logos, options: [], status: 'PUBLIC', previousNames: [],
      categories: [], website: '', components: [], supportedFeatures: {}, supportedMethods: {}, supportedPlatforms: {}, actions: [], presets: [],
    },
    sourceId: d.sourceId,
    settings: connections.maskedSettings(d),
  }
}

function instanceAlpha(i: InstanceRecord, connections: ConnectionStore) {
  return {
    id: i.id, name: i.name, integrationId: i.destinationId, classId: i.functionId, enabled: i.enabled, createdAt: i.createdAt, updatedAt: i.updatedAt,
    settings: i.settings, encryptedSettings: connections.maskedSecrets(i),
  }
}

/** A page of a list already in id order, with the last id as the cursor. */
function page<T extends { id: string }>(items: T[], query: Record<string, unknown>) {
  const p = pagination(query)
  const start = p.cursor === undefined ? 0 : items.findIndex((i) => i.id > p.cursor!)
  const slice = start === -1 ? [] : items.slice(start, start + p.count)
  const next = start !== -1 && start + p.count < items.length ? slice.at(-1)?.id : undefined
  return { slice, pagination: paginationOutput(p.cursor, next, items.length) }
}

type Id<K extends string> = { Params: Record<K, string> }

export async function connectionRoutes(app: FastifyInstance, deps: { connections: ConnectionStore }): Promise<void> {
  const c = deps.connections

  app.post('/sources', { config: { ...SOURCES_WRITE, body: CreateSourceInput, summary: 'Create a source (with a write key)' } }, async (req, reply) => {
    const input = CreateSourceInput.parse(req.body)
    const source = await c.createSource({ slug: input.slug, enabled: input.enabled, ...(input.name === undefined ? {} : { name: input.name }), ...(input.settings === undefined ? {} : { settings: input.settings }) }, actor(req))
    return reply.status(201).send({ data: { source: sourceV1(source) } })
  })
  app.get('/sources', { config: SOURCES_READ }, async (req) => {
    const { slice, pagination } = page(await c.listSources(), req.query as Record<string, unknown>)
    return { data: { sources: slice.map(sourceV1), pagination } }
  })
  app.get<Id<'sourceId'>>('/sources/:sourceId', { config: SOURCES_READ }, async (req) => ({ data: { source: sourceV1(await c.getSource(req.params.sourceId)), trackingPlanId: null } }))
  app.patch<Id<'sourceId'>>('/sources/:sourceId', { config: { ...SOURCES_WRITE, body: UpdateSourceInput } }, async (req) => {
    const input = UpdateSourceInput.parse(req.body ?? {})
    return { data: { source: sourceV1(await c.updateSource(req.params.sourceId, input, actor(req))) } }
  })
  app.delete<Id<'sourceId'>>('/sources/:sourceId', { config: SOURCES_WRITE }, async (req) => {
    await c.deleteSource(req.params.sourceId, actor(req))
    return { data: { status: 'SUCCESS' } }
  })
  app.post<Id<'sourceId'>>('/sources/:sourceId/writekey', { config: SOURCES_WRITE }, async (req) => ({ data: { source: sourceV1(await c.addWriteKey(req.params.sourceId, actor(req))) } }))
  app.delete<Id<'sourceId' | 'writeKey'>>('/sources/:sourceId/writekey/:writeKey', { config: SOURCES_WRITE }, async (req) => {
    await c.removeWriteKey(req.params.sourceId, req.params.writeKey, actor(req))
    return { data: { status: 'SUCCESS' } }
  })

  app.post('/destinations', { config: { ...SOURCES_WRITE, body: CreateDestinationInput, summary: 'Create a webhook or function destination' } }, async (req) => {
    const input = CreateDestinationInput.parse(req.body)
    const d = await c.createDestination(
      { sourceId: input.sourceId, metadataId: input.metadataId, settings: input.settings, ...(input.name === undefined ? {} : { name: input.name }), ...(input.enabled === undefined ? {} : { enabled: input.enabled }) },
      actor(req),
    )
    return { data: { destination: destinationV1(d, c) } }
  })
  app.get('/destinations', { config: SOURCES_READ }, async (req) => {
    const { slice, pagination } = page(await c.listDestinations(), req.query as Record<string, unknown>)
    return { data: { destinations: slice.map((d) => destinationV1(d, c)), pagination } }
  })
  app.get<Id<'destinationId'>>('/destinations/:destinationId', { config: SOURCES_READ }, async (req) => ({ data: { destination: destinationV1(await c.getDestination(req.params.destinationId), c) } }))
  app.patch<Id<'destinationId'>>('/destinations/:destinationId', { config: { ...SOURCES_WRITE, body: UpdateDestinationInput } }, async (req) => {
    const input = UpdateDestinationInput.parse(req.body ?? {})
    return { data: { destination: destinationV1(await c.updateDestination(req.params.destinationId, input, actor(req)), c) } }
  })
  app.delete<Id<'destinationId'>>('/destinations/:destinationId', { config: SOURCES_WRITE }, async (req) => {
    await c.deleteDestination(req.params.destinationId, actor(req))
    return { data: { status: 'SUCCESS' } }
  })

  app.post('/insert-function-instances', { config: { ...INSTANCES_WRITE, body: CreateInstanceInput, summary: 'Connect a deployed insert function to a destination' } }, async (req) => {
    const input = CreateInstanceInput.parse(req.body)
    const i = await c.createInstance(input, actor(req))
    return { data: { insertFunctionInstance: instanceAlpha(i, c) } }
  })
  app.get('/insert-function-instances', { config: INSTANCES_READ }, async (req) => {
    const query = req.query as Record<string, unknown>
    if (typeof query.functionId !== 'string') throw new ApiError('INSERTFN_VALIDATION', 'functionId is required', 'functionId')
    const { slice, pagination } = page(await c.listInstances(query.functionId), query)
    return { data: { instances: slice.map((i) => instanceAlpha(i, c)), pagination } }
  })
  app.get<Id<'instanceId'>>('/insert-function-instances/:instanceId', { config: INSTANCES_READ }, async (req) => ({ data: { insertFunctionInstance: instanceAlpha(await c.getInstance(req.params.instanceId), c) } }))
  app.patch<Id<'instanceId'>>('/insert-function-instances/:instanceId', { config: { ...INSTANCES_WRITE, body: UpdateInstanceInput } }, async (req) => {
    const input = UpdateInstanceInput.parse(req.body)
    return { data: { insertFunctionInstance: instanceAlpha(await c.updateInstance(req.params.instanceId, input, actor(req)), c) } }
  })
  app.delete<Id<'instanceId'>>('/insert-function-instances/:instanceId', { config: INSTANCES_WRITE }, async (req) => {
    await c.deleteInstance(req.params.instanceId, actor(req))
    return { data: { status: 'SUCCESS' } }
  })
}
