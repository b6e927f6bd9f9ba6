// /functions: Segment Public API functions endpoints (v1 and the alpha version endpoints), and previews.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FunctionLoadError, type Runtime } from '../runtime/index.js'
import type { FunctionStore, ResourceType } from '../store/function-store.js'
import { ApiError } from './api-errors.js'
import { functionV1, listItemV1, paginationOutput, versionAlpha } from './present.js'
import { CreateFunctionInput, DeployInput, InlinePreviewInput, PreviewInput, RestoreVersionInput, UpdateFunctionInput, pagination } from './schemas.js'

interface Deps {
  functions: FunctionStore
  runtime: Runtime
}

const READ = { permissions: ['functions:read'] } as const
const WRITE = { permissions: ['functions:write'] } as const
const DEPLOY = { permissions: ['functions:write', 'functions:deploy'] } as const

type IdParams = { functionId: string }

const kindOf = (t: ResourceType) => (t === 'DESTINATION' ? 'destination' : 'insert') as 'insert' | 'destination'

function author(req: FastifyRequest): string {
  return req.token?.name ?? 'unknown'
}

function supported(resourceType: string): ResourceType {
  if (resourceType === 'SOURCE') {
    throw new ApiError('INSERTFN_VALIDATION', 'resourceType SOURCE is not supported: insertfn runs INSERT_DESTINATION and DESTINATION functions', 'resourceType')
  }
  return resourceType as ResourceType
}

