// The web UI, driven in Chromium as a new user would: sign in, create a source and a webhook destination,
// create a function from the template, break it and see the inline error, fix it, run a test, deploy,
// connect and enable it, send real events with Segment's analytics-node, and watch them arrive in the
// delivery chart and the recent-events table. Each screen is saved as a PNG (e2e/screenshots/). The size of
// the production build and the time until the first screen is usable are printed, not asserted.
import assert from 'node:assert/strict'
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { Analytics } from '@segment/analytics-node'
import { launchChromium, screenshotDir, type LaunchedBrowser, type Page } from './browser.js'
import { startInsertfn, type InsertfnProcess } from './insertfn-process.js'
import { until } from '../src/testing/until.js'
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js'

const WEB_DIST = new URL('../web/', import.meta.url).pathname

const BROKEN = `async function onTrack(event, settings) {
  return event +
}`

const FIXED = `async function onTrack(event, settings) {
  if (event.properties.internal) return
  if (event.properties.fail) throw new ValidationError('order ' + event.properties.n + ' has no sku')
  console.log('tier', settings.tier)
  return { ...event, properties: { ...event.properties, tier: settings.tier } }
}
`

let insertfn: InsertfnProcess
let receiver: WebhookReceiver
let browser: LaunchedBrowser
let page: Page
let errors: string[]
const shots = screenshotDir()
let shotNo = 0

async function shot(name: string): Promise<void> {
  shotNo += 1
  await page.screenshot({ path: join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true })
}

before(async () => {
  for (const f of readdirSync(shots)) if (/^\d\d-.*\.png$/.test(f)) rmSync(join(shots, f))
  // The browser first: if it cannot start, no server is left running to keep the test process alive.
  browser = await launchChromium()
  ;[insertfn, receiver] = await Promise.all([startInsertfn(), startWebhookReceiver()])
  ;({ page, errors } = await browser.newPage())
})

after(async () => {
  await browser?.close()
  await insertfn?.stop()
  await receiver?.close()
})

/** When the UI marked its first screen as ready for input, in ms since navigation start. */
async function interactiveAt(p: Page): Promise<number> {
  await p.waitForFunction("performance.getEntriesByName('insertfn:interactive').length > 0")
  return Number(await p.evaluate("performance.getEntriesByName('insertfn:interactive')[0].startTime"))
}

/** Replaces everything in the code editor with text, as pasting would. */
async function replaceCode(text: string): Promise<void> {
  await page.mouse.move(0, 0) // away from any hover tooltip
  await page.getByRole('textbox', { name: 'Function code' }).focus()
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(text)
}

it('prints the size of the production build', () => {
  const files = readdirSync(join(WEB_DIST, 'assets')).map((f) => join(WEB_DIST, 'assets', f))
  const sum = (list: string[]) => list.reduce((n, f) => n + statSync(f).size, 0)
  const gz = files.filter((f) => f.endsWith('.gz'))
  const raw = files.filter((f) => !f.endsWith('.gz'))
  const first = gz.filter((f) => /\/index-[^/]+\.(js|css)\.gz$/.test(f))
  console.log(`web build: ${(sum(raw) / 1024).toFixed(0)} KB, ${(sum(gz) / 1024).toFixed(0)} KB gzipped; first screen (index js+css) ${(sum(first) / 1024).toFixed(0)} KB gzipped`)
  assert.ok(first.length >= 1, 'the build has an entry chunk')
})

