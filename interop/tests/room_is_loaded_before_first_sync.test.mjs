// A room with stored content is loaded before its first sync is answered: the first clients to
// connect after a restart have all of it at their `synced` event. (The Node reference server
// answers while its persistence is still loading and can hand out an empty document.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForConvergence } from '../support/peers.mjs'
import { JsClient } from '../support/js_client.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'

/** Separate small updates, so loading the room means reading (and applying) many records. */
const UPDATES = 400
/** Clients that connect at once to the restarted server. */
const FIRST_CLIENTS = 3

/**
 * Writes a document of many small updates with one client; another client must have received
 * all of it, so the server has relayed (hence, with sync durability, stored) every update.
 * Returns the common snapshot.
 */
async function writeContent (own, url, room) {
  const [writer, watcher] = await joinRoom(own, url, room, { js: 2 })
  for (let i = 0; i < UPDATES; i++) {
    if (i % 4 === 0) await writer.insert(1e9, `line ${i} ✓ 中\n`)
    else if (i % 4 === 1) await writer.mapSet(`key-${i % 50}`, { i, tags: ['a', i] })
    else await writer.arrayPush(i)
  }
  const expected = await waitForConvergence([writer, watcher], 20000)
  assert.equal(expected.array.length, UPDATES / 2, 'the written document has every array item')
  await writer.close()
  await watcher.close()
  return expected
}

/** Connects `count` clients at once; resolves with each one's snapshot taken in its synced handler. */
async function connectAtOnce (own, url, room, count) {
  const clients = []
  for (let i = 1; i <= count; i++) clients.push(own(new JsClient(url, room, `first-${i}`)))
  return Promise.all(clients.map(client => deadline(new Promise(resolve => {
    client.provider.on('synced', isSynced => { if (isSynced) resolve(snapshotOf(client.doc)) })
  }), 15000, `${client.name} to sync with the restarted server`)))
}

for (const { how, signal } of [
  { how: 'a clean stop (SIGTERM)', signal: 'SIGTERM' },
  { how: 'a SIGKILL once everything was echoed', signal: 'SIGKILL' }
]) {
  test(`after ${how} the first clients have the stored room at their synced event`, { timeout: 60000 }, async t => {
    const own = resources(t)
    const dataDir = tempDir(own, 'load-before-sync')
    const room = `stored-room-${signal.toLowerCase()}`

    const first = await startYcord(['--data-dir', dataDir])
    own(first, () => first.kill())
    const expected = await writeContent(own, first.url, room)
    const exit = signal === 'SIGTERM' ? await first.stop() : await first.kill()
    if (signal === 'SIGTERM') assert.deepEqual(exit, { code: 0, signal: null }, 'ycord exits 0 on SIGTERM')
    else assert.equal(exit.signal, 'SIGKILL')

    const second = await startYcord(['--data-dir', dataDir])
    own(second, () => second.stop())
    const atSynced = await connectAtOnce(own, second.url, room, FIRST_CLIENTS)
    atSynced.forEach((snapshot, i) => {
      assert.equal(snapshot.array.length, expected.array.length, `first-${i + 1}: array items at synced`)
      assert.equal(snapshot.text.length, expected.text.length, `first-${i + 1}: text length at synced`)
      assert.deepEqual(snapshot, expected, `first-${i + 1} has the whole stored document at its synced event`)
    })
  })
}
