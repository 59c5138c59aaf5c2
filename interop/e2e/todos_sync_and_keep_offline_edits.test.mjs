// The todo list: what one person adds or completes shows at the other; a todo added while the
// relay is down is pending, survives a reload, and reaches the other once the relay is back.

import { test } from 'node:test'
import { resources } from '../support/resources.mjs'
import { startStack, uniqueRoom } from './support/stack.mjs'
import { launchBrowser, openUser, screenshot, waitInPage } from './support/browser.mjs'

async function add (page, title) {
  await page.locator('.new-todo').fill(title)
  await page.locator('.new-todo').press('Enter')
}

/** Waits until the page lists `expected`: the shown titles in order, ✓ before done ones. */
async function waitForList (page, what, expected) {
  await waitInPage(page, what, expected => {
    const listed = [...document.querySelectorAll('.todo')]
      .map(li => (li.classList.contains('done') ? '✓ ' : '') + li.querySelector('.title').value)
    return JSON.stringify(listed) === JSON.stringify(expected)
  }, expected)
}

test('todos sync between pages and offline additions survive a reload', { timeout: 120000 }, async t => {
  const own = resources(t)
  const stack = await startStack(own, 'todos')
  const browser = await launchBrowser(own)
  const room = uniqueRoom('todos')
  const ann = await openUser(own, browser, stack.url('todos', { room }), t)
  const ben = await openUser(own, browser, stack.url('todos', { room }), t)
  for (const user of [ann, ben]) {
    await waitInPage(user.page, 'page synced',
      () => document.querySelector('.ycord-sync-status')?.dataset.status === 'synced')
  }

  await add(ann.page, 'Buy milk')
  await add(ann.page, 'Call the plumber')
  await waitForList(ben.page, "Ann's todos at Ben", ['Buy milk', 'Call the plumber'])
  await ben.page.locator('.todo').nth(0).locator('.toggle').check()
  await waitForList(ann.page, "Ben's completion at Ann", ['✓ Buy milk', 'Call the plumber'])
  // Reorder: Ann moves the second todo up; Ben sees the new order.
  await ann.page.locator('.todo').nth(1).locator('.up').click()
  await waitForList(ben.page, "Ann's move at Ben", ['Call the plumber', '✓ Buy milk'])
  await screenshot(ben.page, 'todos-synced')

  // The relay goes away; Ann keeps adding.
  await stack.stopRelay()
  await waitInPage(ann.page, 'Ann noticing the relay is gone',
    () => document.querySelector('.ycord-sync-status')?.dataset.status !== 'synced')
  await add(ann.page, 'Added offline')
  await waitInPage(ann.page, 'one pending change',
    () => document.querySelector('.pending')?.dataset.pending === '1')

  await ann.page.reload()
  await waitForList(ann.page, 'the offline todo after a reload', ['Call the plumber', '✓ Buy milk', 'Added offline'])
  await waitInPage(ann.page, 'still one pending change after the reload',
    () => document.querySelector('.pending')?.dataset.pending === '1')
  await screenshot(ann.page, 'todos-offline-after-reload')

  await stack.startRelay()
  await waitForList(ben.page, 'the offline todo at Ben once the relay is back',
    ['Call the plumber', '✓ Buy milk', 'Added offline'])
  await waitInPage(ann.page, 'no pending change once synced',
    () => document.querySelector('.pending')?.dataset.pending === '0')

  // Filters show the right subsets.
  await ben.page.locator('.filter', { hasText: 'Done' }).click()
  await waitForList(ben.page, 'the Done filter', ['✓ Buy milk'])
  await ben.page.locator('.filter', { hasText: 'Active' }).click()
  await waitForList(ben.page, 'the Active filter', ['Call the plumber', 'Added offline'])
})
