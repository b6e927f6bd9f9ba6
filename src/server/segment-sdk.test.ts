// The whole function lifecycle driven by Segment's own published SDK, over real HTTP, against a running
// insertfn: what someone migrating from Segment would do.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import segment from '@segment/public-api-sdk-typescript'
import { testServer, type TestServer } from '../testing/server.js'

let s: TestServer
let functionsApi: InstanceType<typeof segment.FunctionsApi>
before(async () => {
  s = await testServer()
  const address = await s.app.listen({ port: 0, host: '127.0.0.1' })
  functionsApi = new segment.FunctionsApi(`${address}/api`)
  functionsApi.accessToken = s.tokens['Workspace Owner']
})
after(() => s.close())

const V1 = 'async function onTrack(event, settings) { event.properties.v = 1; return event }'
const V2 = 'async function onTrack(event, settings) { event.properties.v = 2; return event }'

it('the lifecycle through @segment/public-api-sdk-typescript: function, versions, restore, source, webhook, deploy, instance, audit, delete', async () => {
  const created = await functionsApi.createFunction({
    code: V1,
    displayName: 'Enrich orders',
    resourceType: segment.CreateFunctionV1Input.ResourceTypeEnum.INSERT_DESTINATION,
    description: 'adds v',
    settings: [{ name: 'apiKey', label: 'API key', description: 'CRM key', type: segment.FunctionSettingV1.TypeEnum.STRING, required: true, sensitive: true }],
  })
  const fn = created.body.data!.function
  assert.match(fn.id!, /^ifnd_/)
  assert.equal(fn.code, V1)
  assert.equal(fn.settings![0]!.name, 'apiKey')

  const saved = await functionsApi.updateFunction(fn.id!, { code: V2, displayName: 'Enrich orders v2' })
  assert.equal(saved.body.data!.function.code, V2)
  assert.equal(saved.body.data!.function.displayName, 'Enrich orders v2')

  const versions = await functionsApi.listFunctionVersions(fn.id!, { count: 10 })
  assert.deepEqual(versions.body.data!.versions.map((v) => v.code), [V2, V1])
  assert.equal(versions.body.data!.pagination.totalEntries, 2)

  const first = versions.body.data!.versions[1]!
  const restored = await functionsApi.restoreFunctionVersion(fn.id!, { versionId: first.id })
  assert.equal(restored.body.data!.version.code, V1)

  const one = await functionsApi.getFunctionVersion(fn.id!, restored.body.data!.version.id)
  assert.equal(one.body.data!.version.isDeployed, false)

  // A source with a webhook destination, and the function connected to it.
  const sourcesApi = new segment.SourcesApi(functionsApi.basePath)
  sourcesApi.accessToken = s.tokens['Workspace Owner']
  const source = (await sourcesApi.createSource({ slug: 'checkout-web', enabled: true, metadataId: 'IqDTy1TpoU' })).body.data!.source
  assert.equal(source.writeKeys.length, 1)
  const destinationsApi = new segment.DestinationsApi(functionsApi.basePath)
  destinationsApi.accessToken = s.tokens['Workspace Owner']
  const destination = (await destinationsApi.createDestination({ sourceId: source.id, metadataId: 'webhook', name: 'Orders hook', settings: { url: 'https://hooks.example.com/orders', headers: { Authorization: 'Bearer hook-secret-123456' } } })).body.data!.destination
  assert.equal(destination.sourceId, source.id)
  assert.equal((destination.settings.headers as Record<string, string>).Authorization, '••••3456')

  const filtersApi = new segment.DestinationFiltersApi(functionsApi.basePath)
  filtersApi.accessToken = s.tokens['Workspace Owner']
  const filter = (await filtersApi.createFilterForDestination(destination.id, {
    sourceId: source.id, title: 'No test users', if: "match(userId, 'test-*')", enabled: true,
    actions: [{ type: segment.DestinationFilterActionV1.TypeEnum.DROP }],
  })).body.data!.filter
  assert.equal(filter.destinationId, destination.id)
  const preview = await filtersApi.previewDestinationFilter({ filter: { if: "match(userId, 'test-*')", actions: [{ type: segment.DestinationFilterActionV1.TypeEnum.DROP }] }, payload: { type: 'track', userId: 'test-7' } })
  assert.equal(preview.body.data!.result, null)
  const badFql = await filtersApi.createFilterForDestination(destination.id, { sourceId: source.id, title: 'bad', if: 'userId = oops"', enabled: true, actions: [{ type: segment.DestinationFilterActionV1.TypeEnum.DROP }] }).catch((e: { statusCode: number; body: { errors: { field: string }[] } }) => e)
  assert.deepEqual([(badFql as { statusCode: number }).statusCode, (badFql as { body: { errors: { field: string }[] } }).body.errors[0]!.field], [400, 'if'])

  const notYet = await functionsApi.createInsertFunctionInstance({ functionId: fn.id!, integrationId: destination.id, name: 'orders', settings: { apiKey: 'k' } }).catch((e: { statusCode: number }) => e)
  assert.equal((notYet as { statusCode: number }).statusCode, 400) // never deployed

  const deployed = await functionsApi.createFunctionDeployment(fn.id!)
  assert.equal(String(deployed.body.data!.functionDeployment.status), 'SUCCESS')
  const afterDeploy = await functionsApi.getFunctionVersion(fn.id!, restored.body.data!.version.id)
  assert.equal(afterDeploy.body.data!.version.isDeployed, true)
  assert.ok(afterDeploy.body.data!.version.deployedAt)

  const instance = (await functionsApi.createInsertFunctionInstance({ functionId: fn.id!, integrationId: destination.id, name: 'orders', enabled: true, settings: { apiKey: 'crm-key-abcdef123456' } })).body.data!.insertFunctionInstance
  assert.deepEqual([instance.classId, instance.integrationId, instance.enabled], [fn.id, destination.id, true])
  assert.deepEqual(instance.encryptedSettings, { apiKey: '••••3456' })
  const updated = (await functionsApi.updateInsertFunctionInstance(instance.id, { enabled: false, settings: {} })).body.data!.insertFunctionInstance
  assert.equal(updated.enabled, false)
  assert.deepEqual(updated.encryptedSettings, { apiKey: '••••3456' }) // a secret left out is kept
  const instances = (await functionsApi.listInsertFunctionInstances({ count: 10 }, fn.id!)).body.data!.instances
  assert.deepEqual(instances.map((i) => i.id), [instance.id])
  assert.equal(String((await functionsApi.deleteInsertFunctionInstance(instance.id)).body.data!.status), 'SUCCESS')

  const got = await functionsApi.getFunction(fn.id!)
  assert.equal(got.body.data!.function!.code, V1)
  assert.ok(got.body.data!.function!.deployedAt)

  const listed = await functionsApi.listFunctions({ count: 100 }, 'INSERT_DESTINATION')
  assert.ok(listed.body.data!.functions.some((f) => f.id === fn.id && f.displayName === 'Enrich orders v2'))

  const audit = new segment.AuditTrailApi(functionsApi.basePath)
  audit.accessToken = s.tokens['Workspace Owner']
  const trail = await audit.listAuditEvents({ count: 10 }, undefined, undefined, fn.id!)
  assert.deepEqual(trail.body.data!.events.map((e) => e.type), ['Function Deployed', 'Function Version Restored', 'Function Updated', 'Function Created'])
  assert.ok(trail.body.data!.events.every((e) => e.actor === 'Workspace Owner' && e.resourceId === fn.id && e.resourceType === 'Function'))
  const everything = await audit.listAuditEvents({ count: 100 })
  const types = everything.body.data!.events.map((e) => e.type)
  for (const t of ['Source Created', 'Destination Created', 'Destination Filter Created', 'Insert Function Instance Created', 'Insert Function Instance Updated', 'Insert Function Instance Deleted']) assert.ok(types.includes(t), t)
  assert.doesNotMatch(JSON.stringify(everything.body), /crm-key-abcdef123456|hook-secret-123456/)

  const deleted = await functionsApi.deleteFunction(fn.id!)
  assert.equal(String(deleted.body.data!.status), 'SUCCESS')

  const gone = await functionsApi.getFunction(fn.id!).catch((e: { name: string; statusCode: number; body: { errors: { type: string; message: string }[] } }) => e)
  assert.equal((gone as { name: string }).name, 'HttpError')
  assert.equal((gone as { statusCode: number }).statusCode, 404)
  assert.match((gone as { body: { errors: { message: string }[] } }).body.errors[0]!.message, /does not exist/)
})

it('the SDK gets a 403 with a reason for a role that may not act, and 401 without a token', async () => {
  const readOnly = new segment.FunctionsApi(functionsApi.basePath)
  readOnly.accessToken = s.tokens['Functions Read-only']
  const refused = await readOnly
    .createFunction({ code: V1, displayName: 'x', resourceType: segment.CreateFunctionV1Input.ResourceTypeEnum.INSERT_DESTINATION })
    .catch((e: { statusCode: number; body: { errors: { message: string }[] } }) => e)
  assert.equal((refused as { statusCode: number }).statusCode, 403)
  assert.match((refused as { body: { errors: { message: string }[] } }).body.errors[0]!.message, /Functions Read-only\) do not grant functions:write/)
  const anonymous = new segment.FunctionsApi(functionsApi.basePath)
  const noToken = await anonymous.listFunctions({ count: 1 }, 'INSERT_DESTINATION').catch((e: { statusCode: number }) => e)
  assert.equal((noToken as { statusCode: number }).statusCode, 401)
})
