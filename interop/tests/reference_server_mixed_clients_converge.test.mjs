// The same mixed convergence on the reference Node server (@y/websocket-server): proves the
// native ycord provider and the agents work against the server JS users run today.

import { test } from 'node:test'
import { startReferenceServer } from '../support/reference_server.mjs'
import { joinRoom } from '../support/peers.mjs'
import { editConcurrentlyAndConverge } from '../support/mixed_edits.mjs'
import { seedFor } from '../support/prng.mjs'
import { resources } from '../support/resources.mjs'

test('mixed JS and Rust clients converge on the reference server', { timeout: 90000 }, async t => {
  const own = resources(t)
  const seed = seedFor(0x5eed05)
  t.diagnostic(`seed ${seed} (replay with INTEROP_SEED=${seed})`)
  const server = own(await startReferenceServer(), () => server.stop())
  const peers = await joinRoom(own, server.url, 'reference-room', { js: 3, agents: 2 })
  await editConcurrentlyAndConverge(peers, { seed })
})
