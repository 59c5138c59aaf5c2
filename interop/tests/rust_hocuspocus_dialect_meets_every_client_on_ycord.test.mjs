// The Rust provider speaking the Hocuspocus dialect to ycord's `/hocuspocus` endpoint, a JS
// HocuspocusProvider on the same endpoint and a y-websocket client on the room's own path: one
// room, one document, one set of awareness states; stateless messages pass between the two
// Hocuspocus clients and never reach the y-websocket one.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { connectJsClient } from '../support/js_client.mjs'
import { connectHocuspocusClient } from '../support/hocuspocus_client.mjs'
import { agentEvent, startAgent, startAgentWith } from '../support/agent.mjs'
import { waitForAwareness, waitForConvergence } from '../support/peers.mjs'
import { resources } from '../support/resources.mjs'
import { waitFor } from '../support/wait.mjs'

const WAIT_TIMEOUT_MS = 10000

test('a Rust Hocuspocus provider, a JS Hocuspocus provider and a y-websocket client share a ycord room', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const room = 'notes/three-clients'
  const yWebsocket = own(await connectJsClient(server.url, room, 'js-y-websocket'))
  const hocuspocus = own(await connectHocuspocusClient(server.url, room, 'js-hocuspocus'))
  const rust = own(await startAgentWith(`${server.url}/hocuspocus`, room, 'rust-hocuspocus', { dialect: 'hocuspocus' }))
  const peers = [yWebsocket, hocuspocus, rust]

  for (const [i, peer] of peers.entries()) {
    await peer.insert(0, `${peer.name};`)
    await peer.mapSet(peer.name, i)
    await peer.arrayPush(peer.name)
  }
  const converged = await waitForConvergence(peers, WAIT_TIMEOUT_MS)
  for (const peer of peers) {
    if (!converged.text.includes(`${peer.name};`)) throw new Error(`${peer.name}'s edit is missing: ${converged.text}`)
  }

  for (const peer of peers) await peer.setAwareness({ user: { name: peer.name } })
  await waitForAwareness(peers,
    states => peers.every(p => states[String(p.clientId)]?.user?.name === p.name),
    { what: 'every client to see every other', timeoutMs: WAIT_TIMEOUT_MS })

  // The Rust provider leaves: the others see it go.
  await rust.leave()
  await waitForAwareness([yWebsocket, hocuspocus], states => states[String(rust.clientId)] === undefined,
    { what: 'the Rust provider to be seen leaving', timeoutMs: WAIT_TIMEOUT_MS })
})

test('stateless messages pass between a Rust and a JS Hocuspocus provider on ycord, never to a y-websocket client', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const room = 'notes/stateless'
  const yWebsocket = own(await connectJsClient(server.url, room, 'js-y-websocket'))
  // Every frame the y-websocket client's socket receives, raw.
  const yWebsocketFrames = []
  yWebsocket.provider.ws.on('message', data => yWebsocketFrames.push(Buffer.from(data)))
  const hocuspocus = own(await connectHocuspocusClient(server.url, room, 'js-hocuspocus'))
  const rust = own(await startAgentWith(`${server.url}/hocuspocus`, room, 'rust-hocuspocus', { dialect: 'hocuspocus' }))
  const rustReceived = []
  rust.on('stateless', ({ payload }) => rustReceived.push(payload))

  // Rust -> JS Hocuspocus, byte for byte.
  const fromRust = '{"from":"rust","note":"héllo ✓"}'
  const jsHeard = hocuspocus.waitForEvent(e => e.type === 'stateless' && e.payload === fromRust,
    'the Rust stateless message')
  await rust.sendStateless(fromRust)
  await jsHeard

  // JS Hocuspocus -> Rust. Sent after JS heard the Rust message, so a relay of that message
  // back to its sender would have reached Rust first.
  const rustHeard = agentEvent(rust, 'stateless', m => m.payload === 'from-js', WAIT_TIMEOUT_MS)
  hocuspocus.sendStateless('from-js')
  await rustHeard
  assert.deepEqual(rustReceived, ['from-js'], 'Rust hears the JS message and not its own')

  // An edit Rust makes afterwards reaches the y-websocket client; a stateless message relayed
  // to it would have arrived before it.
  await rust.insert(0, 'after-stateless;')
  await waitFor(async () => {
    const { text } = await yWebsocket.snapshot()
    return { done: text.includes('after-stateless;'), detail: text }
  }, { what: 'the y-websocket client to see the later edit', timeoutMs: WAIT_TIMEOUT_MS, subscribe: notify => yWebsocket.onRemoteUpdate(notify) })
  assert.ok(yWebsocketFrames.length > 0, 'the y-websocket socket was observed')
  for (const frame of yWebsocketFrames) {
    assert.ok(!frame.includes('from-js') && !frame.includes(Buffer.from(fromRust)),
      `the y-websocket client received a stateless payload: ${frame.toString('hex')}`)
  }

  // The Rust provider in the y-websocket dialect refuses to send one.
  const plain = own(await startAgent(server.url, room, 'rust-y-websocket'))
  await assert.rejects(plain.sendStateless('never'), /Hocuspocus dialect/)
})
