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

test('late joiners receive a multi-megabyte document whole', { timeout: 60000 }, async t => {
  // ycord sends a message this large as many WebSocket frames; clients must see one message.
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [js, early] = await joinRoom(own, server.url, 'large-room', { js: 1, agents: 1 })
  const chunk = 'Große Dokumente, 大きな文書, large documents. '.repeat(1000)
  for (let i = 0; i < 40; i++) await js.insert(Infinity, `${i}: ${chunk}`)
  await js.mapSet('chunks', 40)
  // Once an agent has it all, so does the server.
  const expected = await waitForConvergence([js, early], 20000)
  assert.ok(expected.text.length > 1_500_000, `a document of ${expected.text.length} characters`)

  const late = own(new JsClient(server.url, 'large-room', 'js-large-late'))
  const atSynced = await deadline(new Promise(resolve => {
    late.provider.on('synced', isSynced => { if (isSynced) resolve(snapshotOf(late.doc)) })
  }), 20000, 'the JS joiner to sync')
  assert.deepEqual(atSynced, expected, 'the JS joiner has the whole document')
  const late2 = own(await startAgent(server.url, 'large-room', 'rust-large-late'))
  assert.deepEqual(await late2.snapshot(), expected, 'the late Rust agent has the whole document')
})
