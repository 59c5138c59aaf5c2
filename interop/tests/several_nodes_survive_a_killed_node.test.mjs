// One of three nodes is SIGKILLed while clients on every node write a stream of updates. Its
// clients move to another node; nothing any client saw acknowledged before the kill is lost; the
// dead node's clients vanish from everyone's awareness once its heartbeat expires; and the node
// comes back on its port to serve the room again.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startCluster, TokenWriter, union, missing, waitForSeen, waitForTokens } from '../support/cluster.mjs'
import { connectJsClient, JsClient } from '../support/js_client.mjs'
import { startAgent } from '../support/agent.mjs'
import { waitForAwareness, waitForConvergence } from '../support/peers.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { Prng, seedFor } from '../support/prng.mjs'

const ROOM = 'killed-node-room'
/**
 * The dead node's heartbeat key expires after --node-heartbeat-ttl (default 3 s); the other
 * nodes then drop its clients' awareness. The margin allows for the nodes' check period and a
 * loaded CI box.
 */
const DEAD_NODE_VANISH_BOUND_MS = 6000
const WAIT_TIMEOUT_MS = 30000

test('a SIGKILLed node loses nothing acknowledged and its clients vanish from awareness', { timeout: 180000 }, async t => {
  const own = resources(t)
  const seed = seedFor(0x5eed_de4d)
  const prng = new Prng(seed)
  const killAfterSeen = prng.int(200, 400)
  t.diagnostic(`seed ${seed}, kill after ${killAfterSeen} acknowledged tokens`)

  const { nodes } = await startCluster(own, { nodes: 3 })
  const [doomed, second, third] = nodes
  const writers = []
  for (const [name, node] of [['w1@node-1', doomed], ['w2@node-1', doomed], ['w3@node-2', second], ['w4@node-3', third]]) {
    writers.push(new TokenWriter(own(await connectJsClient(node.url, ROOM, name))))
  }
  const movers = writers.slice(0, 2)
  // A Rust provider on the doomed node: it cannot move, so its awareness must go with the node.
  const stranded = own(await startAgent(doomed.url, ROOM, 'rust@node-1'))
  const rustWatcher = own(await startAgent(third.url, ROOM, 'rust@node-3'))
  const watchers = [writers[2].client, writers[3].client, rustWatcher]
  await stranded.setAwareness({ user: { name: stranded.name } })
  await waitForAwareness(watchers, states => states[String(stranded.clientId)]?.user?.name === stranded.name, {
    what: 'clients on node-2 and node-3 to see the awareness of the agent on node-1',
    timeoutMs: WAIT_TIMEOUT_MS
  })

  for (const writer of writers) writer.start()
  await waitForSeen(writers, killAfterSeen, WAIT_TIMEOUT_MS)

  // The movers' next connection goes to node-2; y-websocket reconnects on its own.
  for (const writer of movers) writer.client.provider.serverUrl = second.url
  const killed = await doomed.kill()
  assert.equal(killed.signal, 'SIGKILL', 'node-1 died of SIGKILL')
  const killedAt = performance.now()
  const acknowledged = union(writers.map(w => w.seen))

  await waitForAwareness(watchers, states => !(String(stranded.clientId) in states), {
    what: 'the agent of the dead node-1 to vanish from the awareness of node-2 and node-3 clients',
    timeoutMs: WAIT_TIMEOUT_MS
  })
  const vanishedAfter = performance.now() - killedAt
  t.diagnostic(`the dead node's client vanished from awareness ${Math.round(vanishedAfter)} ms after the kill`)
  assert.ok(vanishedAfter < DEAD_NODE_VANISH_BOUND_MS,
    `the dead node's client vanished from awareness after ${Math.round(vanishedAfter)} ms (bound ${DEAD_NODE_VANISH_BOUND_MS} ms)`)

  // Tokens from node-3 reaching the movers prove they are served by node-2 now.
  const moversSaw = union(movers.map(w => w.seen)).size
  await waitForSeen(movers, moversSaw + 50, WAIT_TIMEOUT_MS)
  for (const writer of writers) writer.stop()
  const written = union(writers.map(w => w.written))
  const logs = await waitForTokens(writers, written, WAIT_TIMEOUT_MS)

  t.diagnostic(`written ${written.size}, acknowledged before the kill ${acknowledged.size}`)
  assert.ok(acknowledged.size >= killAfterSeen, `at least ${killAfterSeen} tokens were acknowledged before the kill`)
  for (const [i, log] of logs.entries()) {
    const lost = missing(acknowledged, new Set(log))
    assert.deepEqual(lost.slice(0, 20), [],
      `${lost.length} of ${acknowledged.size} tokens acknowledged before the kill are missing at ${writers[i].name}`)
    assert.equal(log.length, new Set(log).size, `no token is in ${writers[i].name}'s log twice`)
    assert.equal(log.length, written.size, `${writers[i].name}'s log is exactly the written tokens`)
  }

  // A newcomer on a surviving node has it all at its synced event: the node holds it, not
  // only the clients.
  const fresh = own(new JsClient(third.url, ROOM, 'fresh@node-3'))
  const atSynced = await deadline(new Promise(resolve => {
    fresh.provider.on('synced', isSynced => { if (isSynced) resolve(fresh.doc.getArray('log').toArray()) })
  }), WAIT_TIMEOUT_MS, 'a fresh client on node-3 to sync')
  const freshLost = missing(written, new Set(atSynced))
  assert.deepEqual(freshLost.slice(0, 20), [], `${freshLost.length} tokens are missing at a fresh node-3 client's synced event`)

  // node-1 comes back on its port as a new node; the agent that waited for it reconnects.
  await doomed.restart()
  await stranded.synced(WAIT_TIMEOUT_MS)
  await waitForConvergence([...writers.map(w => w.client), fresh, stranded, rustWatcher], WAIT_TIMEOUT_MS)
})
