// Read-only helpers the web UI needs and the Segment Public API has no shape for: who the token is, and
// whether code loads (so the editor can mark load errors at their line while the user types).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { FunctionLoadError, type Runtime } from '../runtime/index.js'
import { grantedPermissions } from './permissions.js'
import { MAX_CODE_BYTES } from './schemas.js'

const CheckCodeInput = z.strictObject({
  code: z.string().refine((c) => Buffer.byteLength(c) <= MAX_CODE_BYTES, { message: `code must be at most ${MAX_CODE_BYTES} bytes (1 MB)` }),
  resourceType: z.enum(['INSERT_DESTINATION', 'DESTINATION']).default('INSERT_DESTINATION'),
})

export async function uiRoutes(app: FastifyInstance, deps: { runtime: Runtime }): Promise<void> {
  // Any valid token may ask what it may do; an empty permission list still needs authentication.
  app.get('/me', { config: { permissions: [], summary: 'The calling token: name, roles and the permissions they grant' } }, async (req) => {
    const token = req.token!
    return { data: { token: { id: token.id, name: token.name, roles: token.roles }, permissions: grantedPermissions(token.roles) } }
  })

  // Loading runs the code's top level in the sandbox, so this takes the right to write functions, like preview.
  app.post('/functions/check', { config: { permissions: ['functions:write'], body: CheckCodeInput, summary: 'Check that code loads; load errors come with line and column' } }, async (req) => {
    const input = CheckCodeInput.parse(req.body)
    try {
      const fn = await deps.runtime.load(input.code, { kind: input.resourceType === 'DESTINATION' ? 'destination' : 'insert', name: 'function' })
      await fn.dispose()
      return { data: { loads: true } }
    } catch (err) {
      if (!(err instanceof FunctionLoadError)) throw err
      return { data: { loads: false, error: { message: err.message, ...(err.line === undefined ? {} : { line: err.line, column: err.column ?? 1 }) } } }
    }
  })
}
