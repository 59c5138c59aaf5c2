// Issue 12, case by case: updates that are not valid Yjs v1 — truncated by one byte, with
// trailing bytes, with string content that is not UTF-8, also in structs a server would have to
// keep pending until their dependencies arrive — close the sending socket with exactly 1007 and
// change nothing: not the stored document, not an honest client on the same room, not what the
// room loads after a restart. The HTTP API refuses the same bytes with 400 and a JSON error.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { startYcord } from '../support/ycord_server.mjs'
import { JsClient, connectJsClient } from '../support/js_client.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline, waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'
import { openRawSocket } from '../support/raw_socket.mjs'
import { MESSAGE_QUERY_AWARENESS, MESSAGE_SYNC, SYNC_STEP2, SYNC_UPDATE, frameKind, syncFrame } from '../support/frames.mjs'
import { pendingUpdate, truncated, withInvalidUtf8, withTrailingBytes, yjsDecode } from '../support/hostile_updates.mjs'
import { clientsWithPendingStructs, watchHonestClients } from '../support/honest_watch.mjs'

const ROOM = 'malformed-room'

/** A valid update from a client the room has never seen: text, a map entry, an array item. */
function foreignUpdate () {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, '[h2-1] written elsewhere ✓')
  doc.getMap('map').set('foreign', '[h2-2]')
  doc.getArray('array').push(['[h2-3]'])
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/**
 * The second of two edits of a doc, diffed against the first: a server that never saw the
 * first edit must keep its structs pending. Its token `[h3-2]` is inside a ContentString.
 */
function pendingTextUpdate () {
  return pendingUpdate(
    doc => doc.getText('text').insert(0, '[h3-1]'),
    doc => doc.getText('text').insert(6, '[h3-2]')
  )
}

/** The hostile cases: `[what, update bytes]`; none of them is valid Yjs v1. */
function malformedUpdates () {
  const valid = foreignUpdate()
  const pending = pendingTextUpdate()
  const cases = [
    ['a real update truncated by one byte', truncated(valid, valid.length - 1)],
    ['a real update with 3 trailing bytes', withTrailingBytes(valid, [0x00, 0x01, 0x02])],
    ['a real update whose strings are not UTF-8', withInvalidUtf8(valid)],
    ['a pending-struct update whose string is not UTF-8', withInvalidUtf8(pending)],
    ['a pending-struct update with 1 trailing byte', withTrailingBytes(pending, [0x00])],
    ['bytes that are no update at all', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03])]
  ]
  // The damage is what the cases say it is: the undamaged updates are valid for yjs, and a
  // string that is not UTF-8 makes yjs itself throw.
  assert.notEqual(yjsDecode(valid), null, 'the undamaged update decodes')
  assert.notEqual(yjsDecode(pending), null, 'the undamaged pending update decodes')
  assert.equal(yjsDecode(pending).structs[0].id.clock, 6, 'the pending update starts past clock 0')
  for (const [what, bytes] of cases) {
    assert.ok(bytes !== null, `${what}: built`)
    if (/UTF-8/.test(what)) {
      assert.equal(bytes.length, what.includes('pending') ? pending.length : valid.length, `${what}: same length`)
      assert.equal(yjsDecode(bytes), null, `${what}: yjs cannot decode it`)
    }
  }
  return { valid, cases }
}

async function request (url, init) {
  return deadline(fetch(url, init), 10000, `${init?.method ?? 'GET'} ${url}`)
}

/** GET /api/rooms/{room}: the whole document as the server has it, byte for byte. */
async function storedBytes (httpUrl) {
  const response = await request(`${httpUrl}/api/rooms/${ROOM}`)
  assert.equal(response.status, 200, `GET /api/rooms/${ROOM} answers 200`)
  return Buffer.from(await response.arrayBuffer())
}

/**
 * Resolves once every frame the server queued for `observer` before now has arrived: the
 * server answers the probe in order after them.
 */
async function drained (observer) {
  const verdict = await observer.judge(new Uint8Array([MESSAGE_QUERY_AWARENESS]))
  assert.ok(verdict.accepted, `the observer socket is still open (${JSON.stringify(verdict)})`)
}

