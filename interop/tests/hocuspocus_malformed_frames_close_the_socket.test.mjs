// Bytes on the Hocuspocus endpoint are decoded strictly: a frame that is not exactly one
// Hocuspocus message, or an update that is not a valid Yjs update, closes that socket with the
// same close code the y-websocket endpoint gives the same fault (1002 malformed, 1003 unknown
// type or text, 1007 invalid update). The room and its other clients carry on unchanged.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForConvergence } from '../support/peers.mjs'
import { connectHocuspocusClient, openHocuspocusSocket } from '../support/hocuspocus_client.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

const TIMEOUT_MS = 10000
const ROOM = 'notes'

/** `varString(address) · varUint(type) · …`, the rest written by `body`. */
function frame (address, type, body = () => {}) {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, address)
  encoding.writeVarUint(encoder, type)
  body(encoder)
  return encoding.toUint8Array(encoder)
}

const token = address => frame(address, 2, e => { encoding.writeVarUint(e, 0); encoding.writeVarString(e, '') })

/** A raw socket on /hocuspocus whose document `ROOM` is authenticated. */
async function openAuthenticated (own, url) {
  const ws = own(new WebSocket(`${url}/hocuspocus`), () => ws.terminate())
  ws.on('error', () => {})
  const closed = new Promise(resolve => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const authenticated = new Promise(resolve => ws.on('message', data => {
    const decoder = decoding.createDecoder(new Uint8Array(data))
    if (decoding.readVarString(decoder) !== ROOM) return
    if (decoding.readVarUint(decoder) === 2 && decoding.readVarUint(decoder) === 2) resolve(decoding.readVarString(decoder))
  }))
  await deadline(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('close', reject) }), TIMEOUT_MS, 'the raw socket to open')
  ws.send(token(ROOM))
  assert.equal(await deadline(authenticated, TIMEOUT_MS, 'Authenticated'), 'read-write')
  return { ws, closed }
}

async function roomState (server) {
  const response = await deadline(fetch(`${server.httpUrl}/api/rooms/${ROOM}`), 5000, 'GET /api/rooms')
  assert.equal(response.status, 200)
  return Buffer.from(await response.arrayBuffer()).toString('hex')
}

const CASES = [
  { what: 'an unknown message type', code: 1003, bytes: () => frame(ROOM, 42) },
  { what: 'a truncated document name', code: 1002, bytes: () => new Uint8Array([5, 0x6e, 0x6f]) },
  {
    what: 'trailing bytes after a message',
    code: 1002,
    bytes: () => new Uint8Array([...frame(ROOM, 3), 0])
  },
  { what: 'a ping behind a document name', code: 1002, bytes: () => frame(ROOM, 9) },
  {
    what: 'a sync update that is not a Yjs update',
    code: 1007,
    bytes: () => frame(ROOM, 0, e => {
      encoding.writeVarUint(e, 2)
      encoding.writeVarUint8Array(e, new Uint8Array([0xff, 0xff, 0xff, 0x01, 7]))
    })
  },
  { what: 'a text frame', code: 1003, text: 'hello' }
]

test('a malformed Hocuspocus frame closes its socket with the precise code; the room is unchanged', { timeout: 90000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [js] = await joinRoom(own, server.url, ROOM, { js: 1 })
  const hp = own(await connectHocuspocusClient(server.url, ROOM, 'hocuspocus-peer'))
  await js.insert(0, 'kept. ')
  await waitForConvergence([js, hp], TIMEOUT_MS)
  const before = await roomState(server)

  for (const { what, code, bytes, text } of CASES) {
    const { ws, closed } = await openAuthenticated(own, server.url)
    ws.send(text ?? bytes(), { binary: !text })
    const event = await deadline(closed, TIMEOUT_MS, `the socket to close after ${what}`)
    assert.equal(event.code, code, `${what}: close code (reason: ${event.reason})`)
    assert.ok(event.reason.length > 0, `${what}: the close says why`)
    assert.equal(await roomState(server), before, `${what}: the room is unchanged`)
  }

  assert.equal(js.provider.ws.readyState, WebSocket.OPEN, 'the y-websocket client stayed connected')
  assert.equal(hp.socket.status, 'connected', 'the other Hocuspocus client stayed connected')
  await hp.insert(0, 'after. ')
  await hp.allStored()
  assert.notEqual(await roomState(server), before, 'the room still takes edits')
})

test('an update over the document size limit closes only its document; the socket keeps the others', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(['--max-document-size', '2000']), () => server.stop())
  const socket = own(openHocuspocusSocket(server.url), () => socket.destroy())
  const big = own(await connectHocuspocusClient(server.url, 'big', 'big', { socket }))
  const small = own(await connectHocuspocusClient(server.url, 'small', 'small', { socket }))
  const [js] = await joinRoom(own, server.url, 'big', { js: 1 })
  await big.insert(0, 'fits. ')
  await waitForConvergence([big, js], TIMEOUT_MS)

  await big.insert(0, 'x'.repeat(5000))
  const closed = await big.waitForEvent(e => e.type === 'close', 'the document to be closed')
  assert.match(closed.reason, /larger than 2000 bytes/)
  const stored = await (await deadline(fetch(`${server.httpUrl}/api/rooms/big?format=json`), 5000, 'GET /api/rooms/big')).json()
  assert.equal(stored.text, 'fits. ', `nothing of the oversize update reached the room: ${JSON.stringify(stored).slice(0, 200)}`)
  assert.equal(socket.status, 'connected', 'the socket stayed open')
  await small.insert(0, 'still here. ')
  await small.allStored()
})
