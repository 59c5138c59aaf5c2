// The editor example opened by several people on one fresh room, each in their own browser
// context, all synced with the relay before a test starts typing.

import { startStack, uniqueRoom } from './stack.mjs'
import { launchBrowser, openUser, waitInPage } from './browser.mjs'

/**
 * Starts the stack and a browser, opens the editor on a new room once per name in `names`
 * (in that order) and waits until every page has synced. `name` labels the stack and the room.
 * Returns the users (as `openUser` gives them) in the order of `names`.
 */
export async function openSyncedEditors (own, t, name, names) {
  const stack = await startStack(own, name)
  const browser = await launchBrowser(own)
  const room = uniqueRoom(name)
  const users = []
  for (const who of names) {
    users.push(await openUser(own, browser, stack.url('editor', { room, name: who }), t))
  }
  for (const [index, user] of users.entries()) {
    await waitInPage(user.page, `${names[index]}'s page synced`, () => document.body.dataset.syncedMs)
  }
  return users
}
