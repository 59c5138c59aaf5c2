// One editor page loses the network (the browser context goes offline), both people keep
// typing, the network comes back: both pages end with the same text and every character kept.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resources } from '../support/resources.mjs'
import { openSyncedEditors } from './support/editors.mjs'
import { screenshot, valueOf, waitForValue, waitInPage } from './support/browser.mjs'

const TEXT = 'textarea.text'

test('an editor page that was offline converges with every character kept', { timeout: 90000 }, async t => {
  const own = resources(t)
  const [online, offline] = await openSyncedEditors(own, t, 'editor-offline', ['Online', 'Offline'])
  await online.page.locator(TEXT).click()
  await online.page.keyboard.type('[middle]')
  await waitForValue(offline.page, 'the first text at the other page', TEXT, '[middle]')

  await offline.context.setOffline(true)
  await waitInPage(offline.page, 'the page noticing it is offline',
    () => document.querySelector('.ycord-sync-status')?.dataset.status !== 'synced')

  // Both type while apart: one before the shared text, one after it.
  await offline.page.locator(TEXT).click()
  await offline.page.keyboard.press('Control+Home')
  await offline.page.keyboard.type('written offline ✈ ')
  await online.page.keyboard.press('Control+End')
  await online.page.keyboard.type(' written online 🌐')
  assert.equal(await valueOf(offline.page, TEXT), 'written offline ✈ [middle]')
  assert.equal(await valueOf(online.page, TEXT), '[middle] written online 🌐')
  await screenshot(offline.page, 'editor-offline-while-apart')

  await offline.context.setOffline(false)
  const expected = 'written offline ✈ [middle] written online 🌐'
  for (const [who, user] of [['the page that was offline', offline], ['the page that stayed online', online]]) {
    await waitForValue(user.page, `both edits at ${who}`, TEXT, expected)
  }
  await waitInPage(offline.page, 'the page synced again',
    () => document.querySelector('.ycord-sync-status')?.dataset.status === 'synced')
  await screenshot(offline.page, 'editor-offline-back-online')
})
