// The Rust provider with `Dialect::Hocuspocus` (the agent's `--dialect hocuspocus`) against a
// real @hocuspocus/server 4.7, next to a real @hocuspocus/provider: edits, awareness and
// stateless messages travel both ways, and the server's token verdicts reach the Rust status API.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { agentEvent, startAgentWith } from '../support/agent.mjs'
import {
  GOOD_TOKEN, READ_ONLY_TOKEN, REFUSAL_REASON, joinHocuspocus, startHocuspocus
} from '../support/hocuspocus_server.mjs'
import { resources } from '../support/resources.mjs'
import { deadline, waitFor } from '../support/wait.mjs'

const WAIT_TIMEOUT_MS = 10000
const HOCUSPOCUS = { dialect: 'hocuspocus' }

const onDocUpdate = doc => notify => {
  doc.on('update', notify)
  return () => doc.off('update', notify)
}
const onAwarenessChange = awareness => notify => {
  awareness.on('change', notify)
  return () => awareness.off('change', notify)
}

/** Waits until the agent's text satisfies `predicate`. */
function agentText (agent, predicate, what) {
  return waitFor(async () => {
    const { text } = await agent.snapshot()
    return { done: predicate(text), value: text, detail: text }
  }, { what, timeoutMs: WAIT_TIMEOUT_MS, subscribe: notify => agent.onRemoteUpdate(notify) })
}

/** Waits until the agent's `status` reply satisfies `predicate`, re-asking on every `event`. */
function agentStatus (agent, predicate, what, event) {
  return waitFor(async () => {
    const status = await agent.request('status')
    return { done: predicate(status), value: status, detail: status }
  }, {
    what,
    timeoutMs: WAIT_TIMEOUT_MS,
    subscribe: notify => {
      agent.on(event, notify)
      return () => agent.off(event, notify)
    }
  })
}

/** Resolves with the first stateless payload the JS provider receives that equals `payload`. */
function jsStateless (provider, payload) {
  let listener
  const seen = new Promise(resolve => {
    listener = message => { if (message.payload === payload) resolve(message.payload) }
    provider.on('stateless', listener)
  })
  return deadline(seen, WAIT_TIMEOUT_MS, `JS to receive the stateless message ${payload}`)
    .finally(() => provider.off('stateless', listener))
}

/** Resolves with the first stateless message a client sends the server that `accept`s. */
function serverStateless (server, accept) {
  let listener
  const seen = new Promise(resolve => {
    listener = message => { if (accept(message)) resolve(message) }
    server.connections.on('stateless', listener)
  })
  return deadline(seen, WAIT_TIMEOUT_MS, 'the server\'s onStateless hook to run')
    .finally(() => server.connections.off('stateless', listener))
}

/** Waits until the JS document's text satisfies `predicate`. */
function jsText (client, predicate, what) {
  const text = client.doc.getText('text')
  return waitFor(() => ({ done: predicate(text.toString()), value: text.toString(), detail: text.toString() }),
    { what, timeoutMs: WAIT_TIMEOUT_MS, subscribe: onDocUpdate(client.doc) })
}

test('edits converge both ways between the Rust provider and a JS HocuspocusProvider', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startHocuspocus(), () => server.stop())
  const js = own(await joinHocuspocus(server.url, 'notes/converge'))
  js.doc.getText('text').insert(0, 'from js;')

  const agent = own(await startAgentWith(server.url, 'notes/converge', 'rust', HOCUSPOCUS))
  // Synced means the server's state arrived: what JS wrote before is there at once.
  assert.equal((await agent.snapshot()).text, 'from js;')

  await agent.insert(0, 'from rust;')
  assert.equal(await jsText(js, t => t.includes('from rust;'), 'JS to see the Rust edit'), 'from rust;from js;')

  js.doc.getText('text').insert(js.doc.getText('text').length, 'again js;')
  await agentText(agent, t => t.includes('again js;'), 'the agent to see the second JS edit')

  // Concurrent edits on both sides end in the same text everywhere.
  const concurrent = []
  for (let i = 0; i < 20; i++) {
    js.doc.getText('text').insert(0, `j${i}`)
    concurrent.push(agent.insert(0, `r${i}`))
  }
  await Promise.all(concurrent)
  const final = await jsText(js, t => t.includes('r19') && t.includes('j19'), 'JS to see every Rust edit')
  assert.equal(await agentText(agent, t => t === final, 'the agent to reach the same text'), final)

  const status = await agent.request('status')
  assert.equal(status.status, 'connected')
  assert.equal(status.read_only, false)
  assert.equal(status.permission_denied, null)
})

test('awareness flows both ways, and a Rust provider that leaves vanishes for JS', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startHocuspocus(), () => server.stop())
  const js = own(await joinHocuspocus(server.url, 'notes/awareness'))
  const agent = own(await startAgentWith(server.url, 'notes/awareness', 'rust', HOCUSPOCUS))

  const jsId = String(js.doc.clientID)
  const rustId = agent.clientId
  js.awareness.setLocalStateField('user', { name: 'js' })
  await agent.setAwareness({ user: { name: 'rust' } })

  await waitFor(() => {
    const state = js.awareness.getStates().get(rustId)
    return { done: state?.user?.name === 'rust', detail: [...js.awareness.getStates()] }
  }, { what: 'JS to see the Rust awareness state', timeoutMs: WAIT_TIMEOUT_MS, subscribe: onAwarenessChange(js.awareness) })

  await waitFor(async () => {
    const states = await agent.awarenessStates()
    return { done: states[jsId]?.user?.name === 'js', detail: states }
  }, { what: 'the agent to see the JS awareness state', timeoutMs: WAIT_TIMEOUT_MS, subscribe: notify => agent.onAwarenessChange(notify) })

  await agent.leave()
  await waitFor(() => ({ done: !js.awareness.getStates().has(rustId), detail: [...js.awareness.getStates().keys()] }),
    { what: 'the Rust client to vanish from JS awareness', timeoutMs: WAIT_TIMEOUT_MS, subscribe: onAwarenessChange(js.awareness) })
})

