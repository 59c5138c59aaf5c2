// Crash safety of the default durability (sync: stored before echoed). Three JS clients write a
// stream of updates into one room of a ycord with an on-disk store; whatever a client received
// from the server was echoed, hence acknowledged. The server is SIGKILLed mid-stream and
// restarted on the same data dir: everything acknowledged must be there, at the first sync.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { connectJsClient, JsClient } from '../support/js_client.mjs'
import { deadline, waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'
import { Prng, seedFor } from '../support/prng.mjs'
import { missing, TokenWriter, union } from '../support/token_writer.mjs'

const ROOM = 'crash-room'
const WRITERS = 3
/** Milliseconds between two edits of one writer. */
const PACE_MS = 4
/** Every this many log pushes a writer also inserts a marker into the text. */
const TEXT_EVERY = 5

/** Text markers: `[name-n]`, each inserted whole at a boundary between markers. */
const MARKER = /\[([^\]]+)\]/g

/**
 * A token writer that now and then also inserts a `[name-n]` marker into the Y.Text "text"
 * and records every marker that arrived from the server.
 */
class Writer extends TokenWriter {
  constructor (client, prng) {
    super(client, { paceMs: PACE_MS, firstDelayMs: prng.int(0, PACE_MS) })
    this.prng = prng
    this.text = client.doc.getText('text')
    this.writtenMarkers = new Set()
    this.seenMarkers = new Set()
    this.text.observe((event, transaction) => {
      if (transaction.origin !== client.provider) return
      for (const change of event.delta) {
        if (typeof change.insert !== 'string') continue
        for (const [, marker] of change.insert.matchAll(MARKER)) this.seenMarkers.add(marker)
      }
    })
  }

  writeOne () {
    const token = super.writeOne()
    if (this.n % TEXT_EVERY === 0) {
      const text = this.text.toString()
      const boundaries = [0]
      for (let i = 0; i < text.length; i++) if (text[i] === ']') boundaries.push(i + 1)
      this.text.insert(this.prng.pick(boundaries), `[${token}]`)
      this.writtenMarkers.add(token)
    }
    return token
  }
}

/** `ycord_compactions_total` from the server's /metrics. */
async function compactionsOf (server) {
  const response = await deadline(fetch(`${server.httpUrl}/metrics`), 5000, 'GET /metrics')
  assert.equal(response.status, 200, 'GET /metrics answers 200')
  const metrics = await response.text()
  const line = /^ycord_compactions_total(?:\{[^}]*\})? (\d+)$/m.exec(metrics)
  assert.ok(line, `/metrics has ycord_compactions_total:\n${metrics}`)
  return Number(line[1])
}

for (const { label, flags } of [
  { label: 'default settings', flags: [] },
  // Compaction in the background all along: the kill can land in the middle of one.
  { label: 'compaction every 64 updates', flags: ['--compact-after-updates', '64'] }
]) {
  test(`every update echoed before a SIGKILL is stored and served after the restart (${label})`, { timeout: 90000 }, async t => {
    const own = resources(t)
    const seed = seedFor(0x5eed_c4a5)
    const prng = new Prng(seed)
    // Kill at a seed-dependent point, somewhere past the first few hundred acknowledgements.
    const killAfterSeen = prng.int(300, 600)
    const dataDir = tempDir(own, 'crash')

    const first = await startYcord(['--data-dir', dataDir, ...flags])
    own(first, () => first.kill())
    const writers = []
    for (let i = 1; i <= WRITERS; i++) {
      const client = own(await connectJsClient(first.url, ROOM, `w${i}`))
      writers.push(new Writer(client, new Prng(prng.int(0, 2 ** 31))))
    }
    for (const writer of writers) writer.start()

    await waitFor(() => {
      const seen = union(writers.map(w => w.seen)).size
      return { done: seen >= killAfterSeen, detail: { seen, killAfterSeen } }
    }, {
      what: `${killAfterSeen} tokens to come back from the server`,
      timeoutMs: 30000,
      subscribe: notify => {
        const unsubscribes = writers.map(w => w.onSeen(notify))
        return () => unsubscribes.forEach(unsubscribe => unsubscribe())
      }
    })

    const compactions = await compactionsOf(first)
    // The writers keep going while the server dies: the kill lands mid-stream.
    const killed = await first.kill()
    assert.equal(killed.signal, 'SIGKILL', 'the first server died of SIGKILL')
    for (const writer of writers) writer.stop()
    // Everything the clients received came from the server before it died. Closing the clients
    // before the restart keeps them from handing their copies to the new server.
    for (const writer of writers) await writer.client.close()
    const written = union(writers.map(w => w.written))
    const seen = union(writers.map(w => w.seen))
    const seenMarkers = union(writers.map(w => w.seenMarkers))
    const writtenMarkers = union(writers.map(w => w.writtenMarkers))

    const second = await startYcord(['--data-dir', dataDir, ...flags])
    own(second, () => second.stop())
    const fresh = own(new JsClient(second.url, ROOM, 'fresh'))
    // Read inside the handler: what an application sees when it is told "synced".
    const atSynced = await deadline(new Promise(resolve => {
      fresh.provider.on('synced', isSynced => {
        if (isSynced) {
          resolve({
            log: fresh.doc.getArray('log').toArray(),
            text: fresh.doc.getText('text').toString()
          })
        }
      })
    }), 15000, 'the fresh client to sync with the restarted server')

    const recovered = new Set(atSynced.log)
    const recoveredMarkers = new Set([...atSynced.text.matchAll(MARKER)].map(match => match[1]))
    t.diagnostic(`seed ${seed}, killed after ${killAfterSeen} acknowledged tokens`)
    t.diagnostic(`log tokens: written ${written.size}, seen echoed ${seen.size}, recovered ${recovered.size}`)
    t.diagnostic(`text markers: written ${writtenMarkers.size}, seen echoed ${seenMarkers.size}, recovered ${recoveredMarkers.size}`)

    t.diagnostic(`compactions before the kill: ${compactions}`)
    if (flags.includes('--compact-after-updates')) {
      assert.ok(compactions > 0, 'the room was compacted while the clients wrote')
    }
    assert.ok(seen.size >= killAfterSeen, `at least ${killAfterSeen} tokens were acknowledged before the kill`)
    assert.ok(seenMarkers.size > 0, 'some text markers were acknowledged before the kill')
    const lost = missing(seen, recovered)
    assert.deepEqual(lost.slice(0, 20), [],
      `${lost.length} of ${seen.size} acknowledged log tokens are missing at the fresh client's synced event`)
    const lostMarkers = missing(seenMarkers, recoveredMarkers)
    assert.deepEqual(lostMarkers.slice(0, 20), [],
      `${lostMarkers.length} of ${seenMarkers.size} acknowledged text markers are missing at the fresh client's synced event`)
    // What came back is what was written, each once, and nothing else.
    assert.equal(recovered.size, atSynced.log.length, 'no token is stored twice')
    assert.deepEqual(missing(recovered, written), [], 'every recovered token was written by a client')
    assert.deepEqual(missing(recoveredMarkers, writtenMarkers), [], 'every recovered marker was written by a client')
    assert.equal(atSynced.text, [...atSynced.text.matchAll(MARKER)].map(m => m[0]).join(''),
      'the text is whole markers only')
  })
}
