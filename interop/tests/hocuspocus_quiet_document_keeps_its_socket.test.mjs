// A Hocuspocus provider closes and reopens its socket once it has received no message for
// `messageReconnectTimeout` (30 s by default), and WebSocket pings are not messages to it. A
// provider without awareness hears nothing in a quiet document (no renewal echo), so ycord sends
// a Hocuspocus ping (a lone byte 9, which provider 4.8 answers with a pong) every 10 s. Here the
// timeout is 15 s and the document stays quiet for 25 s: the socket must stay the same.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { connectHocuspocusClient, openHocuspocusSocket } from '../support/hocuspocus_client.mjs'
import { resources } from '../support/resources.mjs'

const TIMEOUT_MS = 15000
const QUIET_MS = 25000

test('a quiet document keeps its Hocuspocus socket open', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const socket = openHocuspocusSocket(server.url, '', { messageReconnectTimeout: TIMEOUT_MS })
  own(socket, () => socket.destroy())
  const client = own(await connectHocuspocusClient(server.url, 'quiet', 'quiet', { socket, awareness: null }))
  await client.allStored()
  const opened = socket.webSocket
  const statuses = []
  socket.on('status', ({ status }) => statuses.push(status))
  let pings = 0
  opened.addEventListener('message', event => {
    const bytes = new Uint8Array(event.data)
    if (bytes.length === 1 && bytes[0] === 9) pings += 1
  })
  // Nothing to await: the point is that nothing happens for longer than the provider's timeout.
  await new Promise(resolve => setTimeout(resolve, QUIET_MS))
  assert.deepEqual(statuses, [], 'the socket never went down')
  assert.equal(socket.webSocket, opened, 'still the same socket')
  assert.ok(pings >= 2, `the server sent Hocuspocus pings (${pings})`)
})
