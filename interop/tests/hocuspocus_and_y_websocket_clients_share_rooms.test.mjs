// The Hocuspocus dialect on ycord's `/hocuspocus` endpoint: real @hocuspocus/provider clients and
// real y-websocket clients edit the same rooms and see each other's awareness; several documents
// share one Hocuspocus socket without leaking into each other; a client that goes offline or
// loses its socket comes back converged; stateless messages reach only the other Hocuspocus
// clients of their document.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startYcord } from '../support/ycord_server.mjs'
import { joinRoom, waitForAwareness, waitForConvergence } from '../support/peers.mjs'
import {
  connectHocuspocusClient,
  openHocuspocusSocket
} from '../support/hocuspocus_client.mjs'
import { resources } from '../support/resources.mjs'

const TIMEOUT_MS = 10000

const knows = (peer, user) => states =>
  states[String(peer.clientId)]?.user === user

async function textOf (peer) { return (await peer.snapshot()).text }

test('a Hocuspocus client and y-websocket clients converge on one room, awareness both ways', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [js1, js2] = await joinRoom(own, server.url, 'notes', { js: 2 })
  await js1.insert(0, 'from y-websocket. ')
  const hp = own(await connectHocuspocusClient(server.url, 'notes', 'hocuspocus-1'))
  await waitForConvergence([js1, js2, hp], TIMEOUT_MS)
  assert.equal(await textOf(hp), 'from y-websocket. ', 'the Hocuspocus client got the room at sync')

  await hp.insert(0, 'from hocuspocus. ')
  await js2.mapSet('k', 'v')
  const converged = await waitForConvergence([js1, js2, hp], TIMEOUT_MS)
  assert.match(converged.text, /from hocuspocus\. /)
  assert.deepEqual(converged.map, { k: 'v' })

  await hp.setAwareness({ user: 'hp' })
  await js1.setAwareness({ user: 'js1' })
  await waitForAwareness([js1, js2], knows(hp, 'hp'), {
    what: 'y-websocket clients to see the Hocuspocus client\'s awareness',
    timeoutMs: TIMEOUT_MS
  })
  await waitForAwareness([hp], knows(js1, 'js1'), {
    what: 'the Hocuspocus client to see the y-websocket client\'s awareness',
    timeoutMs: TIMEOUT_MS
  })

  // A Hocuspocus client that leaves is removed from the y-websocket clients' awareness.
  await hp.leave()
  await waitForAwareness([js1, js2], states => !(String(hp.clientId) in states), {
    what: 'the Hocuspocus client\'s awareness to vanish when it leaves',
    timeoutMs: TIMEOUT_MS
  })
})

test('several documents over one Hocuspocus socket each converge with their own room only', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const socket = own(openHocuspocusSocket(server.url), () => socket.destroy())
  const rooms = ['doc-a', 'doc-b', 'doc-c']
  const hps = []
  for (const room of rooms) {
    hps.push(own(await connectHocuspocusClient(server.url, room, `hp-${room}`, { socket })))
  }
  const jss = []
  for (const room of rooms) jss.push((await joinRoom(own, server.url, room, { js: 1 }))[0])

  for (const [i, room] of rooms.entries()) {
    await hps[i].insert(0, `hp in ${room}. `)
    await jss[i].insert(0, `js in ${room}. `)
    await hps[i].setAwareness({ user: `hp-${room}` })
  }
  for (const [i, room] of rooms.entries()) {
    const converged = await waitForConvergence([hps[i], jss[i]], TIMEOUT_MS)
    for (const other of rooms.filter(r => r !== room)) {
      assert.ok(!converged.text.includes(other), `${room} holds nothing of ${other}: ${converged.text}`)
    }
    assert.match(converged.text, new RegExp(`hp in ${room}\\. `))
    assert.match(converged.text, new RegExp(`js in ${room}\\. `))
    await waitForAwareness([jss[i]], knows(hps[i], `hp-${room}`), {
      what: `the y-websocket client of ${room} to see its Hocuspocus peer`,
      timeoutMs: TIMEOUT_MS
    })
    const states = await jss[i].awarenessStates()
    for (const [j, other] of hps.entries()) {
      if (j !== i) assert.ok(!(String(other.clientId) in states), `${room} sees no awareness of ${rooms[j]}`)
    }
  }
  assert.equal(socket.webSocket && socket.status, 'connected', 'one socket carried all three')

  // Closing one document (its provider detaches) leaves the others on the socket working.
  await hps[0].leave()
  await waitForAwareness([jss[0]], states => !(String(hps[0].clientId) in states), {
    what: 'doc-a\'s Hocuspocus client to leave its room',
    timeoutMs: TIMEOUT_MS
  })
  await hps[1].insert(0, 'still here. ')
  const converged = await waitForConvergence([hps[1], jss[1]], TIMEOUT_MS)
  assert.match(converged.text, /^still here\. /)
})

