// The HTTP document API under /api/, driven with updates made by the real yjs package while real
// y-websocket clients are connected to the room.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom } from '../support/peers.mjs'
import { deadline, waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'

const ROOM = 'api-room'
const TEXT = 'hello from HTTP ✓ 中'

/** `fetch` that fails the test with a clear message when the server does not answer at all. */
async function request (url, init) {
  return deadline(fetch(url, init), 10000, `${init?.method ?? 'GET'} ${url}`)
}

async function json (response) {
  const type = response.headers.get('content-type') ?? ''
  const body = await response.text()
  assert.match(type, /^application\/json/, `a JSON answer (content-type ${type}, body ${body})`)
  return JSON.parse(body)
}

/** Resolves when `peer`'s text is `text`, re-checking after every remote update. */
function textArrives (peer, text) {
  return waitFor(() => {
    const now = peer.doc.getText('text').toString()
    return { done: now === text, detail: now }
  }, { what: `${peer.name} to have the text ${JSON.stringify(text)}`, timeoutMs: 10000, subscribe: notify => peer.onRemoteUpdate(notify) })
}

async function listedRoom (base, room) {
  const response = await request(`${base}/api/rooms`)
  assert.equal(response.status, 200, 'GET /api/rooms answers 200')
  const body = await json(response)
  assert.ok(Array.isArray(body.rooms), `GET /api/rooms has a rooms array: ${JSON.stringify(body)}`)
  return body.rooms.find(entry => entry.name === room)
}

test('the HTTP API applies, lists, reads and deletes a room that clients are editing', { timeout: 60000 }, async t => {
  const own = resources(t)
  const dataDir = tempDir(own, 'http-api')
  let server = await startYcord(['--data-dir', dataDir])
  own(server, () => server.stop())
  const base = server.httpUrl
  const [alice, bob] = await joinRoom(own, server.url, ROOM, { js: 2 })

  // POST an update made by yjs: both connected clients receive it.
  const source = new Y.Doc()
  source.getText('text').insert(0, TEXT)
  const update = Y.encodeStateAsUpdate(source)
  const posted = await request(`${base}/api/rooms/${ROOM}/update`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: update
  })
  assert.equal(posted.status, 200, 'POST …/update answers 200')
  assert.deepEqual(await json(posted), { applied: true })
  await Promise.all([textArrives(alice, TEXT), textArrives(bob, TEXT)])

  // A client's own edit, relayed to the other one (so the server has it), is in the state too.
  alice.doc.getMap('map').set('by', { who: 'alice', n: 1 })
  await waitFor(() => ({ done: bob.doc.getMap('map').has('by') }), {
    what: 'bob to receive alice\'s map entry', timeoutMs: 10000, subscribe: notify => bob.onRemoteUpdate(notify)
  })

  const listed = await listedRoom(base, ROOM)
  assert.ok(listed, `GET /api/rooms lists ${ROOM}`)
  assert.ok(listed.updates >= 1, `the listed room has stored updates: ${JSON.stringify(listed)}`)
  assert.ok(listed.bytes > 0, `the listed room has a size: ${JSON.stringify(listed)}`)
  assert.equal(listed.loaded, true, 'the room is loaded while clients are connected')

  const state = await request(`${base}/api/rooms/${ROOM}`)
  assert.equal(state.status, 200, 'GET /api/rooms/{room} answers 200')
  assert.equal(state.headers.get('content-type'), 'application/octet-stream')
  const read = new Y.Doc()
  Y.applyUpdate(read, new Uint8Array(await state.arrayBuffer()))
  assert.equal(read.getText('text').toString(), TEXT, 'the state bytes hold the posted text')
  assert.deepEqual(read.getMap('map').toJSON(), { by: { who: 'alice', n: 1 } }, 'and the client\'s edit')

  const asJson = await request(`${base}/api/rooms/${ROOM}?format=json`)
  assert.equal(asJson.status, 200, 'GET ?format=json answers 200')
  assert.deepEqual(await json(asJson), { text: TEXT, map: { by: { who: 'alice', n: 1 } } },
    'the JSON view has every root type under its name')

  // Bytes that are no update are refused, and the room is unharmed.
  const truncated = update.slice(0, update.length - 4)
  for (const [what, body] of [
    ['random bytes', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03])],
    ['a truncated update', truncated],
    ['text', new TextEncoder().encode('this is not a yjs update')]
  ]) {
    const refused = await request(`${base}/api/rooms/${ROOM}/update`, { method: 'POST', body })
    assert.equal(refused.status, 400, `POSTing ${what} answers 400`)
    const error = await json(refused)
    assert.equal(typeof error.error, 'string', `the 400 for ${what} has an error message: ${JSON.stringify(error)}`)
    assert.ok(error.error.length > 0, `the 400 for ${what} has a non-empty error message`)
  }
  const after = await request(`${base}/api/rooms/${ROOM}?format=json`)
  assert.deepEqual(await json(after), { text: TEXT, map: { by: { who: 'alice', n: 1 } } },
    'the refused posts changed nothing')
  assert.equal(alice.provider.wsconnected && bob.provider.wsconnected, true, 'the clients are still connected')

  // DELETE closes every socket of the room with 4410 and removes the room.
  const closes = [alice, bob].map(peer => deadline(new Promise(resolve => {
    peer.provider.on('connection-close', event => resolve(event?.code))
  }), 10000, `${peer.name}'s socket to close`))
  const deleted = await request(`${base}/api/rooms/${ROOM}`, { method: 'DELETE' })
  assert.equal(deleted.status, 200, 'DELETE answers 200')
  await json(deleted)
  assert.deepEqual(await Promise.all(closes), [4410, 4410], 'both sockets were closed with 4410')

  const gone = await request(`${base}/api/rooms/${ROOM}`)
  assert.equal(gone.status, 404, 'GET of a deleted room answers 404')
  assert.equal(typeof (await json(gone)).error, 'string', 'the 404 has an error message')
  const goneJson = await request(`${base}/api/rooms/${ROOM}?format=json`)
  assert.equal(goneJson.status, 404, 'GET ?format=json of a deleted room answers 404')
  assert.equal(await listedRoom(base, ROOM), undefined, 'the deleted room is not listed')

  // Deleted means deleted from the store too: a restarted server has nothing either.
  await alice.close()
  await bob.close()
  const exit = await server.stop()
  assert.deepEqual(exit, { code: 0, signal: null })
  server = await startYcord(['--data-dir', dataDir])
  const restarted = await request(`${server.httpUrl}/api/rooms/${ROOM}`)
  assert.equal(restarted.status, 404, 'the deleted room is still gone after a restart')
  assert.equal(await listedRoom(server.httpUrl, ROOM), undefined, 'and not listed after a restart')
})