test('malformed updates close their socket with 1007 and change nothing, over WebSocket and HTTP', { timeout: 60000 }, async t => {
  const own = resources(t)
  const dataDir = tempDir(own, 'malformed')
  let server = await startYcord(['--data-dir', dataDir])
  own(server, () => server.stop())

  // An honest client with content, and a raw observer that records every update relayed.
  const observer = own(await openRawSocket(server.url, ROOM, 'observer'))
  const honest = own(await connectJsClient(server.url, ROOM, 'honest'))
  const watch = own(watchHonestClients([honest]), () => watch.stop())
  const relayed = []
  observer.onFrame(frame => {
    const kind = frameKind(frame)
    if (kind.type === MESSAGE_SYNC && kind.sub === SYNC_UPDATE) relayed.push(frame)
  })
  honest.doc.getText('text').insert(0, '[h1-1] honest text ✓')
  honest.doc.getMap('map').set('honest', { n: 1, list: ['[h1-2]'] })
  honest.doc.getArray('array').push(['[h1-3]'])
  await waitFor(() => ({ done: relayed.length >= 3, detail: relayed.length }), {
    what: 'the honest edits to be relayed', timeoutMs: 10000, subscribe: notify => observer.onFrame(notify)
  })
  relayed.length = 0

  /** What must not change, taken before each case (so one failing case does not fail the next). */
  const baseline = async () => {
    await drained(observer)
    relayed.length = 0
    return { stored: await storedBytes(server.httpUrl), honest: snapshotOf(honest.doc) }
  }
  const unchanged = async (how, before) => {
    await drained(observer)
    assert.deepEqual(relayed, [], `${how}: nothing was relayed`)
    assert.deepEqual(await storedBytes(server.httpUrl), before.stored, `${how}: the stored document is unchanged`)
    assert.deepEqual(snapshotOf(honest.doc), before.honest, `${how}: the honest client's document is unchanged`)
  }

  // One subtest per case and path: a run reports every case the server gets wrong.
  const { valid, cases } = malformedUpdates()
  for (const [what, update] of cases) {
    for (const sub of [SYNC_UPDATE, SYNC_STEP2]) {
      const how = `${what}, sent as ${sub === SYNC_UPDATE ? 'an update' : 'a step2'}`
      await t.test(`${how}: 1007, nothing changed`, async () => {
        const before = await baseline()
        const socket = own(await openRawSocket(server.url, ROOM, 'hostile'))
        const verdict = await socket.judge(syncFrame(sub, update))
        assert.equal(verdict.accepted, false, `${how}: refused (socket closed), not taken`)
        assert.equal(verdict.code, 1007, `${how}: close code 1007 (reason ${JSON.stringify(verdict.reason)})`)
        assert.ok(verdict.reason.length > 0, `${how}: the close frame says why`)
        await unchanged(how, before)
      })
    }
  }

  // The same bytes through the HTTP API: 400 with a JSON error, nothing applied.
  for (const [what, update] of cases) {
    await t.test(`POST of ${what}: 400, nothing changed`, async () => {
      const before = await baseline()
      const response = await request(`${server.httpUrl}/api/rooms/${ROOM}/update`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: update
      })
      const body = await response.text()
      assert.equal(response.status, 400, `POST of ${what} answers 400 (body ${body})`)
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `POST of ${what}: a JSON answer`)
      const error = JSON.parse(body).error
      assert.ok(typeof error === 'string' && error.length > 0, `POST of ${what}: the JSON says why: ${body}`)
      await unchanged(`POST of ${what}`, before)
    })
  }

  assert.deepEqual(watch.errors, [], 'the honest client had no yjs error')
  assert.deepEqual(watch.closes, [], 'the honest client kept its connection')
  assert.equal(honest.provider.wsconnected, true, 'the honest client is connected')
  assert.deepEqual(clientsWithPendingStructs([honest]), [], 'the honest client holds nothing pending')

  // The same path takes the undamaged update: the refusals above were about the damage.
  const control = own(await openRawSocket(server.url, ROOM, 'control'))
  assert.deepEqual(await control.judge(syncFrame(SYNC_UPDATE, valid)), { accepted: true }, 'the undamaged update is taken')
  await waitFor(() => {
    const text = honest.doc.getText('text').toString()
    return { done: text.includes('[h2-1]'), detail: text }
  }, { what: 'the honest client to receive the undamaged update', timeoutMs: 10000, subscribe: notify => honest.onRemoteUpdate(notify) })
  const expected = snapshotOf(honest.doc)
  assert.deepEqual(watch.errors, [], 'the honest client applied it without error')
  control.close()
  observer.close()

  // What was stored loads again, and is exactly what the honest client has.
  watch.stop()
  await honest.close()
  assert.deepEqual(await server.stop(), { code: 0, signal: null }, 'ycord exits 0 on SIGTERM')
  server = await startYcord(['--data-dir', dataDir])
  const restored = new Y.Doc()
  Y.applyUpdate(restored, await storedBytes(server.httpUrl))
  assert.deepEqual(snapshotOf(restored), expected, 'after a restart the room holds the honest document and the undamaged update')
  assert.equal(restored.store.pendingStructs, null, 'and no pending structs: no part of a refused update was kept')
  assert.equal(restored.store.pendingDs, null, 'and no pending deletions')
  const fresh = own(new JsClient(server.url, ROOM, 'fresh'))
  const freshWatch = own(watchHonestClients([fresh]), () => freshWatch.stop())
  await fresh.synced()
  assert.deepEqual(snapshotOf(fresh.doc), expected, 'a client of the restarted server gets the same document')
  assert.deepEqual(clientsWithPendingStructs([fresh]), [], 'and nothing pending')
  assert.deepEqual(freshWatch.errors, [], 'and no yjs error')
})
