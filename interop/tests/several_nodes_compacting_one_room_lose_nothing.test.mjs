// Two nodes take writes to the same room and compact its stored updates every few updates, so
// their compactions overlap with each other and with the appends of both. Afterwards the room as
// PostgreSQL alone holds it (read by a fresh single ycord with no Redis) is exactly what the
// clients converged on.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { startCluster, TokenWriter, union, missing } from '../support/cluster.mjs'
import { waitForConvergence } from '../support/peers.mjs'
import { connectJsClient } from '../support/js_client.mjs'
import { startYcord } from '../support/ycord_server.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

const ROOM = 'compacted-room'
const TOKENS_PER_WRITER = 150
const WAIT_TIMEOUT_MS = 60000

test('concurrent compactions on two nodes lose nothing that PostgreSQL should hold', { timeout: 180000 }, async t => {
  const own = resources(t)
  const { nodes, database } = await startCluster(own, { nodes: 2, args: ['--compact-after-updates', '5'] })
  const writers = []
  for (const [name, node] of [['w1@node-1', nodes[0]], ['w2@node-1', nodes[0]], ['w3@node-2', nodes[1]], ['w4@node-2', nodes[1]]]) {
    writers.push(new TokenWriter(own(await connectJsClient(node.url, ROOM, name)), { paceMs: 5 }))
  }
  // Text edits too, so that merged snapshots have deletions in them.
  const texts = writers.map(w => w.client.doc.getText('text'))

  await Promise.all(writers.map((writer, i) => new Promise(resolve => {
    const step = () => {
      writer.writeOne()
      texts[i].insert(0, `${writer.name}:${writer.n};`)
      if (writer.n % 3 === 0) texts[i].delete(0, Math.min(2, texts[i].length))
      if (writer.n >= TOKENS_PER_WRITER) resolve()
      else setTimeout(step, writer.paceMs)
    }
    step()
  })))
  // Equal state vectors mean equal documents, the log included.
  const expected = await waitForConvergence(writers.map(w => w.client), WAIT_TIMEOUT_MS)
  const written = union(writers.map(w => w.written))
  const expectedLog = writers[0].log.toArray()
  assert.deepEqual(missing(written, new Set(expectedLog)).slice(0, 20), [], 'the clients have every written token')
  assert.equal(expectedLog.length, written.size, 'the clients have each token once')

  const compactions = await Promise.all(nodes.map(node => node.compactions()))
  t.diagnostic(`compactions per node: ${compactions.join(', ')}`)
  for (const [i, count] of compactions.entries()) {
    assert.ok(count > 0, `${nodes[i].name} compacted the room while it took writes`)
  }

  // Nothing may depend on what the nodes hold in memory or in Redis.
  for (const node of nodes) await node.kill()
  const reader = await startYcord(['--database-url', database.url])
  own(reader, () => reader.stop())

  const response = await deadline(fetch(`${reader.httpUrl}/api/rooms/${ROOM}`), 10000, `GET /api/rooms/${ROOM}`)
  assert.equal(response.status, 200, `GET /api/rooms/${ROOM} answers 200`)
  const stored = new Y.Doc()
  Y.applyUpdate(stored, new Uint8Array(await response.arrayBuffer()))
  const storedLog = stored.getArray('log').toArray()
  const lost = missing(written, new Set(storedLog))
  assert.deepEqual(lost.slice(0, 20), [], `${lost.length} of ${written.size} tokens are missing from PostgreSQL`)
  assert.deepEqual(storedLog, expectedLog, 'the stored log is the clients\' log, in the same order')
  assert.deepEqual(snapshotOf(stored), expected, 'the stored text and state vector are the clients\'')

  const asJson = await deadline(fetch(`${reader.httpUrl}/api/rooms/${ROOM}?format=json`), 10000, 'GET ?format=json')
  assert.equal(asJson.status, 200, `GET /api/rooms/${ROOM}?format=json answers 200`)
  const json = await asJson.json()
  assert.deepEqual(json.log, expectedLog, 'the JSON view has the clients\' log')
  assert.equal(json.text, expected.text, 'the JSON view has the clients\' text')
})
