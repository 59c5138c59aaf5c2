// SIGTERM makes ycord close every socket with 1001 (going away) and exit with status 0.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom } from '../support/peers.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'

test('SIGTERM closes sockets with 1001 and exits 0', { timeout: 30000 }, async t => {
  const own = resources(t)
  const server = await startYcord()
  own(server, async () => { if (server.running) await server.stop() })
  const [js] = await joinRoom(own, server.url, 'sigterm-room', { js: 1 })

  const closed = new Promise(resolve => {
    js.provider.on('connection-close', event => resolve(event?.code))
  })
  const exit = await server.stop()
  assert.deepEqual(exit, { code: 0, signal: null }, 'ycord exits with status 0 on SIGTERM')
  const code = await deadline(closed, 5000, 'the client to see its socket close')
  assert.equal(code, 1001, 'the socket was closed with 1001 (going away)')
})
