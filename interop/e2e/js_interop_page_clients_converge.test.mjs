// The interoperability page: its plain JavaScript Yjs client (yjs + y-websocket) and its ycord
// client, on one room with cross-tab sync off, converge through the server in both directions.

import { test } from 'node:test'
import { resources } from '../support/resources.mjs'
import { startStack, uniqueRoom } from './support/stack.mjs'
import { launchBrowser, openUser, screenshot, waitForValue, waitInPage } from './support/browser.mjs'

const JS = '#js-client textarea'
const YCORD = '#ycord-client textarea'

test('the JS client and the ycord client of the interop page converge', { timeout: 90000 }, async t => {
  const own = resources(t)
  const stack = await startStack(own, 'js-interop')
  const browser = await launchBrowser(own)
  const room = uniqueRoom('js-interop')
  const { page } = await openUser(own, browser, stack.url('js-interop', { room }), t)
  await waitInPage(page, 'both clients synced', () =>
    document.querySelector('#js-client .status')?.dataset.status === 'synced' &&
    document.querySelector('#ycord-client .ycord-sync-status')?.dataset.status === 'synced')

  await page.locator(JS).click()
  await page.keyboard.type('typed in JavaScript 🟨')
  await waitForValue(page, 'the JS text in the ycord textarea', YCORD, 'typed in JavaScript 🟨')

  await page.locator(YCORD).click()
  await page.keyboard.press('Control+Home')
  await page.keyboard.type('typed in Rust 🦀, ')
  const expected = 'typed in Rust 🦀, typed in JavaScript 🟨'
  for (const selector of [JS, YCORD]) {
    await waitForValue(page, `both edits in ${selector}`, selector, expected)
  }
  await screenshot(page, 'js-interop')
})