it('a new user goes from sign-in to watching events delivered', { timeout: 120_000 }, async () => {
  // Sign in. A wrong token is refused on the form, in words.
  await page.goto(insertfn.address)
  const tokenField = page.getByLabel('API token')
  await tokenField.waitFor({ state: 'visible' })
  console.log(`first screen interactive (sign-in form mounted), cold cache: ${(await interactiveAt(page)).toFixed(0)} ms after navigation start`)
  await shot('sign-in')
  await tokenField.fill('wrong-token')
  await page.keyboard.press('Enter')
  await page.getByRole('alert').filter({ hasText: 'This token is not valid' }).waitFor()
  await shot('sign-in-refused')
  // The browser logs the 401 itself; only what follows must be free of console errors.
  errors.length = 0

  await tokenField.fill(insertfn.token)
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'Functions' }).waitFor()
  await page.getByText('No functions yet').waitFor()
  await shot('catalog-empty')

  // A source, with its write key.
  await page.getByRole('link', { name: 'Sources' }).click()
  await page.getByLabel('New source name').fill('Web shop')
  await page.getByRole('button', { name: 'Create source' }).click()
  const writeKey = (await page.locator('code.write-key').first().textContent())!.trim()
  assert.match(writeKey, /\S{16,}/)
  await page.getByRole('tab', { name: '@segment/analytics-node' }).click()
  await page.getByText(`writeKey: '${writeKey}'`).waitFor()
  await shot('source-created')

  // A webhook destination pointing at the receiver.
  await page.getByRole('link', { name: 'Destinations' }).click()
  await page.getByLabel('Name').fill('Orders webhook')
  await page.getByLabel('Webhook URL').fill(receiver.url)
  await page.getByRole('button', { name: 'Create destination' }).click()
  await page.getByRole('heading', { name: 'Orders webhook' }).waitFor()
  const destinationPath = new URL(page.url()).pathname
  assert.match(destinationPath, /^\/destinations\/dst_/)
  await page.getByText('No deployed insert function yet').waitFor()
  await shot('destination-created')

  // A function from the template: every handler is there.
  await page.getByRole('link', { name: 'Functions' }).click()
  await page.getByRole('link', { name: 'New function' }).click()
  const editor = page.getByRole('textbox', { name: 'Function code' })
  await editor.waitFor()
  const template = (await editor.textContent())!
  for (const h of ['onTrack', 'onIdentify', 'onPage', 'onScreen', 'onGroup', 'onAlias', 'onDelete', 'onBatch']) assert.ok(template.includes(`function ${h}(`), `the template has ${h}`)
  await shot('editor-template')

  // Completion offers the runtime's globals.
  await editor.click()
  await page.keyboard.press('Control+End')
  await page.keyboard.insertText('\ncryp')
  await page.keyboard.press('Control+Space')
  await page.getByRole('option', { name: /crypto/ }).first().waitFor()
  await shot('editor-completion')
  await page.keyboard.press('Escape')
  // ...handler names, and the fields of a Segment event after `event.`.
  await page.keyboard.insertText('\nonIde')
  await page.keyboard.press('Control+Space')
  await page.getByRole('option', { name: /onIdentify/ }).first().waitFor()
  await page.keyboard.press('Escape')
  await page.keyboard.insertText('\nevent.prop')
  await page.keyboard.press('Control+Space')
  await page.getByRole('option', { name: /properties/ }).first().waitFor()
  await page.keyboard.press('Escape')

  // Broken code: the load error appears inline, at its line, without saving.
  await replaceCode(BROKEN)
  const marker = page.locator('.cm-lint-marker-error')
  await marker.waitFor({ timeout: 10_000 })
  await page.locator('.cm-lintRange-error').first().hover()
  await page.locator('.cm-tooltip-lint').getByText(/Unexpected token/).waitFor()
  const markerLine = await page.locator('.cm-gutter-lint .cm-gutterElement').filter({ has: marker }).boundingBox()
  const line3 = await page.locator('.cm-line').nth(2).boundingBox()
  assert.ok(markerLine && line3 && Math.abs(markerLine.y - line3.y) < 4, 'the error marker sits on line 3, where the code breaks')
  await shot('editor-inline-error')

  // Fixed: the marker goes away; the test runs with a keyboard shortcut.
  await replaceCode(FIXED)
  await marker.waitFor({ state: 'detached', timeout: 10_000 })
  await page.getByRole('tab', { name: 'Details & settings' }).click()
  await page.getByLabel('Name', { exact: true }).first().fill('Enrich orders')
  await page.getByLabel('Description').fill('Adds the customer tier, drops internal traffic')
  await page.getByRole('button', { name: 'Add setting' }).click()
  await page.getByLabel('Label').fill('Tier')
  assert.equal(await page.getByRole('group', { name: 'Setting 1' }).getByLabel('Name').inputValue(), 'tier')
  await page.getByLabel('Required').check()
  await shot('editor-details')
  await page.getByRole('tab', { name: 'Code & test' }).click()
  await page.getByLabel('Tier (required)').fill('silver')
  await editor.click()
  await page.keyboard.press('Control+Enter')
  await page.getByText('Returned an event: it goes on to the destination').waitFor()
  const result = page.getByLabel('Test result')
  await result.getByText('tier silver').waitFor()
  await result.getByRole('group', { name: 'Returned event compared with the input' }).getByText('"tier": "silver"').waitFor()
  await shot('editor-test-passed')

  // An event the function rejects shows the error and its category.
  const testEvent = page.getByRole('textbox', { name: 'Test event (JSON)' })
  await testEvent.click()
  await page.keyboard.press('Control+A')
  await page.keyboard.insertText(JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'u1', properties: { n: 7, fail: true } }, null, 2))
  await page.getByRole('button', { name: 'Run test' }).click()
  await result.getByText('order 7 has no sku', { exact: true }).waitFor()
  await result.getByText('ValidationError', { exact: true }).waitFor()
  await shot('editor-test-error')

  // Create, then Save & Deploy.
  await page.getByRole('button', { name: 'Create function' }).click()
  await page.waitForURL(/\/functions\/ifnd_/)
  await page.getByRole('heading', { name: 'Enrich orders' }).waitFor()
  await page.getByRole('status').filter({ hasText: 'Created. Save & Deploy it' }).waitFor()
  await page.getByText('not deployed').first().waitFor()
  await page.getByRole('button', { name: 'Save & Deploy' }).click()
  await page.getByRole('dialog', { name: 'Deploy LATEST' }).getByRole('button', { name: 'Deploy' }).click()
  await page.getByRole('status').filter({ hasText: 'Deployed' }).waitFor()
  await shot('function-deployed')

  // Versions: history with author.
  await page.getByRole('tab', { name: 'Versions' }).click()
  await page.getByRole('cell', { name: 'DEPLOYED' }).waitFor()
  await shot('function-versions')

  // The catalog shows it deployed.
  await page.getByRole('link', { name: 'Functions' }).click()
  await page.getByRole('link', { name: 'Enrich orders' }).waitFor()
  await page.getByText('up to date').waitFor()
  await shot('catalog')

  // Connect it to the destination with its settings, enabled after a confirmation.
  await page.getByRole('link', { name: 'Destinations' }).click()
  await page.getByRole('link', { name: 'Orders webhook' }).click()
  await page.getByLabel('Tier (required)').fill('gold')
  await page.getByRole('button', { name: 'Connect' }).click()
  await page.getByRole('dialog', { name: 'Connect and enable?' }).getByRole('button', { name: 'Connect and enable' }).click()
  await page.getByRole('region', { name: 'Insert function' }).getByText('enabled').waitFor()
  await shot('function-connected')

  // Real events from Segment's own Node library: 10 pass, 2 are dropped by the function, 3 fail in it.
  const analytics = new Analytics({ writeKey, host: insertfn.address, flushAt: 15, flushInterval: 50 })
  for (let n = 0; n < 15; n++) analytics.track({ userId: `u${n}`, event: 'Order Completed', properties: { n, internal: n >= 10 && n < 12, fail: n >= 12 } })
  await analytics.closeAndFlush({ timeout: 10_000 })
  await until('ten events at the webhook', () => receiver.events.length >= 10)
  assert.ok(receiver.events.every((e) => (e.properties as { tier?: string }).tier === 'gold'))

  // The delivery panel refreshes by itself: totals, the chart and the failures table fill in.
  await page.getByTestId('total-delivered').filter({ hasText: /^10$/ }).waitFor({ timeout: 20_000 })
  await page.getByTestId('total-filtered').filter({ hasText: /^2$/ }).waitFor({ timeout: 20_000 })
  await page.getByTestId('total-failed').filter({ hasText: /^3$/ }).waitFor({ timeout: 20_000 })
  const bars = await page.locator('.chart svg rect').count()
  assert.ok(bars >= 3, `the chart draws delivered, filtered and failed bars (${bars} bars)`)
  const rows = page.locator('table.records tbody tr')
  await page.locator('table.records').waitFor()
  assert.equal(await rows.count(), 3)
  await rows.first().getByRole('button').click()
  await page.locator('.record-detail').getByText(/has no sku/).first().waitFor()
  await page.locator('.record-detail pre').getByText('"fail": true').waitFor()
  // The other outcomes on request: the filtered say by what; the delivered show what the destination was sent.
  const show = page.getByRole('combobox', { name: 'Show' })
  await show.selectOption('filtered')
  await page.getByRole('heading', { name: 'Recent filtered' }).waitFor()
  await until('the two dropped events listed', async () => (await rows.count()) === 2)
  assert.deepEqual(await page.locator('table.records tbody tr td:nth-child(3)').allTextContents(), ['insert function', 'insert function'])
  await show.selectOption('delivered')
  await until('the delivered events listed', async () => (await rows.count()) === 10)
  await rows.first().getByRole('button').click()
  await page.locator('.record-detail').getByRole('heading', { name: 'Sent to the destination' }).waitFor()
  const [queued, sent] = (await page.locator('.record-detail pre').allTextContents()).slice(0, 2).map((t) => JSON.parse(t) as { properties: { tier?: string } })
  assert.deepEqual([queued!.properties.tier, sent!.properties.tier], [undefined, 'gold'])
  await shot('delivery-delivered-record')
  await show.selectOption('failures')
  await until('the failures listed again', async () => (await rows.count()) === 3)
  await rows.first().getByRole('button').click()
  await shot('delivery-watched')
  // Readable on a small laptop and on a wide monitor.
  for (const [name, size] of [['laptop', { width: 1280, height: 720 }], ['wide', { width: 2560, height: 1440 }]] as const) {
    await page.setViewportSize(size)
    await shot(`delivery-${name}`)
  }
  await page.setViewportSize({ width: 1440, height: 900 })

  // One failed event goes back on its own, from its detail.
  await page.locator('.record-detail').getByRole('button', { name: 'Replay this event' }).click()
  await page.getByRole('status').filter({ hasText: /^1 failed event was queued again\.$/ }).waitFor()

  // Replay of them all asks first, then says what it did (the one replayed above has failed again, or not yet).
  await page.getByRole('button', { name: 'Replay failed events' }).click()
  await page.getByRole('dialog', { name: 'Replay failed events?' }).getByRole('button', { name: 'Replay' }).click()
  await page.getByRole('status').filter({ hasText: /^[23] failed events were queued again\.$/ }).waitFor()

  // The catalog shows where the function runs.
  await page.getByRole('link', { name: 'Functions' }).click()
  await page.getByRole('row', { name: /Enrich orders/ }).getByRole('link', { name: 'Orders webhook' }).waitFor()

  // The audit trail names who did each of these changes.
  await page.getByRole('link', { name: 'Audit trail' }).click()
  await page.getByRole('cell', { name: 'Enrich orders' }).first().waitFor()
  // A row opens to show the resource before and after the change.
  const firstChange = page.locator('table tbody tr').first().getByRole('button')
  await firstChange.click()
  assert.equal(await firstChange.getAttribute('aria-expanded'), 'true')
  await page.locator('tr.expanded').getByRole('heading', { name: 'After' }).waitFor()
  await shot('audit-trail')

  assert.deepEqual(errors, [], 'no console errors in the journey')
})

it('the UI is usable by keyboard alone: sign-in and navigation without a mouse', async () => {
  const { page: p, errors: errs } = await browser.newPage()
  await p.goto(`${insertfn.address}/sources`)
  await p.getByRole('heading', { name: 'Sources' }).waitFor() // still signed in from the journey (localStorage)
  console.log(`first screen interactive, warm cache and signed in: ${(await interactiveAt(p)).toFixed(0)} ms after navigation start`)
  await p.keyboard.press('Tab')
  const focused = () => p.evaluate('document.activeElement?.textContent')
  assert.equal(await focused(), 'Skip to content')
  // Tab reaches the main navigation and Enter follows a link.
  for (let i = 0; i < 10; i++) {
    await p.keyboard.press('Tab')
    if ((await focused()) === 'Destinations') break
  }
  await p.keyboard.press('Enter')
  await p.getByRole('heading', { name: 'Destinations' }).waitFor()
  // Every form control on the screen has a label.
  const unlabelled = await p.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((e) => (e.labels?.length ?? 0) === 0 && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim())
    .map((e) => e.outerHTML)`)
  assert.deepEqual(unlabelled, [])
  assert.deepEqual(errs, [])
  await p.close()
})
