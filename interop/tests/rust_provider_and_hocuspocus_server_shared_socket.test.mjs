// Several Rust providers share one Hocuspocus socket (`HocuspocusSocket`, as
// `HocuspocusProviderWebsocket` in JS): each document syncs with its own JS peers over it, and
// detaching one document leaves the others connected.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startAgentWith } from '../support/agent.mjs'
import { joinHocuspocus, startHocuspocus } from '../support/hocuspocus_server.mjs'
import { resources } from '../support/resources.mjs'
import { waitFor } from '../support/wait.mjs'

const WAIT_TIMEOUT_MS = 10000

/** Waits until the JS document's text satisfies `predicate`. */
function jsText (client, predicate, what) {
  const text = client.doc.getText('text')
  return waitFor(() => ({ done: predicate(text.toString()), value: text.toString(), detail: text.toString() }), {
    what,
    timeoutMs: WAIT_TIMEOUT_MS,
    subscribe: notify => {
      client.doc.on('update', notify)
      return () => client.doc.off('update', notify)
    }
  })
}

/** Waits until the agent's text in `room` satisfies `predicate`. */
function agentText (agent, room, predicate, what) {
  return waitFor(async () => {
    const { text } = await agent.request('dump', { room })
    return { done: predicate(text), value: text, detail: text }
  }, { what, timeoutMs: WAIT_TIMEOUT_MS, subscribe: notify => agent.onRemoteUpdate(notify) })
}

test('two documents sync over one shared socket from the Rust side', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startHocuspocus(), () => server.stop())
  const sockets = new Map() // socketId → Set of document names
  server.connections.on('connected', ({ documentName, socketId }) => {
    if (!sockets.has(socketId)) sockets.set(socketId, new Set())
    sockets.get(socketId).add(documentName)
  })
  const one = own(await joinHocuspocus(server.url, 'doc-one'))
  const two = own(await joinHocuspocus(server.url, 'doc-two'))
  one.doc.getText('text').insert(0, 'one;')
  two.doc.getText('text').insert(0, 'two;')

  const agent = own(await startAgentWith(server.url, 'doc-one', 'rust', { dialect: 'hocuspocus', extraRooms: ['doc-two'] }))
  await agent.request('wait_synced', { room: 'doc-two' })
  assert.equal((await agent.request('dump', { room: 'doc-one' })).text, 'one;')
  assert.equal((await agent.request('dump', { room: 'doc-two' })).text, 'two;')

  // The server saw both documents of the agent on one socket (each JS provider has its own).
  const shared = [...sockets.values()].filter(documents => documents.size === 2)
  assert.equal(shared.length, 1, JSON.stringify([...sockets.values()].map(s => [...s])))
  assert.equal(sockets.size, 3, 'two JS sockets and one Rust socket')

  // Each document's edits reach that document only.
  await agent.request('insert', { room: 'doc-two', index: 0, text: 'R2;' })
  await agent.request('insert', { room: 'doc-one', index: 0, text: 'R1;' })
  assert.equal(await jsText(two, t => t.startsWith('R2;'), 'JS on doc-two to see the Rust edit'), 'R2;two;')
  assert.equal(await jsText(one, t => t.startsWith('R1;'), 'JS on doc-one to see the Rust edit'), 'R1;one;')
  two.doc.getText('text').insert(0, 'J2;')
  await agentText(agent, 'doc-two', t => t.startsWith('J2;'), 'the agent to see the JS edit on doc-two')
  assert.equal((await agent.request('dump', { room: 'doc-one' })).text, 'R1;one;')

  // Detaching doc-two closes that document only: doc-one keeps syncing over the socket.
  await agent.request('disconnect', { room: 'doc-two' })
  one.doc.getText('text').insert(0, 'J1;')
  await agentText(agent, 'doc-one', t => t.startsWith('J1;'), 'the agent to see a JS edit on doc-one after doc-two left')
  const status = await agent.request('status', { room: 'doc-one' })
  assert.equal(status.status, 'connected')
  assert.equal(status.synced, true)
  assert.equal((await agent.request('status', { room: 'doc-two' })).status, 'disconnected')
  await agent.request('insert', { room: 'doc-one', index: 0, text: 'R1b;' })
  await jsText(one, t => t.startsWith('R1b;'), 'JS on doc-one to see an edit made after doc-two left')

  // And doc-two comes back on the same socket.
  await agent.request('connect', { room: 'doc-two' })
  await agent.request('wait_synced', { room: 'doc-two' })
  assert.equal(sockets.size, 3, 'no new socket for the returning document')
})
