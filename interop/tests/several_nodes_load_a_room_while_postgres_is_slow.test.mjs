// A client brings the room to a third node while PostgreSQL answers nothing about it (its
// updates table is locked for a few seconds), and while clients on the other two nodes keep
// writing. The newcomer still ends up with everything: what was stored before, and what the
// other nodes publish while and after its load waits. (The node itself is started before the
// lock: a starting ycord prepares its statements, which waits for the lock too.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  everyMs, psql, startCluster, TokenWriter, union, missing, waitForSeen, waitForTokens
} from '../support/cluster.mjs'
import { connectJsClient, JsClient } from '../support/js_client.mjs'
import { deadline, waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

const ROOM = 'slow-store-room'
/** The table of stored updates (persistence/src/postgres.rs). */
const UPDATES_TABLE = 'ycord_updates'
const LOCK_SECONDS = 3
const WAIT_TIMEOUT_MS = 30000

/**
 * Holds an ACCESS EXCLUSIVE lock on the updates table of `database` for `seconds`: every read
 * and write of it waits. Resolves once the lock is granted with `{ released, isHeld }`:
 * `released` settles when the holding transaction ends.
 */
async function lockUpdatesTable (database, seconds) {
  const sql = `BEGIN; LOCK TABLE ${UPDATES_TABLE} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds}); COMMIT;`
  let isHeld = true
  const released = psql(database.url, sql).finally(() => { isHeld = false })
  // Awaited by the caller; until then a failure must not count as unhandled.
  released.catch(() => {})
  const granted = `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = '${UPDATES_TABLE}' AND n.nspname = '${database.schema}'
      AND l.mode = 'AccessExclusiveLock' AND l.granted`
  // PostgreSQL announces no lock; its catalog is polled.
  await waitFor(async () => ({ done: (await psql(database.url, granted)) === '1' }), {
    what: `the lock on ${database.schema}.${UPDATES_TABLE} to be granted`,
    timeoutMs: 10000,
    subscribe: everyMs(20)
  })
  return { released, get isHeld () { return isHeld } }
}

test('a node that loads the room while PostgreSQL is slow still gets every update', { timeout: 120000 }, async t => {
  const own = resources(t)
  const cluster = await startCluster(own, { nodes: 3 })
  const [first, second, third] = cluster.nodes
  const writers = [
    new TokenWriter(own(await connectJsClient(first.url, ROOM, 'w1@node-1'))),
    new TokenWriter(own(await connectJsClient(second.url, ROOM, 'w2@node-2')))
  ]
  for (const writer of writers) writer.start()
  await waitForSeen(writers, 100, WAIT_TIMEOUT_MS)

  const lock = await lockUpdatesTable(cluster.database, LOCK_SECONDS)
  const acknowledgedBeforeLock = union(writers.map(w => w.seen))
  const lockedAt = performance.now()
  const newcomer = own(new JsClient(third.url, ROOM, 'newcomer@node-3'))
  const atSynced = deadline(new Promise(resolve => {
    newcomer.provider.on('synced', isSynced => {
      if (isSynced) resolve({ log: newcomer.doc.getArray('log').toArray(), after: performance.now() - lockedAt })
    })
  }), WAIT_TIMEOUT_MS, 'the newcomer on node-3 to sync')
  assert.ok(lock.isHeld, `the newcomer joined within the ${LOCK_SECONDS} s of the lock`)

  await lock.released
  const synced = await atSynced
  t.diagnostic(`the newcomer synced ${Math.round(synced.after)} ms after the lock was taken (held ${LOCK_SECONDS} s)`)
  const lostAtSync = missing(acknowledgedBeforeLock, new Set(synced.log))
  assert.deepEqual(lostAtSync.slice(0, 20), [],
    `${lostAtSync.length} tokens acknowledged before the lock are missing at the newcomer's synced event`)

  // Writes keep flowing to the newcomer once PostgreSQL answers again.
  const newcomerWriter = new TokenWriter(newcomer)
  const seenByNewcomer = newcomerWriter.seen.size
  await waitForSeen([newcomerWriter], seenByNewcomer + 50, WAIT_TIMEOUT_MS)
  for (const writer of writers) writer.stop()
  const written = union(writers.map(w => w.written))
  const logs = await waitForTokens([...writers, newcomerWriter], written, WAIT_TIMEOUT_MS)
  for (const log of logs) assert.equal(log.length, written.size, 'every log is exactly the written tokens, each once')
})
