// The UI shows only what a token's roles allow, and puts the server's refusals where the user acted.
// The server is built in this process (src/testing/server.ts) because it holds a token for every role;
// it serves the real built UI from dist/web.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { testServer, type TestServer } from '../src/testing/server.js'
import { launchChromium, screenshotDir, type LaunchedBrowser, type Page } from './browser.js'
import { until } from '../src/testing/until.js'

let s: TestServer
let address: string
let browser: LaunchedBrowser
let functionId: string

before(async () => {
  s = await testServer()
  await s.app.listen({ port: 0, host: '127.0.0.1' })
  address = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`
  const res = await s.app.inject({
    method: 'POST', url: '/api/functions', headers: { authorization: `Bearer ${s.tokens['Workspace Owner']}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ resourceType: 'INSERT_DESTINATION', displayName: 'Mask emails', code: 'async function onTrack(e) { return e }' }),
  })
  functionId = (res.json() as { data: { function: { id: string } } }).data.function.id
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await s?.close()
})

async function signIn(token: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await browser.newPage()
  await opened.page.goto(address)
  await opened.page.evaluate('localStorage.clear()')
  await opened.page.reload()
  await opened.page.getByLabel('API token').fill(token)
  await opened.page.getByRole('button', { name: 'Sign in' }).click()
  await opened.page.getByRole('heading', { name: 'Functions' }).waitFor()
  return opened
}

it('a read-only token sees functions and sources but no controls that would change them', async () => {
  const { page, errors } = await signIn(s.tokens['Functions Read-only'])
  await page.getByRole('link', { name: 'Mask emails' }).waitFor()
  assert.equal(await page.getByRole('link', { name: 'New function' }).count(), 0)
  assert.equal(await page.getByRole('link', { name: 'Audit trail' }).count(), 0, 'only the owner reads the audit trail')
  await page.getByRole('link', { name: 'Mask emails' }).click()
  await page.getByRole('textbox', { name: 'Function code' }).waitFor()
  assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).count(), 0)
  assert.equal(await page.getByRole('button', { name: 'Save & Deploy' }).count(), 0)
  assert.equal(await page.getByRole('textbox', { name: 'Function code' }).getAttribute('contenteditable'), 'false')
  await page.getByText('Running code takes the right to write functions').waitFor()
  assert.ok(await page.getByRole('button', { name: 'Run test' }).isDisabled())
  await page.screenshot({ path: join(screenshotDir(), 'roles-read-only-editor.png'), fullPage: true })
  await page.getByRole('link', { name: 'Sources' }).click()
  await page.getByRole('heading', { name: 'Sources' }).waitFor()
  assert.equal(await page.getByRole('button', { name: 'Create source' }).count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
})

