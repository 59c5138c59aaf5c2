// Two people open the editor on one room: what one types appears at the other, each sees the
// other in the people list and their caret in the text, and undo takes back only one's own edits.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resources } from '../support/resources.mjs'
import { openSyncedEditors } from './support/editors.mjs'
import { screenshot, valueOf, waitForValue, waitInPage } from './support/browser.mjs'

const TEXT = 'textarea.text'

test('two editor pages on one room share typing and presence', { timeout: 90000 }, async t => {
  const own = resources(t)
  const [alice, bob] = await openSyncedEditors(own, t, 'editor-presence', ['Alice', 'Bob'])

  await alice.page.locator(TEXT).click()
  await alice.page.keyboard.type('Hello from Alice 👋\n')
  await waitForValue(bob.page, "Alice's text at Bob", TEXT, 'Hello from Alice 👋\n')

  await bob.page.locator(TEXT).click()
  await bob.page.keyboard.press('Control+End')
  await bob.page.keyboard.type('and Bob, 中文 too')
  const expected = 'Hello from Alice 👋\nand Bob, 中文 too'
  await waitForValue(alice.page, "Bob's text at Alice", TEXT, expected)
  assert.equal(await valueOf(bob.page, TEXT), expected)

  // Presence: each lists the other, and draws the other's caret where it is.
  await waitInPage(alice.page, 'Bob in the people list at Alice',
    () => [...document.querySelectorAll('.person')].some(li => li.textContent.includes('Bob') && li.textContent.includes('line 2')))
  await waitInPage(bob.page, 'Alice in the people list at Bob',
    () => [...document.querySelectorAll('.person')].some(li => li.textContent.includes('Alice')))
  await waitInPage(alice.page, "Bob's caret drawn at Alice",
    () => document.querySelector('.remote-caret[data-name="Bob"]'))
  // Bob's caret is at the end of his line: everything before it in the mirror is the text.
  const beforeCaret = await alice.page.evaluate(() => {
    const caret = document.querySelector('.remote-caret[data-name="Bob"]')
    let text = ''
    for (let node = caret.previousSibling; node; node = node.previousSibling) text = node.textContent + text
    return text
  })
  assert.equal(beforeCaret, expected)

  await screenshot(alice.page, 'editor-two-users-alice')
  await screenshot(bob.page, 'editor-two-users-bob')

  // Undo takes back Bob's own edits only, step by step until nothing is left to undo; redo
  // brings them back. Both pages follow.
  const undo = bob.page.locator('button.undo')
  while (await undo.isEnabled()) await undo.click()
  for (const [who, user] of [['Bob', bob], ['Alice', alice]]) {
    await waitForValue(user.page, `Bob's edits undone at ${who}`, TEXT, 'Hello from Alice 👋\n')
  }
  const redo = bob.page.locator('button.redo')
  while (await redo.isEnabled()) await redo.click()
  await waitForValue(alice.page, "Bob's edits redone at Alice", TEXT, expected)
})