test('a Hocuspocus client that goes offline or loses its socket converges when it is back', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const [js] = await joinRoom(own, server.url, 'offline', { js: 1 })
  const hp = own(await connectHocuspocusClient(server.url, 'offline', 'hocuspocus-1'))
  await hp.setAwareness({ user: 'hp' })
  await waitForAwareness([js], knows(hp, 'hp'), { what: 'awareness before going offline', timeoutMs: TIMEOUT_MS })

  await hp.disconnect()
  await waitForAwareness([js], states => !(String(hp.clientId) in states), {
    what: 'the offline client\'s awareness to go',
    timeoutMs: TIMEOUT_MS
  })
  await hp.insert(0, 'written offline. ')
  await js.insert(0, 'written meanwhile. ')
  await hp.connect()
  let converged = await waitForConvergence([hp, js], TIMEOUT_MS)
  assert.match(converged.text, /written offline\. /)
  assert.match(converged.text, /written meanwhile\. /)
  await waitForAwareness([js], knows(hp, 'hp'), { what: 'awareness back after reconnecting', timeoutMs: TIMEOUT_MS })
  await hp.allStored()

  hp.dropSocket()
  await hp.insert(0, 'after the drop. ')
  converged = await waitForConvergence([hp, js], TIMEOUT_MS)
  assert.match(converged.text, /^after the drop\. /)
  await waitForAwareness([js], knows(hp, 'hp'), { what: 'awareness back after the socket dropped', timeoutMs: TIMEOUT_MS })
})

test('stateless messages reach the other Hocuspocus clients of their document only', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startYcord(), () => server.stop())
  const shared = own(openHocuspocusSocket(server.url), () => shared.destroy())
  const sender = own(await connectHocuspocusClient(server.url, 'chat', 'sender', { socket: shared }))
  const elsewhere = own(await connectHocuspocusClient(server.url, 'other', 'elsewhere', { socket: shared }))
  const receiver = own(await connectHocuspocusClient(server.url, 'chat', 'receiver'))
  const otherDoc = own(await connectHocuspocusClient(server.url, 'other', 'other-doc'))
  const [js] = await joinRoom(own, server.url, 'chat', { js: 1 })
  const jsTypes = []
  js.provider.ws.addEventListener('message', event => { jsTypes.push(new Uint8Array(event.data)[0]) })

  sender.sendStateless('{"hello":1}')
  const got = await receiver.waitForEvent(e => e.type === 'stateless', 'the stateless message')
  assert.equal(got.payload, '{"hello":1}')
  // A marker after it: once it arrives, anything the stateless message caused has arrived too.
  sender.sendStateless('{"marker":1}')
  await receiver.waitForEvent(e => e.type === 'stateless' && e.payload === '{"marker":1}', 'the marker')
  await sender.insert(0, 'x')
  await waitForConvergence([sender, receiver, js], TIMEOUT_MS)
  for (const client of [sender, elsewhere, otherDoc]) {
    assert.deepEqual(client.events.filter(e => e.type === 'stateless'), [], `${client.name} got no stateless message`)
  }
  assert.ok(jsTypes.includes(0), 'the y-websocket client hears the room')
  assert.ok(jsTypes.every(type => type === 0 || type === 1), `the y-websocket client gets sync and awareness only: ${jsTypes}`)
})
