// The one place that launches Debian's Chromium for the browser suites. The network here is closed, so
// every background service Chromium would call home to is switched off; without that it stalls and fails
// connections that have nothing to do with the page under test.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = process.env.INSERTFN_CHROMIUM ?? '/usr/bin/chromium'

export interface LaunchedBrowser {
  browser: BrowserContext
  /** A new page whose console errors and uncaught exceptions are collected in `errors`. */
  newPage(): Promise<{ page: Page; errors: string[] }>
  close(): Promise<void>
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run \`bash scripts/services.sh\` (npm test and .ci/run do), or point INSERTFN_CHROMIUM at one`)
  }
  const profile = mkdtempSync(join(tmpdir(), 'insertfn-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return {
    browser: context,
    async newPage() {
      const page = await context.newPage()
      const errors: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text())
      })
      page.on('pageerror', (e) => errors.push(e.message))
      return { page, errors }
    },
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Where screenshots go: e2e/screenshots/ in the checkout (gitignored), or INSERTFN_SCREENSHOTS. */
export function screenshotDir(): string {
  const dir = process.env.INSERTFN_SCREENSHOTS ?? new URL('../../e2e/screenshots/', import.meta.url).pathname
  mkdirSync(dir, { recursive: true })
  return dir
}

export type { Browser, Page }
