// A client that joins a room with content has all of it the moment its `synced` event fires.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForConvergence } from '../support/peers.mjs'
import { JsClient } from '../support/js_client.mjs'
import { startAgent } from '../support/agent.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

test('a late JS joiner has the whole document at its synced event', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [js, rust] = await joinRoom(own, server.url, 'late-room', { js: 1, agents: 1 })

  await js.insert(0, 'early JS text, ')
  // Append only once the agent has the JS text, so the expected order is known.
  await waitForConvergence([js, rust], 10000)
  await rust.insert(1000, 'früh from Rust 中')
  await js.mapSet('title', { by: 'js', words: ['late', 'joiner'] })
  await rust.mapSet('owner', 'rust')
  await rust.arrayPush({ item: 1 })
  await js.arrayPush('two')
  const expected = await waitForConvergence([js, rust], 10000)
  assert.equal(expected.text, 'early JS text, früh from Rust 中')

  const late = own(new JsClient(server.url, 'late-room', 'js-late'))
  // Taken inside the event handler: what the application sees when it is told "synced".
  const atSynced = await deadline(new Promise(resolve => {
    late.provider.on('synced', isSynced => { if (isSynced) resolve(snapshotOf(late.doc)) })
  }), 10000, 'the late joiner to sync')
  assert.deepEqual(atSynced, expected, 'the late joiner has everything at its synced event')
})

test('a late Rust agent has the whole document once synced', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [js] = await joinRoom(own, server.url, 'late-rust-room', { js: 1 })
  await js.insert(0, 'written before the agent came ✓')
  await js.mapSet('answer', 42)
  await js.arrayPush([1, 'two', { three: 3 }])
  const expected = await js.snapshot()

  const late = own(await startAgent(server.url, 'late-rust-room', 'rust-late'))
  assert.deepEqual(await late.snapshot(), expected, 'the agent has everything once synced')
})