test('POST to a room nobody is in stores it for the next client', { timeout: 30000 }, async t => {
  const own = resources(t)
  const dataDir = tempDir(own, 'http-api-cold')
  const server = await startYcord(['--data-dir', dataDir])
  own(server, () => server.stop())
  const base = server.httpUrl
  const room = 'cold-room'

  const missing = await request(`${base}/api/rooms/${room}`)
  assert.equal(missing.status, 404, 'a room that never existed is 404')
  await json(missing)

  const source = new Y.Doc()
  source.getArray('array').push(['posted', 1, { nested: true }])
  const posted = await request(`${base}/api/rooms/${room}/update`, { method: 'POST', body: Y.encodeStateAsUpdate(source) })
  assert.equal(posted.status, 200)
  assert.deepEqual(await json(posted), { applied: true })

  const listed = await listedRoom(base, room)
  assert.ok(listed && listed.updates >= 1, `the posted room is listed with its update: ${JSON.stringify(listed)}`)
  const [client] = await joinRoom(own, server.url, room, { js: 1 })
  assert.deepEqual(client.doc.getArray('array').toJSON(), ['posted', 1, { nested: true }],
    'the first client has the posted content once synced')
  const asJson = await request(`${base}/api/rooms/${room}?format=json`)
  assert.deepEqual(await json(asJson), { array: ['posted', 1, { nested: true }] })
})
