// The HTTP server, built by a factory so tests can use inject() or listen on a real port. The management
// API is one encapsulated plugin under /api with its own auth; the tracking API is under /v1, the web UI at /.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { ZodError } from 'zod'
import type { Runtime } from '../runtime/index.js'
import type { AuditLog } from '../store/audit-log.js'
import type { ConnectionStore } from '../store/connection-store.js'
import type { FilterStore } from '../store/filter-store.js'
import { ConflictError, InvalidInputError } from '../store/invalid-input.js'
import { NotFoundError, type FunctionStore } from '../store/function-store.js'
import type { TokenInfo, TokenStore } from '../store/token-store.js'
import { ApiError } from './api-errors.js'
import { auditRoutes } from './audit-routes.js'
import { connectionRoutes } from './connection-routes.js'
import { filterRoutes } from './filter-routes.js'
import { deliveryOverviewRoutes } from './delivery-overview-routes.js'
import { deliveryRoutes } from './delivery-routes.js'
import type { DeliveryLog } from '../store/delivery-log.js'
import { trackingRoutes } from './tracking-routes.js'
import { staticUi } from './static-ui.js'
import { uiRoutes } from './ui-routes.js'
import type { JobQueue } from '../queue/queue.js'
import { functionRoutes } from './function-routes.js'
import { openApiDocument, routeCollector } from './openapi.js'
import type { Metrics } from './metrics.js'
import { missingPermissions, type Permission } from './permissions.js'

export interface ServerDeps {
  functions: FunctionStore
  connections: ConnectionStore
  filters: FilterStore
  audit: AuditLog
  /** Where accepted events go, one job per destination. */
  queue: JobQueue
  deliveries: DeliveryLog
  /** See TrackingDeps.maxQueueDepth. */
  maxQueueDepth?: number
  /** Prometheus metrics, served at /metrics when given. */
  metrics?: Metrics
  tokens: TokenStore
  runtime: Runtime
  /** pino logger options, or false for none (tests). */
  logger?: boolean | object
  /** The built web UI to serve at /. @defaultValue dist/web */
  uiDir?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    token?: TokenInfo
  }
  interface FastifyContextConfig {
    /** What the caller's token must grant. Every management route sets this. */
    permissions?: readonly Permission[]
    /** The zod schema the handler validates the body with, for the OpenAPI description. */
    body?: import('zod').ZodType
    summary?: string
  }
}

const BODY_LIMIT = 2 * 1024 * 1024

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof ZodError) {
    const issue = err.issues[0]!
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined)
    const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` : `${field ?? 'body'}: ${issue.message}`
    return new ApiError('INSERTFN_VALIDATION', message, field)
  }
  if (err instanceof NotFoundError) return new ApiError('INSERTFN_NOT_FOUND', err.message, `${err.resource}Id`)
  if (err instanceof InvalidInputError) return new ApiError('INSERTFN_VALIDATION', err.message, err.field)
  if (err instanceof ConflictError) return new ApiError('INSERTFN_CONFLICT', err.message, err.field)
  const fe = err as FastifyError
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INSERTFN_BAD_JSON', `the request body is not valid JSON: ${fe.message}`)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('INSERTFN_PAYLOAD_TOO_LARGE', `the request body is over ${BODY_LIMIT} bytes`)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('INSERTFN_UNSUPPORTED_MEDIA_TYPE', `send JSON (Content-Type: application/json): ${fe.message}`)
  }
  if (fe.statusCode === 400 && fe.validation === undefined && typeof fe.message === 'string') return new ApiError('INSERTFN_VALIDATION', fe.message)
  return new ApiError('INSERTFN_INTERNAL', 'internal error; see the server log')
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: BODY_LIMIT })

  // The API speaks JSON only (Segment's vendor media types are JSON too); anything else is a 415.
  app.removeContentTypeParser('text/plain')
  // An empty body with a JSON Content-Type is no body: clients (curl with a default header, some SDKs) send
  // one on requests that take none, such as a deploy. A route that needs a body says so by its validation.
  const json = app.getDefaultJsonParser('error', 'error')
  const jsonOrNothing: typeof json = (req, body, done) => (body === '' ? done(null, undefined) : json(req, body, done))
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonOrNothing)
  app.addContentTypeParser(/^application\/vnd\.segment\.[a-z0-9]+\+json$/, { parseAs: 'string' }, jsonOrNothing)

  app.setErrorHandler((err, req, reply) => {
    const api = toApiError(err)
    if (api.status >= 500) req.log.error({ err }, 'request failed')
    return reply.status(api.status).send(api.toBody())
  })
  app.setNotFoundHandler((req, reply) => {
    const api = new ApiError('INSERTFN_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)
    return reply.status(404).send(api.toBody())
  })

  const collector = routeCollector()
  app.addHook('onRoute', collector.onRoute)
  // Documentation is public: it holds no data.
  app.get('/api/openapi.json', async () => openApiDocument(collector.routes, '0.1.0'))

  const metrics = deps.metrics
  app.register(trackingRoutes, {
    prefix: '/v1',
    connections: deps.connections,
    queue: deps.queue,
    ...(deps.maxQueueDepth === undefined ? {} : { maxQueueDepth: deps.maxQueueDepth }),
    ...(metrics === undefined ? {} : { onAccepted: (source: string, n: number, rejected: { field: string }[]) => {
      metrics.received(source, n)
      for (const r of rejected) metrics.rejected(source, r.field)
    } }),
  })
  if (metrics !== undefined) {
    app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()))
  }

  app.register(
    async (api) => {
      api.addHook('onRequest', async (req: FastifyRequest) => authenticate(req, deps.tokens))
      api.addHook('preHandler', async (req: FastifyRequest, _reply: FastifyReply) => authorize(req))
      await api.register(functionRoutes, { functions: deps.functions, runtime: deps.runtime })
      await api.register(auditRoutes, { audit: deps.audit })
      await api.register(connectionRoutes, { connections: deps.connections })
      await api.register(filterRoutes, { filters: deps.filters })
      await api.register(deliveryRoutes, { deliveries: deps.deliveries, connections: deps.connections, queue: deps.queue })
      await api.register(deliveryOverviewRoutes, { deliveries: deps.deliveries, connections: deps.connections })
      await api.register(uiRoutes, { runtime: deps.runtime })
    },
    { prefix: '/api' },
  )
  app.register(staticUi, deps.uiDir === undefined ? {} : { dir: deps.uiDir })
  return app
}

async function authenticate(req: FastifyRequest, tokens: TokenStore): Promise<void> {
  const header = req.headers.authorization
  if (header === undefined) throw new ApiError('INSERTFN_UNAUTHENTICATED', 'send a token: Authorization: Bearer <token>')
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (match === null) throw new ApiError('INSERTFN_UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"')
  const token = await tokens.verify(match[1]!)
  if (token === undefined) throw new ApiError('INSERTFN_UNAUTHENTICATED', 'this token is not valid')
  req.token = token
}

function authorize(req: FastifyRequest): void {
  const needed = req.routeOptions.config.permissions
  // A route without declared permissions is a mistake: refuse rather than allow.
  if (needed === undefined) throw new ApiError('INSERTFN_FORBIDDEN', 'this route declares no permissions')
  const missing = missingPermissions(req.token?.roles ?? [], needed)
  if (missing.length > 0) {
    throw new ApiError('INSERTFN_FORBIDDEN', `this token's roles (${(req.token?.roles ?? []).join(', ') || 'none'}) do not grant ${missing.join(', ')}`)
  }
}
