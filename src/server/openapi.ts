// /api/openapi.json: an OpenAPI 3.1 description made from the routes as registered: their permissions,
// and the very zod schemas the handlers validate request bodies with.
import type { RouteOptions } from 'fastify'
import { z } from 'zod'
import { API_ERRORS } from './api-errors.js'

export interface DocumentedRoute {
  method: string
  url: string
  summary?: string
  body?: z.ZodType
  permissions?: readonly string[]
}

/** Collects routes as Fastify registers them (add it as an onRoute hook before the routes). */
export function routeCollector(): { routes: DocumentedRoute[]; onRoute: (route: RouteOptions) => void } {
  const routes: DocumentedRoute[] = []
  return {
    routes,
    onRoute(route) {
      const config = (route.config ?? {}) as { permissions?: readonly string[]; body?: z.ZodType; summary?: string }
      for (const method of [route.method].flat()) {
        if (method === 'HEAD' || !route.url.startsWith('/api/')) continue
        routes.push({ method, url: route.url, ...(config.summary ? { summary: config.summary } : {}), ...(config.body ? { body: config.body } : {}), ...(config.permissions ? { permissions: config.permissions } : {}) })
      }
    },
  }
}

const errorBody = {
  type: 'object',
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'message', 'code'],
        properties: { type: { type: 'string' }, message: { type: 'string' }, code: { type: 'string', enum: Object.keys(API_ERRORS) }, field: { type: 'string' } },
      },
    },
  },
}

export function openApiDocument(routes: DocumentedRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    if (route.url === '/api/openapi.json') continue
    const path = route.url.replace(/^\/api/, '').replace(/:(\w+)/g, '{$1}')
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }))
    const operation: Record<string, unknown> = {
      ...(route.summary ? { summary: route.summary } : {}),
      description: (route.permissions ?? []).length === 0 ? 'Needs any valid token.' : `Needs a token whose roles grant: ${route.permissions!.join(', ')}.`,
      security: [{ bearer: [] }],
      ...(params.length > 0 ? { parameters: params } : {}),
      responses: {
        '200': { description: 'OK: { data: { ... } } in the Segment Public API shape' },
        default: { description: 'An error', content: { 'application/json': { schema: errorBody } } },
      },
    }
    if (route.body !== undefined) {
      const { $schema: _ignored, ...schema } = z.toJSONSchema(route.body, { unrepresentable: 'any' }) as Record<string, unknown>
      operation.requestBody = { required: true, content: { 'application/json': { schema } } }
    }
    ;(paths[path] ??= {})[route.method.toLowerCase()] = operation
  }
  return {
    openapi: '3.1.0',
    info: { title: 'insertfn management API', version, description: 'Request and response shapes follow the Segment Public API.' },
    servers: [{ url: '/api' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  }
}
