// A Hocuspocus provider's `unsyncedChanges` counts its edits the server has not acknowledged
// with SyncStatus(true). ycord acknowledges an edit only once its store has it: the provider
// reaching 0 is the durability promise. Each edit below waits for 0, then the server is killed
// with SIGKILL at once and restarted on the same data directory: every edit must be there.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { connectHocuspocusClient } from '../support/hocuspocus_client.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'

const ROOM = 'stored'
const EDITS = 20

async function roomText (server) {
  const response = await deadline(fetch(`${server.httpUrl}/api/rooms/${ROOM}?format=json`), 5000, 'GET /api/rooms')
  assert.equal(response.status, 200, 'GET /api/rooms/{room} answers 200')
  return JSON.stringify(await response.json())
}

test('unsyncedChanges reaches 0 only for stored edits: a SIGKILL right after loses none', { timeout: 90000 }, async t => {
  const own = resources(t)
  const dataDir = tempDir(own, 'hocuspocus-stored')
  const server = own(await startYcord(['--data-dir', dataDir]), async () => { if (server.running) await server.stop() })
  const client = own(await connectHocuspocusClient(server.url, ROOM, 'writer'))
  await client.allStored()

  for (let i = 1; i <= EDITS; i++) {
    await client.insert(Infinity, `[edit-${i}]`)
    assert.ok(client.provider.unsyncedChanges > 0, `edit ${i} is unsynced until the server says otherwise`)
    await client.allStored()
  }
  assert.match(await roomText(server), new RegExp(`\\[edit-${EDITS}\\]`), 'the HTTP API serves the last edit')
  // Acknowledged: kill at once, before anything else can happen.
  await client.insert(Infinity, '[last]')
  await client.allStored()
  await server.kill()

  const restarted = own(await startYcord(['--data-dir', dataDir]), () => restarted.stop())
  const text = await roomText(restarted)
  for (let i = 1; i <= EDITS; i++) assert.ok(text.includes(`[edit-${i}]`), `edit ${i} survived: ${text}`)
  assert.ok(text.includes('[last]'), `the edit acknowledged right before the kill survived: ${text}`)
})