it('a Functions Admin may edit code but not deploy it (deploying takes Source Admin too)', async () => {
  const { page, errors } = await signIn(s.tokens['Functions Admin'])
  await page.goto(`${address}/functions/${functionId}`)
  await page.getByRole('textbox', { name: 'Function code' }).waitFor()
  await page.getByRole('button', { name: 'Save', exact: true }).waitFor()
  assert.equal(await page.getByRole('button', { name: 'Save & Deploy' }).count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
})

it('refusals appear where the user acted, in the server\'s words', async () => {
  const { page } = await signIn(s.tokens['Workspace Owner'])
  // A second source with the same name: the slug is taken (409).
  await page.getByRole('link', { name: 'Sources' }).click()
  for (let i = 0; i < 2; i++) {
    await page.getByLabel('New source name').fill('Mobile app')
    await page.getByRole('button', { name: 'Create source' }).click()
  }
  await page.getByRole('form', { name: 'Create a source' }).getByRole('alert').filter({ hasText: 'a source with slug mobile-app already exists' }).waitFor()

  // A webhook URL the server refuses, and none at all.
  await page.getByRole('link', { name: 'Destinations' }).click()
  const form = page.getByRole('form', { name: 'Create a destination' })
  await page.getByRole('button', { name: 'Create destination' }).click()
  await form.getByRole('alert').filter({ hasText: 'Give the URL the webhook should POST events to.' }).waitFor()
  await page.getByLabel('Webhook URL').fill('ftp://files.example/drop')
  await page.getByRole('button', { name: 'Create destination' }).click()
  await form.getByRole('alert').filter({ hasText: 'settings.url must be an http or https URL' }).waitFor()

  // Code that does not load is refused at save, with its line and column.
  await page.goto(`${address}/functions/${functionId}`)
  const editor = page.getByRole('textbox', { name: 'Function code' })
  await editor.focus()
  await page.keyboard.press('Control+A')
  await page.keyboard.insertText('function onTrack(e) {\n  return e.\n}')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await page.getByRole('alert').filter({ hasText: /code does not load: SyntaxError: .*line 3/ }).waitFor()

  // An unnamed new function cannot be created: the Details tab opens and says why.
  await page.goto(`${address}/functions/new`)
  await page.getByRole('button', { name: 'Create function' }).click()
  await page.getByRole('alert').filter({ hasText: 'Give the function a name' }).waitFor()
  assert.equal(await page.getByRole('tab', { name: 'Details & settings' }).getAttribute('aria-selected'), 'true')

  // Invalid FQL is explained as it is typed; valid FQL is tried on the sample.
  await page.goto(`${address}/destinations`)
  await page.getByLabel('Webhook URL').fill('https://hooks.example/in')
  await page.getByRole('button', { name: 'Create destination' }).click()
  await page.getByLabel('Drop events where (FQL)').fill('type = ')
  await page.locator('#fql-verdict').getByText(/invalid FQL at line 1, column/).waitFor()
  assert.ok(await page.getByRole('button', { name: 'Add filter' }).isDisabled())
  await page.getByLabel('Drop events where (FQL)').fill('type = "track"')
  await page.locator('#fql-verdict').getByText('the sample track event would be dropped').waitFor()
  await page.getByLabel('Try it on a sample').selectOption('identify')
  await page.locator('#fql-verdict').getByText('the sample identify event would pass').waitFor()
  await page.getByRole('button', { name: 'Add filter' }).click()
  await page.getByRole('region', { name: 'Filters' }).locator('code').getByText('type = "track"', { exact: true }).waitFor()
  await page.screenshot({ path: join(screenshotDir(), 'errors-filter.png'), fullPage: true })
  await page.close()
})

async function owner<T>(method: 'POST' | 'PATCH', url: string, body: unknown): Promise<T> {
  const res = await s.app.inject({ method, url: `/api${url}`, headers: { authorization: `Bearer ${s.tokens['Workspace Owner']}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  assert.ok(res.statusCode < 300, res.body)
  return (res.json() as { data: T }).data
}

it('a saved secret stays masked in the connect form and is kept when other settings are saved', async () => {
  const fn = (await owner<{ function: { id: string } }>('POST', '/functions', {
    resourceType: 'INSERT_DESTINATION', displayName: 'Sign events', code: 'async function onTrack(e) { return e }',
    settings: [
      { name: 'signingKey', label: 'Signing key', description: '', type: 'STRING', required: true, sensitive: true },
      { name: 'region', label: 'Region', description: '', type: 'STRING', required: false, sensitive: false },
    ],
  })).function
  await owner('POST', `/functions/${fn.id}/deploy`, {})
  const source = (await owner<{ source: { id: string } }>('POST', '/sources', { slug: 'secrets', enabled: true, metadataId: 'http' })).source
  const dest = (await owner<{ destination: { id: string } }>('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Signed', settings: { url: 'https://hooks.example/signed' } })).destination
  const instance = (await owner<{ insertFunctionInstance: { id: string } }>('POST', '/insert-function-instances', { functionId: fn.id, integrationId: dest.id, name: 'sign', settings: { signingKey: 'sk_live_0123456789abcdef', region: 'eu' } })).insertFunctionInstance

  const { page, errors } = await signIn(s.tokens['Workspace Owner'])
  await page.goto(`${address}/destinations/${dest.id}`)
  const key = page.getByLabel(/Signing key/)
  await key.waitFor()
  assert.equal(await key.getAttribute('type'), 'password')
  assert.equal(await key.inputValue(), '', 'the secret itself never reaches the page')
  assert.match((await key.getAttribute('placeholder')) ?? '', /^••••cdef/)
  assert.ok(!(await page.content()).includes('sk_live_0123456789abcdef'))
  await page.getByLabel('Region').fill('us')
  await page.getByRole('button', { name: 'Save settings' }).click()
  await until('the new region to be stored', async () => (await s.connections.getInstance(instance.id)).settings.region === 'us')
  const stored = await s.connections.getInstance(instance.id)
  assert.equal(s.connections.maskedSecrets(stored).signingKey, '••••cdef', 'the stored secret is unchanged')
  assert.deepEqual(errors, [])
  await page.close()
})

it("a destination's refusal shows the event as queued and, apart, as the function sent it", async () => {
  const source = (await owner<{ source: { id: string } }>('POST', '/sources', { slug: 'refused', enabled: true, metadataId: 'http' })).source
  const dest = (await owner<{ destination: { id: string } }>('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name: 'Strict CRM', settings: { url: 'https://hooks.example/crm' } })).destination
  // The record as delivery writes it (the path that writes it is tested in src/pipeline).
  s.deliveries.report({
    destinationId: dest.id, messageId: 'm-refused', status: 'failed', detail: 'Destination 400', reason: 'the destination answered 400: unknown field tier', attempt: 1, at: new Date(),
    event: JSON.stringify({ messageId: 'm-refused', type: 'track', event: 'Order Completed', properties: { total: 42 } }),
    sent: JSON.stringify({ messageId: 'm-refused', type: 'track', event: 'Order Completed', properties: { total: 42, tier: 'gold' } }),
  })
  await s.deliveries.flush()
  const { page, errors } = await signIn(s.tokens['Workspace Owner'])
  await page.goto(`${address}/destinations/${dest.id}`)
  const rows = page.locator('table.records tbody tr')
  await rows.first().waitFor()
  await rows.first().getByRole('button').click()
  const detail = page.locator('.record-detail')
  await detail.getByText(/unknown field tier/).waitFor()
  await detail.getByRole('heading', { name: 'Sent to the destination' }).waitFor()
  const [queued, sent] = await detail.locator('pre').allTextContents()
  assert.deepEqual([JSON.parse(queued!).properties, JSON.parse(sent!).properties], [{ total: 42 }, { total: 42, tier: 'gold' }])
  assert.deepEqual(errors, [])
  await page.close()
})

it('versions: a diff between two, and restore makes the old code LATEST', async () => {
  const fn = (await owner<{ function: { id: string } }>('POST', '/functions', { resourceType: 'INSERT_DESTINATION', displayName: 'Versioned', code: 'async function onTrack(e) { return e } // first' })).function
  await owner('PATCH', `/functions/${fn.id}`, { code: 'async function onTrack(e) { return e } // second' })
  const { page, errors } = await signIn(s.tokens['Workspace Owner'])
  await page.goto(`${address}/functions/${fn.id}`)
  await page.getByRole('tab', { name: 'Versions' }).click()
  const diff = page.getByRole('group', { name: 'Code difference between the chosen versions' })
  await diff.getByText('// first').waitFor()
  await diff.getByText('// second').waitFor()
  await page.getByRole('button', { name: 'Restore v1' }).click()
  await page.getByRole('dialog', { name: 'Restore this version?' }).getByRole('button', { name: 'Restore' }).click()
  await page.getByRole('cell', { name: 'v3' }).waitFor()
  await page.getByRole('tab', { name: 'Code & test' }).click()
  await page.getByRole('textbox', { name: 'Function code' }).getByText('// first').waitFor()
  assert.deepEqual(errors, [])
  await page.close()
})

it('Save & Deploy moves only the connected destinations the user keeps ticked', async () => {
  const fn = (await owner<{ function: { id: string } }>('POST', '/functions', { resourceType: 'INSERT_DESTINATION', displayName: 'Two homes', code: 'async function onTrack(e) { return e } // v1' })).function
  await owner('POST', `/functions/${fn.id}/deploy`, {})
  const source = (await owner<{ source: { id: string } }>('POST', '/sources', { slug: 'two-homes', enabled: true, metadataId: 'http' })).source
  const instances: string[] = []
  for (const name of ['Staging', 'Production']) {
    const dest = (await owner<{ destination: { id: string } }>('POST', '/destinations', { sourceId: source.id, metadataId: 'webhook', name, settings: { url: `https://hooks.example/${name}` } })).destination
    instances.push((await owner<{ insertFunctionInstance: { id: string } }>('POST', '/insert-function-instances', { functionId: fn.id, integrationId: dest.id, name, settings: {} })).insertFunctionInstance.id)
  }
  const before = (await s.connections.getInstance(instances[0]!)).versionId

  const { page, errors } = await signIn(s.tokens['Workspace Owner'])
  await page.goto(`${address}/functions/${fn.id}`)
  await page.getByRole('textbox', { name: 'Function code' }).focus()
  await page.keyboard.press('Control+End')
  await page.keyboard.insertText('\n// v2')
  await page.getByRole('button', { name: 'Save & Deploy' }).click()
  const dialog = page.getByRole('dialog', { name: 'Deploy LATEST' })
  await dialog.getByLabel('Production').uncheck()
  await page.screenshot({ path: join(screenshotDir(), 'deploy-choose-instances.png'), fullPage: true })
  await dialog.getByRole('button', { name: 'Deploy' }).click()
  await page.getByRole('status').filter({ hasText: 'Deployed to 1 of the connected destinations' }).waitFor()
  const [staging, production] = await Promise.all(instances.map((id) => s.connections.getInstance(id)))
  assert.notEqual(staging!.versionId, before, 'Staging runs the new version')
  assert.equal(production!.versionId, before, 'Production keeps the version it ran')
  assert.deepEqual(errors, [])
  await page.close()
})

it('a destination can run a deployed destination function', async () => {
  const fn = (await owner<{ function: { id: string } }>('POST', '/functions', { resourceType: 'DESTINATION', displayName: 'Post to CRM', code: 'async function onTrack(e) { return { ok: true } }' })).function
  await owner('POST', `/functions/${fn.id}/deploy`, {})
  const { page, errors } = await signIn(s.tokens['Workspace Owner'])
  await page.getByRole('link', { name: 'Destinations' }).click()
  await page.getByLabel('Name').fill('CRM')
  await page.getByLabel('Kind').selectOption('function')
  await page.getByLabel(/^Function/).selectOption({ label: 'Post to CRM' })
  await page.getByRole('button', { name: 'Create destination' }).click()
  await page.getByRole('heading', { name: 'CRM' }).waitFor()
  await page.getByText('Destination Function', { exact: false }).first().waitFor()
  assert.deepEqual(errors, [])
  await page.close()
})
