// `ycord` started with no storage flags keeps its documents: the embedded store in ./ycord-data.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForConvergence } from '../support/peers.mjs'
import { JsClient } from '../support/js_client.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'

const ROOM = 'no-flags-room'

test('ycord with no flags keeps data across restarts in ./ycord-data', { timeout: 60000 }, async t => {
  const own = resources(t)
  const cwd = tempDir(own, 'no-flags')

  // Only --host/--port: no --data-dir, --ephemeral or --database-url (and no YCORD_DATA_DIR or
  // DATABASE_URL in the environment).
  const first = await startYcord([], { cwd, defaultStorage: true })
  own(first, () => first.kill())
  const [writer, watcher] = await joinRoom(own, first.url, ROOM, { js: 2 })
  await writer.insert(0, 'kept across restarts ✓')
  await writer.mapSet('version', 1)
  await watcher.arrayPush('from the watcher')
  const expected = await waitForConvergence([writer, watcher], 10000)
  await writer.close()
  await watcher.close()
  assert.deepEqual(await first.stop(), { code: 0, signal: null }, 'ycord exits 0 on SIGTERM')

  const dbFile = path.join(cwd, 'ycord-data', 'ycord.db')
  assert.ok(fs.existsSync(dbFile), `the default store exists at ./ycord-data/ycord.db (cwd has ${fs.readdirSync(cwd)})`)
  assert.ok(fs.statSync(dbFile).size > 0, 'the default store is not empty')

  const second = await startYcord([], { cwd, defaultStorage: true })
  own(second, () => second.stop())
  const fresh = own(new JsClient(second.url, ROOM, 'fresh'))
  const atSynced = await deadline(new Promise(resolve => {
    fresh.provider.on('synced', isSynced => { if (isSynced) resolve(snapshotOf(fresh.doc)) })
  }), 15000, 'the fresh client to sync with the restarted server')
  assert.equal(atSynced.text, 'kept across restarts ✓')
  assert.deepEqual(atSynced, expected, 'the restarted server has the whole document')
})
