// Reloading the editor shows the text kept in IndexedDB before the socket has synced: with
// the relay stopped it never syncs, and the text is there anyway.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resources } from '../support/resources.mjs'
import { startStack, uniqueRoom } from './support/stack.mjs'
import { launchBrowser, openUser, screenshot, waitForValue, waitInPage } from './support/browser.mjs'

const TEXT = 'textarea.text'

test('a reloaded editor shows its IndexedDB copy while the relay is down', { timeout: 90000 }, async t => {
  const own = resources(t)
  const stack = await startStack(own, 'editor-reload')
  const browser = await launchBrowser(own)
  const room = uniqueRoom('editor-reload')
  const writer = await openUser(own, browser, stack.url('editor', { room, name: 'Writer' }), t)
  await waitInPage(writer.page, 'page synced', () => document.body.dataset.syncedMs)
  const text = 'kept in this browser 📦\nsecond line'
  await writer.page.locator(TEXT).click()
  await writer.page.keyboard.type(text)

  // A second person receiving the text means the writer's page has long handed every edit to
  // IndexedDB too (it stores each one as it happens, before sending it).
  const reader = await openUser(own, browser, stack.url('editor', { room, name: 'Reader' }), t)
  await waitForValue(reader.page, 'the text at a second page', TEXT, text)

  assert.deepEqual(await stack.stopRelay(), { code: 0, signal: null })
  await writer.page.reload()
  await waitInPage(writer.page, 'the text restored from IndexedDB',
    expected => document.body.dataset.restoredMs && document.querySelector('textarea.text')?.value === expected, text)
  const state = await writer.page.evaluate(() => ({
    synced: document.body.dataset.syncedMs ?? null,
    status: document.querySelector('.ycord-sync-status')?.dataset.status
  }))
  assert.equal(state.synced, null, 'the page never synced: the relay is down')
  assert.notEqual(state.status, 'synced')
  await screenshot(writer.page, 'editor-reloaded-without-relay')

  // Edits made now are kept too and reach the others once the relay is back.
  await writer.page.locator(TEXT).click()
  await writer.page.keyboard.press('Control+End')
  await writer.page.keyboard.type(' + offline')
  await stack.startRelay()
  await waitForValue(reader.page, 'the offline edit at the other page once the relay is back', TEXT, text + ' + offline')
})
