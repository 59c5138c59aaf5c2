// The Rust provider speaking the Hocuspocus dialect to ycord's `/hocuspocus` endpoint, a JS
// HocuspocusProvider on the same endpoint and a y-websocket client on the room's own path: one
// room, one document, one set of awareness states.

import { test } from 'node:test'
import { startYcord } from '../support/ycord_server.mjs'
import { connectJsClient } from '../support/js_client.mjs'
import { connectHocuspocusClient } from '../support/hocuspocus_client.mjs'
import { startAgentWith } from '../support/agent.mjs'
import { waitForAwareness, waitForConvergence } from '../support/peers.mjs'
import { resources } from '../support/resources.mjs'

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