export async function functionRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { functions, runtime } = deps

  /** Code that does not load is refused at save, naming the line and column. */
  async function checkLoads(code: string, resourceType: ResourceType): Promise<void> {
    try {
      const fn = await runtime.load(code, { kind: kindOf(resourceType), name: 'function' })
      await fn.dispose()
    } catch (err) {
      if (err instanceof FunctionLoadError) throw new ApiError('INSERTFN_CODE_DOES_NOT_LOAD', `code does not load: ${err.message}`, 'code')
      throw err
    }
  }

  async function preview(code: string, resourceType: ResourceType, body: { event?: Record<string, unknown>; events?: Record<string, unknown>[]; settings?: Record<string, unknown> }) {
    let fn
    try {
      fn = await runtime.load(code, { kind: kindOf(resourceType), name: 'function' })
    } catch (err) {
      if (err instanceof FunctionLoadError) throw new ApiError('INSERTFN_CODE_DOES_NOT_LOAD', `code does not load: ${err.message}`, 'code')
      throw err
    }
    try {
      const settings = body.settings ?? {}
      return body.events !== undefined ? await fn.invokeBatch(body.events, settings) : await fn.invoke(body.event!, settings)
    } finally {
      await fn.dispose()
    }
  }

  app.post('/functions', { config: { ...WRITE, body: CreateFunctionInput, summary: 'Create a function' } }, async (req) => {
    const input = CreateFunctionInput.parse(req.body)
    const resourceType = supported(input.resourceType)
    await checkLoads(input.code, resourceType)
    const fn = await functions.create({
      resourceType,
      displayName: input.displayName,
      description: input.description ?? '',
      logoUrl: input.logoUrl ?? null,
      code: input.code,
      settings: input.settings ?? [],
      author: author(req),
    })
    return { data: { function: functionV1(fn) } }
  })

  app.get('/functions', { config: { ...READ, summary: 'List functions of a resourceType' } }, async (req) => {
    const query = req.query as Record<string, unknown>
    if (typeof query.resourceType !== 'string') throw new ApiError('INSERTFN_VALIDATION', 'resourceType is required: INSERT_DESTINATION or DESTINATION', 'resourceType')
    if (!['INSERT_DESTINATION', 'DESTINATION', 'SOURCE'].includes(query.resourceType)) {
      throw new ApiError('INSERTFN_VALIDATION', `resourceType must be INSERT_DESTINATION or DESTINATION, not ${query.resourceType}`, 'resourceType')
    }
    const resourceType = supported(query.resourceType)
    const page = pagination(query)
    const result = await functions.list(resourceType, page.count, page.cursor)
    return { data: { functions: result.items.map(listItemV1), pagination: paginationOutput(page.cursor, result.next, result.total) } }
  })

  app.get<{ Params: IdParams }>('/functions/:functionId', { config: { ...READ, summary: 'Get a function' } }, async (req) => {
    return { data: { function: functionV1(await functions.get(req.params.functionId)) } }
  })

  app.patch<{ Params: IdParams }>('/functions/:functionId', { config: { ...WRITE, body: UpdateFunctionInput, summary: 'Save: update a function (a change of code or settings is a new LATEST version)' } }, async (req) => {
    const input = UpdateFunctionInput.parse(req.body ?? {})
    const current = await functions.get(req.params.functionId)
    if (input.code !== undefined) await checkLoads(input.code, current.resourceType)
    const fn = await functions.update(req.params.functionId, input, author(req))
    return { data: { function: functionV1(fn) } }
  })

  app.delete<{ Params: IdParams }>('/functions/:functionId', { config: { ...WRITE, summary: 'Delete a function' } }, async (req) => {
    await functions.delete(req.params.functionId, author(req))
    return { data: { status: 'SUCCESS' } }
  })

  app.post<{ Params: IdParams }>('/functions/:functionId/deploy', { config: { ...DEPLOY, summary: 'Save & Deploy: LATEST becomes DEPLOYED; instances (all, or instanceIds) move to it' } }, async (req) => {
    const input = DeployInput.parse(req.body ?? undefined)
    await functions.deploy(req.params.functionId, author(req), input?.instanceIds)
    return { data: { functionDeployment: { status: 'SUCCESS' } } }
  })

  app.get<{ Params: IdParams }>('/functions/:functionId/versions', { config: { ...READ, summary: 'List versions, newest first' } }, async (req) => {
    const fn = await functions.get(req.params.functionId)
    const versions = await functions.versions(fn.id)
    const page = pagination(req.query as Record<string, unknown>)
    const start = page.cursor === undefined ? 0 : Math.max(0, versions.findIndex((v) => v.id === page.cursor) + 1)
    const slice = versions.slice(start, start + page.count)
    const next = start + page.count < versions.length ? slice.at(-1)?.id : undefined
    return { data: { versions: slice.map((v) => versionAlpha(v, fn)), pagination: paginationOutput(page.cursor, next, versions.length) } }
  })

  app.get<{ Params: IdParams & { versionId: string } }>('/functions/:functionId/versions/:versionId', { config: { ...READ, summary: 'Get a version' } }, async (req) => {
    const fn = await functions.get(req.params.functionId)
    return { data: { version: versionAlpha(await functions.version(fn.id, req.params.versionId), fn) } }
  })

  app.post<{ Params: IdParams }>('/functions/:functionId/versions', { config: { ...WRITE, body: RestoreVersionInput, summary: 'Restore a version as the new LATEST' } }, async (req) => {
    const input = RestoreVersionInput.parse(req.body)
    const restored = await functions.restore(req.params.functionId, input.versionId, author(req))
    return { data: { version: versionAlpha(restored, await functions.get(req.params.functionId)) } }
  })

  app.post<{ Params: IdParams }>('/functions/:functionId/preview', { config: { ...READ, body: PreviewInput, summary: 'Run the LATEST code on an event or events' } }, async (req) => {
    const input = PreviewInput.parse(req.body)
    const fn = await functions.get(req.params.functionId)
    return { data: { result: await preview(fn.latest.code, fn.resourceType, input) } }
  })

  // Running code that is not saved anywhere takes the right to write functions.
  app.post('/functions/preview', { config: { ...WRITE, body: InlinePreviewInput, summary: 'Run inline code on an event or events' } }, async (req) => {
    const input = InlinePreviewInput.parse(req.body)
    return { data: { result: await preview(input.code, input.resourceType, input) } }
  })
}
