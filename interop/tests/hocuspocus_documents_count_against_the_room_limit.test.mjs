// A room's connection limit (`--max-connections-per-room`) counts every participant, whichever
// dialect it speaks: a Hocuspocus document that would go over it is refused with
// `authenticationFailed` ("room_full") while the other documents on its socket carry on, a
// y-websocket upgrade to a room that Hocuspocus documents fill is refused with 503, and a place
// freed by either kind is taken again.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { connectJsClient } from '../support/js_client.mjs'
import {
  connectHocuspocusClient,
  HocuspocusClient,
  openHocuspocusSocket
} from '../support/hocuspocus_client.mjs'
import { rawUpgrade } from '../support/raw_upgrade.mjs'
import { resources } from '../support/resources.mjs'

test('Hocuspocus documents and y-websocket sockets share a room\'s connection limit', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(['--max-connections-per-room', '2']), () => server.stop())
  const yWebsocket = own(await connectJsClient(server.url, 'busy', 'js-y-websocket'))
  const first = own(await connectHocuspocusClient(server.url, 'busy', 'hocuspocus-1'))

  // One socket, two documents: the full room's is refused, the other one syncs.
  const socket = openHocuspocusSocket(server.url)
  own(socket, () => socket.destroy())
  const refused = own(new HocuspocusClient(server.url, 'busy', 'hocuspocus-2', { socket }))
  const elsewhere = own(await connectHocuspocusClient(server.url, 'quiet', 'hocuspocus-quiet', { socket }))
  const failed = await refused.waitForEvent(e => e.type === 'authenticationFailed', 'authenticationFailed')
  assert.equal(failed.reason, 'room_full')
  await elsewhere.insert(0, 'still working')
  await elsewhere.allStored()

  // A y-websocket upgrade to the room is refused while Hocuspocus documents hold its places.
  await yWebsocket.close()
  const second = own(await connectHocuspocusClient(server.url, 'busy', 'hocuspocus-3'))
  const upgrade = await rawUpgrade(server.httpUrl, 'busy')
  assert.equal(upgrade.status, 503)
  assert.equal(upgrade.body.reason, 'room_full')

  // A document that leaves gives its place back.
  await first.close()
  await second.close()
  const again = await rawUpgrade(server.httpUrl, 'busy')
  assert.equal(again.status, 101)
})
