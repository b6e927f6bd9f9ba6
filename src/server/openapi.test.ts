import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
before(async () => {
  s = await testServer()
})
after(() => s.close())

it('serves an OpenAPI document, without a token, built from the schemas that validate requests', async () => {
  const res = await s.app.inject({ method: 'GET', url: '/api/openapi.json' })
  assert.equal(res.statusCode, 200)
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required: string[]; properties: Record<string, unknown>; additionalProperties: boolean } }> }; description: string }>> }
  assert.equal(doc.openapi, '3.1.0')
  const create = doc.paths['/functions']!.post!
  const schema = create.requestBody!.content['application/json']!.schema
  assert.deepEqual(schema.required.sort(), ['code', 'displayName', 'resourceType'])
  assert.equal(schema.additionalProperties, false)
  assert.ok(doc.paths['/functions/{functionId}/versions/{versionId}']?.get)
  assert.ok(doc.paths['/destination/{destinationId}/filters']?.post?.requestBody)
})

it('every management route declares the permissions it needs', async () => {
  const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { description: string }>> }
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [`${method} ${path}`, op.description] as const))
  assert.ok(operations.length >= 25, `only ${operations.length} operations`)
  for (const [name, description] of operations) assert.match(description, /grant: (functions|sources|audit):|^Needs any valid token\.$/, name)
  // Only the route that tells a token what it may do is open to every token.
  assert.deepEqual(operations.filter(([, d]) => d === 'Needs any valid token.').map(([name]) => name), ['get /me'])
})
