// Every client (JS and Rust) sees every other client's awareness state; clients that leave
// cleanly or die vanish from everyone else's awareness, and on ycord quickly.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForAwareness } from '../support/peers.mjs'
import { resources } from '../support/resources.mjs'

/** ycord removes a dead connection's awareness within 100 ms; this allows for a loaded CI box. */
const VANISH_BOUND_MS = 1000
const WAIT_TIMEOUT_MS = 10000

const hasStatesOf = peers => states =>
  peers.every(peer => states[String(peer.clientId)]?.user?.name === peer.name)
const lacksStatesOf = peers => states =>
  peers.every(peer => !(String(peer.clientId) in states))

test('awareness reaches every client and leavers vanish within 1 s', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const peers = await joinRoom(own, server.url, 'awareness-room', { js: 3, agents: 3 })
  const [jsStay, jsLeave, jsCrash, rustStay, rustLeave, rustCrash] = peers

  for (const peer of peers) await peer.setAwareness({ user: { name: peer.name } })
  await waitForAwareness(peers, hasStatesOf(peers), {
    what: 'every client to see every awareness state',
    timeoutMs: WAIT_TIMEOUT_MS
  })

  // Clean leave: the JS provider is destroyed, the agent disconnects.
  const leavers = [jsLeave, rustLeave]
  let remaining = [jsStay, jsCrash, rustStay, rustCrash]
  let started = performance.now()
  await Promise.all(leavers.map(peer => peer.leave()))
  await waitForAwareness(remaining, lacksStatesOf(leavers), {
    what: 'clients that left cleanly to vanish',
    timeoutMs: WAIT_TIMEOUT_MS
  })
  let elapsed = performance.now() - started
  assert.ok(elapsed < VANISH_BOUND_MS,
    `clients that left cleanly vanished after ${Math.round(elapsed)} ms (bound ${VANISH_BOUND_MS} ms)`)

  // Crash: the JS client's socket is cut without a close frame, the agent gets SIGKILL.
  const crashed = [jsCrash, rustCrash]
  remaining = [jsStay, rustStay]
  started = performance.now()
  await Promise.all(crashed.map(peer => peer.crash()))
  await waitForAwareness(remaining, lacksStatesOf(crashed), {
    what: 'crashed clients to vanish',
    timeoutMs: WAIT_TIMEOUT_MS
  })
  elapsed = performance.now() - started
  assert.ok(elapsed < VANISH_BOUND_MS,
    `crashed clients vanished after ${Math.round(elapsed)} ms (bound ${VANISH_BOUND_MS} ms)`)

  // The survivors still see each other.
  await waitForAwareness(remaining, hasStatesOf(remaining), {
    what: 'the remaining clients to still see each other',
    timeoutMs: WAIT_TIMEOUT_MS
  })
})
