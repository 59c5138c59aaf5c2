// Debian's Chromium driven by playwright-core: one browser per test file, one context per
// simulated user (own IndexedDB, own network switch), screenshots kept as test artifacts.

import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { interopDir } from '../../support/processes.mjs'

/** Console errors that a test that takes the network or the relay away causes. */
const EXPECTED_ERRORS = /WebSocket connection to .* failed|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED/

/** How long a page may take to show an expected outcome. */
export const PATIENCE_MS = 20000

/** The Chromium binary: $CHROMIUM, else Debian's. */
function chromiumPath () {
  const candidate = process.env.CHROMIUM ?? '/usr/bin/chromium'
  if (!fs.existsSync(candidate)) {
    throw new Error(`no Chromium at ${candidate}: run the suite with \`cargo xtask test\`, which installs Debian's chromium`)
  }
  return candidate
}

/** Where screenshots go: $YCORD_E2E_ARTIFACTS, else interop/artifacts/e2e. */
export function artifactsDir () {
  const dir = process.env.YCORD_E2E_ARTIFACTS ?? path.join(interopDir, 'artifacts', 'e2e')
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

export async function launchBrowser (own) {
  // As root, Chromium refuses to start without --no-sandbox.
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] })
  return own(browser, () => browser.close())
}

/**
 * A user: a fresh browser context (its own storage) with one page at `url`. Console errors
 * and uncaught exceptions of the page fail the test when it ends.
 */
export async function openUser (own, browser, url, t) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 640 } })
  own(context, () => context.close())
  const page = await context.newPage()
  const problems = []
  page.on('pageerror', err => problems.push(`uncaught: ${err.message}`))
  page.on('console', message => {
    // Chromium logs every refused or cut WebSocket; the tests stop the relay on purpose.
    if (message.type() === 'error' && !EXPECTED_ERRORS.test(message.text())) {
      problems.push(`console error: ${message.text()}`)
    }
  })
  t.after(() => {
    if (problems.length > 0) throw new Error(`the page at ${url} reported:\n${problems.join('\n')}`)
  })
  await page.goto(url)
  return { context, page, problems }
}

/** Saves a screenshot of `page` as `<name>.png` in the artifacts directory. */
export async function screenshot (page, name) {
  await page.screenshot({ path: path.join(artifactsDir(), `${name}.png`) })
}

/** Waits until `predicate(arg)`, evaluated in the page, is truthy; a failure names `what`. */
export async function waitInPage (page, what, predicate, arg) {
  try {
    return await page.waitForFunction(predicate, arg, { timeout: PATIENCE_MS })
  } catch (err) {
    throw new Error(`${what}: ${err.message.split('\n')[0]}`)
  }
}

/** Waits until the textarea matching `selector` holds exactly `expected`; a failure names `what`. */
export function waitForValue (page, what, selector, expected) {
  return waitInPage(page, what,
    ([selector, expected]) => document.querySelector(selector)?.value === expected, [selector, expected])
}

/** The value of the textarea matching `selector`. */
export function valueOf (page, selector) {
  return page.locator(selector).inputValue()
}
