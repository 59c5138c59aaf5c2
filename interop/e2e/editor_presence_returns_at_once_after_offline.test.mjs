// One editor page goes offline and comes back: within 1 s of its socket opening again, each
// page lists the other under "Here" (not after the next 15 s awareness renewal).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resources } from '../support/resources.mjs'
import { openSyncedEditors } from './support/editors.mjs'
import { screenshot, waitInPage } from './support/browser.mjs'

const BOUND_MS = 1000

const lists = (page, name) => page.evaluate(
  name => [...document.querySelectorAll('.person:not(.me)')].some(li => li.textContent.includes(name)), name)

/**
 * Records in the page, by wall clock, when the socket is open again (the status line leaves
 * "offline"/"connecting") and when `name` is first listed under "Here".
 */
function watchReturn (page, name) {
  return page.evaluate(name => {
    window.returnTimes = {}
    const check = () => {
      const times = window.returnTimes
      const status = document.querySelector('.ycord-sync-status')?.dataset.status
      if (times.open === undefined && (status === 'connected' || status === 'synced')) times.open = Date.now()
      const listed = [...document.querySelectorAll('.person:not(.me)')].some(li => li.textContent.includes(name))
      if (times.listed === undefined && listed) times.listed = Date.now()
    }
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
    check()
  }, name)
}

test('an editor page back from offline and the page that stayed list each other within 1 s', { timeout: 90000 }, async t => {
  const own = resources(t)
  const [stayed, returning] = await openSyncedEditors(own, t, 'editor-presence-return', ['Stayed', 'Returning'])
  await waitInPage(stayed.page, 'Returning listed at Stayed',
    () => [...document.querySelectorAll('.person:not(.me)')].some(li => li.textContent.includes('Returning')))
  await waitInPage(returning.page, 'Stayed listed at Returning',
    () => [...document.querySelectorAll('.person:not(.me)')].some(li => li.textContent.includes('Stayed')))

  await returning.context.setOffline(true)
  await waitInPage(returning.page, 'the offline page forgetting who was here',
    () => document.querySelector('.ycord-sync-status')?.dataset.status !== 'synced' &&
      ![...document.querySelectorAll('.person:not(.me)')].some(li => li.textContent.includes('Stayed')))
  assert.equal(await lists(returning.page, 'Stayed'), false)
  await watchReturn(returning.page, 'Stayed')
  await watchReturn(stayed.page, 'Returning')

  await returning.context.setOffline(false)
  await waitInPage(returning.page, 'Stayed listed again at Returning', () => window.returnTimes.listed !== undefined)
  await waitInPage(stayed.page, 'Returning listed at Stayed after its return', () => window.returnTimes.listed !== undefined)
  await waitInPage(returning.page, 'the returning page connected', () => window.returnTimes.open !== undefined)
  const back = await returning.page.evaluate(() => window.returnTimes)
  const stayedTimes = await stayed.page.evaluate(() => window.returnTimes)
  const returnerSaw = back.listed - back.open
  const stayedSaw = stayedTimes.listed - back.open
  t.diagnostic(`after the socket opened again: Returning listed Stayed after ${returnerSaw} ms, ` +
    `Stayed listed Returning after ${stayedSaw} ms (negative: never stopped listing it)`)
  await screenshot(returning.page, 'editor-presence-back-from-offline')
  assert.ok(returnerSaw < BOUND_MS, `Returning listed Stayed ${returnerSaw} ms after reconnecting (bound ${BOUND_MS} ms)`)
  assert.ok(stayedSaw < BOUND_MS, `Stayed listed Returning ${stayedSaw} ms after it reconnected (bound ${BOUND_MS} ms)`)
})
