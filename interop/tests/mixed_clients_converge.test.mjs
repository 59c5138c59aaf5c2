// 3 JS clients (yjs + y-websocket) and 2 Rust agents (native ycord provider) edit one room of the
// real ycord server concurrently and end with identical documents, nothing lost.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom } from '../support/peers.mjs'
import { editConcurrentlyAndConverge } from '../support/mixed_edits.mjs'
import { seedFor } from '../support/prng.mjs'
import { resources } from '../support/resources.mjs'

test('mixed JS and Rust clients converge on ycord', { timeout: 90000 }, async t => {
  const own = resources(t)
  const seed = seedFor(0x5eed01)
  t.diagnostic(`seed ${seed} (replay with INTEROP_SEED=${seed})`)
  const server = own(await startYcord(), () => server.stop())
  const peers = await joinRoom(own, server.url, 'mixed-room', { js: 3, agents: 2 })

  for (const peer of peers.filter(p => p.kind === 'agent')) {
    assert.ok(peer.clientId < 2 ** 32, `${peer.name} has a 32-bit client id like Yjs, got ${peer.clientId}`)
  }
  await editConcurrentlyAndConverge(peers, { seed })
})
