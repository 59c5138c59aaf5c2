// Alice types Japanese with an input method (driven through Chromium's own IME input, the path
// a real IME takes) while Bob types in the same text: her composition is not interrupted by his
// edits, and once she commits it both pages hold both people's text.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resources } from '../support/resources.mjs'
import { openSyncedEditors } from './support/editors.mjs'
import { screenshot, valueOf, waitForValue, waitInPage } from './support/browser.mjs'

const TEXT = 'textarea.text'

test('an IME composition in the editor survives remote typing', { timeout: 90000 }, async t => {
  const own = resources(t)
  const [alice, bob] = await openSyncedEditors(own, t, 'editor-ime', ['Alice', 'Bob'])

  await bob.page.locator(TEXT).click()
  await bob.page.keyboard.type('Bob: ')
  await waitForValue(alice.page, "Bob's first text at Alice", TEXT, 'Bob: ')

  await alice.page.locator(TEXT).click()
  await alice.page.keyboard.press('Control+Home')
  await alice.page.evaluate(() => {
    const area = document.querySelector('textarea.text')
    window.compositionEvents = []
    for (const kind of ['compositionstart', 'compositionend']) {
      area.addEventListener(kind, () => window.compositionEvents.push(kind))
    }
  })
  const ime = await alice.page.context().newCDPSession(alice.page)
  await ime.send('Input.imeSetComposition', { text: 'に', selectionStart: 1, selectionEnd: 1 })
  await ime.send('Input.imeSetComposition', { text: 'にほ', selectionStart: 2, selectionEnd: 2 })

  // Bob types while Alice is composing; the document at Alice receives it.
  await bob.page.keyboard.type('hello')
  // The mirror under the textarea (where remote carets are drawn) shows the document, with a
  // zero-width space after it.
  await waitInPage(alice.page, "Bob's typing in Alice's document", expected => {
    const mirror = document.querySelector('.mirror')
    return mirror && [...mirror.childNodes]
      .filter(node => !node.classList?.contains('remote-caret'))
      .map(node => node.textContent).join('') === expected + '\u200b'
  }, 'Bob: hello')
  assert.equal(await valueOf(alice.page, TEXT), 'にほBob: ',
    "Alice's textarea is left alone while she composes")
  await ime.send('Input.imeSetComposition', { text: '日本', selectionStart: 2, selectionEnd: 2 })
  await ime.send('Input.insertText', { text: '日本' })

  const expected = '日本Bob: hello'
  for (const [who, user] of [['Alice', alice], ['Bob', bob]]) {
    await waitForValue(user.page, `both people's text at ${who}`, TEXT, expected)
  }
  assert.deepEqual(await alice.page.evaluate(() => window.compositionEvents),
    ['compositionstart', 'compositionend'], 'one composition, ended by its commit only')
  const caret = await alice.page.evaluate(() => document.querySelector('textarea.text').selectionStart)
  assert.equal(caret, 2, "Alice's caret stays right after her composed text")

  // She goes on typing after her text.
  await alice.page.keyboard.type('!')
  await waitForValue(bob.page, "Alice's next keystroke at Bob", TEXT, '日本!Bob: hello')
  await screenshot(alice.page, 'editor-ime-alice')
})