test('a good token syncs, a read-only token syncs but cannot edit, a bad token makes the agent unauthorized', { timeout: 60000 }, async t => {
  const own = resources(t)
  const server = own(await startHocuspocus({ checkTokens: true }), () => server.stop())
  const js = own(await joinHocuspocus(server.url, 'notes/tokens', { token: GOOD_TOKEN }))
  js.doc.getText('text').insert(0, 'secret;')

  const writer = own(await startAgentWith(server.url, 'notes/tokens', 'writer', { ...HOCUSPOCUS, token: GOOD_TOKEN }))
  assert.equal((await writer.snapshot()).text, 'secret;')
  await writer.insert(0, 'w;')
  await jsText(js, t => t.startsWith('w;'), 'JS to see the writer\'s edit')

  const reader = own(await startAgentWith(server.url, 'notes/tokens', 'reader', { ...HOCUSPOCUS, token: READ_ONLY_TOKEN, synced: false }))
  await reader.synced()
  await agentStatus(reader, s => s.read_only, 'the reader to learn it is read-only', 'read_only')
  assert.equal((await reader.snapshot()).text, 'w;secret;')
  assert.equal((await reader.request('status')).read_only, true)
  // The server answers the refused update with a sync status `false`, which the provider
  // reports as permission denied "read-only"; the edit stays local.
  const refused = agentEvent(reader, 'permission_denied', m => m.reason === 'read-only')
  await reader.insert(0, 'READER;')
  await refused
  // Everything the server relays to JS after the refusal: the refused edit is not in it.
  js.doc.getText('text').insert(0, 'later;')
  await agentText(reader, t => t.includes('later;'), 'the reader to see a later JS edit')
  assert.ok(!js.doc.getText('text').toString().includes('READER;'), js.doc.getText('text').toString())
  assert.equal((await reader.request('status')).has_unsynced_changes, true)

  const intruder = own(await startAgentWith(server.url, 'notes/tokens', 'intruder', { ...HOCUSPOCUS, token: 'wrong', synced: false }))
  const status = await agentStatus(intruder, s => s.status === 'unauthorized',
    'the agent with a bad token to become unauthorized', 'status')
  assert.equal(status.permission_denied, REFUSAL_REASON)
  assert.equal(status.synced, false)
  assert.equal((await intruder.snapshot()).text, '', 'nothing of the document reached it')
})

test('stateless messages reach the Rust provider only as the server\'s onStateless hook sends them, and reach the hook from Rust', { timeout: 60000 }, async t => {
  const own = resources(t)
  const room = 'notes/stateless'
  // Hocuspocus 4.7 hands a client's stateless message to `onStateless` and relays nothing on
  // its own: this hook broadcasts `broadcast:*` to the document's other connections and
  // answers `ping` to the sender alone.
  const server = own(await startHocuspocus({
    onStateless: async ({ connection, document, payload }) => {
      if (payload.startsWith('broadcast:')) document.broadcastStateless(payload, other => other !== connection)
      if (payload === 'ping') connection.sendStateless('pong')
    }
  }), () => server.stop())
  const js = own(await joinHocuspocus(server.url, room))
  const agent = own(await startAgentWith(server.url, room, 'rust', HOCUSPOCUS))
  const rustReceived = []
  agent.on('stateless', ({ payload }) => rustReceived.push(payload))

  // JS -> server: a payload the hook keeps to itself, then one it broadcasts. Both come from
  // the same connection, so the first would have reached Rust before the second if relayed.
  const quietHeard = serverStateless(server, m => m.payload === 'quiet')
  const broadcastToRust = agentEvent(agent, 'stateless', m => m.payload === 'broadcast:from-js')
  js.provider.sendStateless('quiet')
  js.provider.sendStateless('broadcast:from-js')
  assert.equal((await quietHeard).documentName, room)
  await broadcastToRust
  assert.deepEqual(rustReceived, ['broadcast:from-js'], 'only what the hook broadcast reached Rust')

  // Rust -> server -> JS, with the payload byte for byte.
  const payload = 'broadcast:{"from":"rust","note":"héllo ✓"}'
  const heard = serverStateless(server, m => m.payload === payload)
  const toJs = jsStateless(js.provider, payload)
  await agent.sendStateless(payload)
  assert.equal((await heard).documentName, room)
  assert.equal(await toJs, payload)

  // The server answering the sender alone.
  const pong = agentEvent(agent, 'stateless', m => m.payload === 'pong')
  await agent.sendStateless('ping')
  await pong
  assert.deepEqual(rustReceived, ['broadcast:from-js', 'pong'], 'Rust never hears its own broadcast')

  // Disconnected, the provider refuses instead of queueing.
  await agent.disconnect()
  await assert.rejects(agent.sendStateless('broadcast:while-offline'), /no socket is open/)
})
