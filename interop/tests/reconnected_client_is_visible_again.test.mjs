// A JS client whose socket dies and that reconnects on its own is back in everyone's awareness
// within 1 s of reconnecting. (The reference server takes ~15 s: y-websocket issue #122 — the
// server bumps the dead client's clock when removing it, so its unchanged state is refused.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForAwareness } from '../support/peers.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

const VISIBLE_BOUND_MS = 1000
const WAIT_TIMEOUT_MS = 10000

test('a reconnected JS client is visible again within 1 s', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [observerJs, reconnecting, observerRust] = await joinRoom(
    own, server.url, 'reconnect-room', { js: 2, agents: 1 })
  const observers = [observerJs, observerRust]
  const peers = [observerJs, reconnecting, observerRust]
  const id = String(reconnecting.clientId)

  for (const peer of peers) await peer.setAwareness({ user: { name: peer.name } })
  const seesAll = states => peers.every(p => states[String(p.clientId)]?.user?.name === p.name)
  await waitForAwareness(peers, seesAll, { what: 'everyone to see everyone', timeoutMs: WAIT_TIMEOUT_MS })

  let removedAt = null
  observerJs.awareness.on('change', ({ removed }) => {
    if (removed.includes(reconnecting.clientId) && removedAt === null) removedAt = performance.now()
  })
  const reconnected = new Promise(resolve => {
    reconnecting.provider.on('status', ({ status }) => { if (status === 'connected') resolve() })
  })

  const droppedAt = performance.now()
  reconnecting.dropSocket()
  await deadline(reconnected, WAIT_TIMEOUT_MS, 'y-websocket to reconnect on its own')
  const reconnectedAt = performance.now()

  await waitForAwareness(observers, states => states[id]?.user?.name === reconnecting.name, {
    what: `${reconnecting.name} to be visible again after reconnecting`,
    timeoutMs: WAIT_TIMEOUT_MS
  })
  const elapsed = performance.now() - reconnectedAt
  assert.ok(elapsed < VISIBLE_BOUND_MS,
    `visible again ${Math.round(elapsed)} ms after reconnecting (bound ${VISIBLE_BOUND_MS} ms)`)
  assert.notEqual(removedAt, null,
    'the server removed the dropped connection\'s awareness (otherwise this test proves nothing)')
  t.diagnostic(`removed ${Math.round(removedAt - droppedAt)} ms after the drop, ` +
    `reconnected after ${Math.round(reconnectedAt - droppedAt)} ms`)

  // The new connection carries awareness both ways: fresh changes reach everyone.
  reconnecting.awareness.setLocalStateField('cursor', 7)
  await waitForAwareness(observers, states => states[id]?.cursor === 7, {
    what: 'an awareness change of the reconnected client to reach everyone',
    timeoutMs: WAIT_TIMEOUT_MS
  })
  // y-websocket bumps the clocks of every remote state it drops when its socket closes, so it
  // refuses the unchanged states the server replays on reconnect until their owners renew them
  // (15 s); a change of each observer's state is what it must see at once.
  for (const observer of observers) {
    await observer.setAwareness({ user: { name: observer.name }, round: 2 })
  }
  const changedAt = performance.now()
  await waitForAwareness([reconnecting], states =>
    observers.every(o => states[String(o.clientId)]?.round === 2), {
    what: 'the reconnected client to see the observers\' new states',
    timeoutMs: WAIT_TIMEOUT_MS
  })
  const seen = Math.round(performance.now() - changedAt)
  assert.ok(seen < VISIBLE_BOUND_MS,
    `the reconnected client saw the observers' changes after ${seen} ms (bound ${VISIBLE_BOUND_MS} ms)`)
})
