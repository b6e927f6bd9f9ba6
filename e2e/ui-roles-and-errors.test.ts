// The UI shows only what a token's roles allow, and puts the server's refusals where the user acted.
// The server is built in this process (src/testing/server.ts) because it holds a token for every role;
// it serves the real built UI from dist/web.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, it } from 'node:test'
import { testServer, type TestServer } from '../src/testing/server.js'
import { launchChromium, screenshotDir, type LaunchedBrowser, type Page } from './browser.js'
import { join } from 'node:path'

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
