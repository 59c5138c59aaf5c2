// Redis (without persistence) dies while clients on three nodes write, and comes back empty. While
// it is away each node keeps serving its own clients; once it is back every node and every client
// converges, and nothing any client saw acknowledged is lost.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  startCluster, TokenWriter, union, missing, waitForRedisState, waitForSeen, waitForTokens
} from '../support/cluster.mjs'
import { connectJsClient, JsClient } from '../support/js_client.mjs'
import { startAgent } from '../support/agent.mjs'
import { waitForConvergence } from '../support/peers.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

const ROOM = 'redis-restart-room'
const WAIT_TIMEOUT_MS = 30000

test('every node and client converges after a Redis restart and nothing acknowledged is lost', { timeout: 180000 }, async t => {
  const own = resources(t)
  const cluster = await startCluster(own, { nodes: 3 })
  const { nodes, redis } = cluster
  const writers = []
  // Two writers on node-1, so that node-1 has something to relay while Redis is away.
  for (const [name, node] of [['w1@node-1', nodes[0]], ['w2@node-1', nodes[0]], ['w3@node-2', nodes[1]], ['w4@node-3', nodes[2]]]) {
    writers.push(new TokenWriter(own(await connectJsClient(node.url, ROOM, name))))
  }
  const agents = [
    own(await startAgent(nodes[1].url, ROOM, 'rust@node-2')),
    own(await startAgent(nodes[2].url, ROOM, 'rust@node-3'))
  ]
  await waitForRedisState(nodes, 'connected')

  for (const writer of writers) writer.start()
  await waitForSeen(writers, 150, WAIT_TIMEOUT_MS)

  await redis.kill()
  const acknowledgedBeforeOutage = union(writers.map(w => w.seen))
  await waitForRedisState(nodes, 'unreachable')
  // node-1 still relays between its own clients while Redis is away (and meanwhile node-2 and
  // node-3 take writes that only they and PostgreSQL know about).
  const nodeOneWriters = writers.slice(0, 2)
  const nodeOneSaw = union(nodeOneWriters.map(w => w.seen)).size
  await waitForSeen(nodeOneWriters, nodeOneSaw + 100, WAIT_TIMEOUT_MS)
  const acknowledgedDuringOutage = union(writers.map(w => w.seen))

  await redis.restart()
  await waitForRedisState(nodes, 'connected')
  // Writes after the restart flow between the nodes again.
  const sawBeforeWriting = union(writers.map(w => w.seen)).size
  await waitForSeen(writers, sawBeforeWriting + 100, WAIT_TIMEOUT_MS)
  for (const writer of writers) writer.stop()

  const written = union(writers.map(w => w.written))
  const logs = await waitForTokens(writers, written, WAIT_TIMEOUT_MS)
  t.diagnostic(`written ${written.size}, acknowledged before the outage ${acknowledgedBeforeOutage.size}, ` +
    `by its end ${acknowledgedDuringOutage.size}`)
  for (const [i, log] of logs.entries()) {
    const lost = missing(acknowledgedDuringOutage, new Set(log))
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} acknowledged tokens are missing at ${writers[i].name}`)
    assert.equal(log.length, written.size, `${writers[i].name}'s log is exactly the written tokens, each once`)
  }
  // The Rust providers converge too (their dump has no log, but the state vector covers it).
  const clients = writers.map(w => w.client)
  await waitForConvergence([...clients, ...agents], WAIT_TIMEOUT_MS)

  // Each node holds everything itself: a newcomer on it has all of it at its synced event.
  for (const node of nodes) {
    const fresh = own(new JsClient(node.url, ROOM, `fresh@${node.name}`))
    const atSynced = await deadline(new Promise(resolve => {
      fresh.provider.on('synced', isSynced => { if (isSynced) resolve(fresh.doc.getArray('log').toArray()) })
    }), WAIT_TIMEOUT_MS, `a fresh client on ${node.name} to sync`)
    const lost = missing(written, new Set(atSynced))
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} tokens are missing at a fresh ${node.name} client's synced event`)
    await fresh.close()
  }
})
