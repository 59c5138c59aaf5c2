// Loading the editor on a 100,000-character document made of 10,000 edits: the first visit
// (nothing local, everything from the relay) and a reload (IndexedDB first, then the relay).
// The test checks the content; the times are measured, written to
// <artifacts>/editor-load-times.json and printed, never asserted.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { resources } from '../support/resources.mjs'
import { JsClient } from '../support/js_client.mjs'
import { Prng } from '../support/prng.mjs'
import { startStack, uniqueRoom } from './support/stack.mjs'
import { artifactsDir, launchBrowser, openUser, waitInPage } from './support/browser.mjs'

const EDITS = 10000
const EDIT_LENGTH = 10

test('the editor loads a 100k-character document, and reloads it from IndexedDB', { timeout: 120000 }, async t => {
  const own = resources(t)
  const stack = await startStack(own, 'editor-load')
  const room = uniqueRoom('editor-load')

  // The document, written by a JavaScript client as 10,000 small edits at scattered places.
  const author = own(new JsClient(stack.relayUrl, room, 'author'))
  await author.synced()
  const body = author.doc.getText('body')
  const prng = new Prng(20261128)
  for (let i = 0; i < EDITS; i++) {
    const word = String.fromCharCode(97 + (i % 26)).repeat(EDIT_LENGTH - 1) + ' '
    body.insert(prng.int(0, body.length), word)
  }
  const expected = body.toString()
  assert.equal(expected.length, EDITS * EDIT_LENGTH)

  const browser = await launchBrowser(own)
  const user = await openUser(own, browser, stack.url('editor', { room, name: 'Reader' }), t)
  const contentShown = expected => document.body.dataset.syncedMs &&
    document.querySelector('textarea.text')?.value === expected
  await waitInPage(user.page, 'the document after the first load', contentShown, expected)
  const first = await marks(user.page)

  // The reload must find the local copy: the sync's update arrives as one update, which the
  // page stores as one row of IndexedDB.
  await waitInPage(user.page, 'the local copy stored', async name => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    const count = await new Promise(resolve => {
      const request = db.transaction('updates').objectStore('updates').count()
      request.onsuccess = () => resolve(request.result)
    })
    db.close()
    return count > 0
  }, `ycord-editor/${room}`)

  await user.page.reload()
  await waitInPage(user.page, 'the document after a reload', contentShown, expected)
  const reload = await marks(user.page)
  assert.ok(reload.restoredMs !== null && reload.syncedMs !== null)

  const figures = {
    document: { characters: expected.length, edits: EDITS },
    firstVisit: { shownMs: first.restoredMs, syncedMs: first.syncedMs, note: 'nothing local: shown empty, then filled by the sync' },
    reload: { shownFromIndexedDbMs: reload.restoredMs, syncedMs: reload.syncedMs }
  }
  fs.writeFileSync(path.join(artifactsDir(), 'editor-load-times.json'), JSON.stringify(figures, null, 2) + '\n')
  console.log(`editor load times: ${JSON.stringify(figures)}`)
})

/** The page's milestones, in milliseconds since navigation started. */
function marks (page) {
  return page.evaluate(() => ({
    restoredMs: document.body.dataset.restoredMs ? Number(document.body.dataset.restoredMs) : null,
    syncedMs: document.body.dataset.syncedMs ? Number(document.body.dataset.syncedMs) : null
  }))
}
