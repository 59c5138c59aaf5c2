// Three ycord nodes sharing PostgreSQL and Redis serve one room as if they were one server: real
// y-websocket clients and Rust providers spread over the nodes converge, awareness crosses nodes
// (and leaves with a clean close), and a client joining on any node has everything at its synced
// event.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startCluster } from '../support/cluster.mjs'
import { connectJsClient, JsClient } from '../support/js_client.mjs'
import { startAgent } from '../support/agent.mjs'
import { editConcurrentlyAndConverge } from '../support/mixed_edits.mjs'
import { waitForAwareness, waitForConvergence } from '../support/peers.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { seedFor } from '../support/prng.mjs'

/**
 * A clean close is announced to the other nodes at once; this allows for a loaded CI box and
 * the trip through Redis (one node alone does it within 1 s, see
 * awareness_is_shared_and_leavers_vanish.test.mjs).
 */
const VANISH_BOUND_MS = 2000
const WAIT_TIMEOUT_MS = 15000

const hasStatesOf = peers => states =>
  peers.every(peer => states[String(peer.clientId)]?.user?.name === peer.name)
const lacksStatesOf = peers => states =>
  peers.every(peer => !(String(peer.clientId) in states))

/** What `client` has at its first synced event (read inside the handler, as an app would). */
function contentAtSynced (client, what) {
  return deadline(new Promise(resolve => {
    client.provider.on('synced', isSynced => { if (isSynced) resolve(snapshotOf(client.doc)) })
  }), WAIT_TIMEOUT_MS, what)
}

test('JS clients and Rust providers spread over three nodes converge', { timeout: 120000 }, async t => {
  const own = resources(t)
  const { nodes } = await startCluster(own, { nodes: 3 })
  const room = 'spread-room'
  const peers = []
  for (const [i, node] of nodes.entries()) {
    peers.push(own(await connectJsClient(node.url, room, `js-${i + 1}@${node.name}`)))
    peers.push(own(await startAgent(node.url, room, `rust-${i + 1}@${node.name}`)))
  }

  const seed = seedFor(0x5eed_c105)
  t.diagnostic(`seed ${seed}`)
  const converged = await editConcurrentlyAndConverge(peers, { seed })

  // The third node relays and keeps what the others accepted: a newcomer there has it all.
  const late = own(new JsClient(nodes[2].url, room, 'js-late'))
  const atSynced = await contentAtSynced(late, 'a late joiner on node-3 to sync')
  assert.deepEqual(atSynced, converged, 'a late joiner on node-3 has everything at its synced event')
})

test('awareness set on one node reaches clients on another and leaves with a clean close', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { nodes } = await startCluster(own, { nodes: 3 })
  const room = 'presence-room'
  const [first, second, third] = nodes
  const jsLeaving = own(await connectJsClient(first.url, room, 'js-leaving@node-1'))
  const rustLeaving = own(await startAgent(first.url, room, 'rust-leaving@node-1'))
  const jsWatching = own(await connectJsClient(third.url, room, 'js-watching@node-3'))
  const rustWatching = own(await startAgent(third.url, room, 'rust-watching@node-3'))
  const jsMiddle = own(await connectJsClient(second.url, room, 'js-middle@node-2'))
  const everyone = [jsLeaving, rustLeaving, jsWatching, rustWatching, jsMiddle]

  for (const peer of everyone) await peer.setAwareness({ user: { name: peer.name } })
  await waitForAwareness(everyone, hasStatesOf(everyone), {
    what: 'every client on every node to see every awareness state',
    timeoutMs: WAIT_TIMEOUT_MS
  })

  const leavers = [jsLeaving, rustLeaving]
  const watchers = [jsWatching, rustWatching, jsMiddle]
  const started = performance.now()
  await Promise.all(leavers.map(peer => peer.leave()))
  await waitForAwareness(watchers, lacksStatesOf(leavers), {
    what: 'the clients that left node-1 cleanly to vanish on node-2 and node-3',
    timeoutMs: WAIT_TIMEOUT_MS
  })
  const elapsed = performance.now() - started
  assert.ok(elapsed < VANISH_BOUND_MS,
    `clients that left node-1 cleanly vanished on the other nodes after ${Math.round(elapsed)} ms (bound ${VANISH_BOUND_MS} ms)`)
  await waitForAwareness(watchers, hasStatesOf(watchers), {
    what: 'the clients that stayed to still see each other',
    timeoutMs: WAIT_TIMEOUT_MS
  })
})

test('a late joiner on a node that never served the room has everything at its synced event', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { nodes } = await startCluster(own, { nodes: 3 })
  const room = 'late-room'
  const js = own(await connectJsClient(nodes[0].url, room, 'js@node-1'))
  const rust = own(await startAgent(nodes[1].url, room, 'rust@node-2'))

  await js.insert(0, 'early JS text on node-1, ')
  // Append only once the agent has the JS text, so the expected order is known.
  await waitForConvergence([js, rust], WAIT_TIMEOUT_MS)
  await rust.insert(1000, 'früh from Rust on node-2 中')
  await js.mapSet('title', { by: 'js', words: ['late', 'joiner'] })
  await rust.mapSet('owner', 'rust')
  await rust.arrayPush({ item: 1 })
  await js.arrayPush('two')
  const expected = await waitForConvergence([js, rust], WAIT_TIMEOUT_MS)
  assert.equal(expected.text, 'early JS text on node-1, früh from Rust on node-2 中')

  const late = own(new JsClient(nodes[2].url, room, 'js-late@node-3'))
  const atSynced = await contentAtSynced(late, 'the late joiner on node-3 to sync')
  assert.deepEqual(atSynced, expected, 'the late JS joiner on node-3 has everything at its synced event')

  const lateRust = own(await startAgent(nodes[2].url, room, 'rust-late@node-3'))
  assert.deepEqual(await lateRust.snapshot(), expected, 'the late Rust agent on node-3 has everything once synced')
})

test('deleting a room on one node closes its sockets on every node', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { nodes } = await startCluster(own, { nodes: 3 })
  const room = 'doomed-room'
  const clients = []
  for (const node of nodes) clients.push(own(await connectJsClient(node.url, room, `js@${node.name}`)))
  await clients[0].insert(0, 'about to be deleted')
  await waitForConvergence(clients, WAIT_TIMEOUT_MS)

  // y-websocket does not reconnect after a 44xx close, so nothing brings the room back.
  const closes = clients.map(client => deadline(new Promise(resolve => {
    client.provider.on('connection-close', event => resolve(event?.code))
  }), WAIT_TIMEOUT_MS, `${client.name}'s socket to close`))
  const deleted = await deadline(fetch(`${nodes[1].httpUrl}/api/rooms/${room}`, { method: 'DELETE' }), 10000, 'DELETE on node-2')
  assert.equal(deleted.status, 200, 'DELETE on node-2 answers 200')
  assert.deepEqual(await Promise.all(closes), [4410, 4410, 4410], 'the room\'s sockets on all three nodes were closed with 4410')

  for (const node of nodes) {
    const gone = await deadline(fetch(`${node.httpUrl}/api/rooms/${room}`), 10000, `GET on ${node.name}`)
    assert.equal(gone.status, 404, `${node.name} has no room ${room} any more`)
  }
})
