// What the nodes keep in Redis stays bounded: a room's stream is trimmed to about
// --redis-stream-max-len entries under load, an idle room's stream expires after --redis-key-ttl
// (and the room carries on afterwards), and a node's heartbeat key lives exactly as long as the
// node does, give or take --node-heartbeat-ttl.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { everyMs, startCluster, TokenWriter, union, waitForTokens } from '../support/cluster.mjs'
import { connectJsClient } from '../support/js_client.mjs'
import { waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

const WAIT_TIMEOUT_MS = 30000

/** `ycord:room:<name>`, with every byte outside `A-Za-z0-9-._~/` escaped as `%XX`. */
function roomStreamKey (room) {
  let key = 'ycord:room:'
  for (const byte of Buffer.from(room, 'utf8')) {
    const char = String.fromCharCode(byte)
    key += /[A-Za-z0-9\-._~/]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return key
}

/** Resolves once `EXISTS key` answers `wanted` (Redis announces no expiry; it is polled). */
function waitForKey (redis, key, wanted, { what, timeoutMs }) {
  return waitFor(async () => {
    const exists = await redis.command('EXISTS', key)
    return { done: exists === String(wanted), detail: { key, exists } }
  }, { what, timeoutMs, subscribe: everyMs(100) })
}

test('a room\'s stream stays near --redis-stream-max-len under load', { timeout: 120000 }, async t => {
  const own = resources(t)
  const maxLen = 50
  const { nodes, redis } = await startCluster(own, { nodes: 2, args: ['--redis-stream-max-len', String(maxLen)] })
  // A ':' in the room name is escaped in the key, so the key is checked as well as the bound.
  const room = 'docs/bounded:room'
  const key = roomStreamKey(room)
  assert.equal(key, 'ycord:room:docs/bounded%3Aroom')
  const writer = new TokenWriter(own(await connectJsClient(nodes[0].url, room, 'writer@node-1')))
  const reader = new TokenWriter(own(await connectJsClient(nodes[1].url, room, 'reader@node-2')))

  const lengths = []
  for (let batch = 0; batch < 10; batch++) {
    writer.writeNow(50)
    // Once node-2's client has them, node-1 has published them all.
    await waitForTokens([reader], writer.written, WAIT_TIMEOUT_MS)
    lengths.push(Number(await redis.command('XLEN', key)))
  }
  t.diagnostic(`XLEN ${key} after each batch of 50 updates: ${lengths.join(', ')}`)
  assert.equal(writer.written.size, 500)
  // MAXLEN ~ trims whole macro nodes only, so the length may exceed the bound by up to one node
  // (100 entries by default).
  for (const length of lengths) {
    assert.ok(length > 0 && length <= maxLen + 100, `the stream holds ${length} entries (bound ${maxLen} + 100)`)
  }
})

test('an idle room\'s stream key expires after --redis-key-ttl and the room carries on', { timeout: 120000 }, async t => {
  const own = resources(t)
  const ttlSeconds = 2
  const { nodes, redis } = await startCluster(own, { nodes: 2, args: ['--redis-key-ttl', String(ttlSeconds)] })
  const room = 'idle-room'
  const key = roomStreamKey(room)
  const writer = new TokenWriter(own(await connectJsClient(nodes[0].url, room, 'writer@node-1')))
  const reader = new TokenWriter(own(await connectJsClient(nodes[1].url, room, 'reader@node-2')))

  writer.writeNow(5)
  await waitForTokens([reader], writer.written, WAIT_TIMEOUT_MS)
  assert.equal(await redis.command('EXISTS', key), '1', `${key} exists after the room's updates were published`)
  const ttl = Number(await redis.command('PTTL', key))
  assert.ok(ttl > 0 && ttl <= ttlSeconds * 1000, `${key} expires in ${ttl} ms (set at most ${ttlSeconds * 1000} ms)`)

  const idleSince = performance.now()
  await waitForKey(redis, key, 0, { what: `${key} to expire while the room is idle`, timeoutMs: WAIT_TIMEOUT_MS })
  const expiredAfter = performance.now() - idleSince
  t.diagnostic(`${key} vanished ${Math.round(expiredAfter)} ms into the idle time`)
  assert.ok(expiredAfter <= ttlSeconds * 1000 + 1000, `${key} expired after ${Math.round(expiredAfter)} ms of idleness`)

  // The clients are still there; new writes cross the nodes over a new stream.
  writer.writeNow(5)
  await waitForTokens([reader], writer.written, WAIT_TIMEOUT_MS)
  assert.equal(await redis.command('EXISTS', key), '1', `${key} exists again after new updates`)
  const written = union([writer.written])
  assert.equal(reader.log.length, written.size, 'the reader has every token once')
})

test('a node\'s heartbeat key lives while the node runs and expires after it dies', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { nodes, redis } = await startCluster(own, { nodes: 2 })
  const [survivor, victim] = nodes
  const heartbeat = node => `ycord:node:${node.nodeId}`
  for (const node of nodes) {
    await waitForKey(redis, heartbeat(node), 1, { what: `${heartbeat(node)} to appear`, timeoutMs: 10000 })
    const ttl = Number(await redis.command('PTTL', heartbeat(node)))
    assert.ok(ttl > 0 && ttl <= 3000, `${heartbeat(node)} expires in ${ttl} ms (default --node-heartbeat-ttl 3 s)`)
  }
  // Renewed: still there well past one TTL.
  await new Promise(resolve => setTimeout(resolve, 4000))
  for (const node of nodes) {
    assert.equal(await redis.command('EXISTS', heartbeat(node)), '1', `${heartbeat(node)} is renewed while ${node.name} runs`)
  }

  await victim.kill()
  const killedAt = performance.now()
  await waitForKey(redis, heartbeat(victim), 0, { what: `${heartbeat(victim)} to expire after the kill`, timeoutMs: 10000 })
  const expiredAfter = performance.now() - killedAt
  assert.ok(expiredAfter <= 3000 + 500, `${heartbeat(victim)} expired ${Math.round(expiredAfter)} ms after the kill`)
  assert.equal(await redis.command('EXISTS', heartbeat(survivor)), '1', `${heartbeat(survivor)} is still there`)
})
