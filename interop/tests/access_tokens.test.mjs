// Access tokens with the real y-websocket client: the token goes through `params` (`?token=`),
// tokens are minted by `ycord token`, and a bad one is refused at the upgrade (HTTP 401/403 with a
// JSON reason) so the client never opens a socket. A read-only client syncs but writes nothing,
// and a token that expires closes the socket with 4401 until the client brings a fresh one.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'
import WebSocket from 'ws'
import { startYcord, ycordBinary } from '../support/ycord_server.mjs'
import { deadline, waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { rawUpgrade } from '../support/raw_upgrade.mjs'
import { tempDir } from '../support/temp_dir.mjs'

const TIMEOUT_MS = 10000
/** y-websocket's message type of y-protocols' auth messages. */
const MESSAGE_AUTH = 2

/** A server that checks tokens signed with a fresh HS256 secret, and that secret's file. */
async function startAuthServer (own, extraArgs = []) {
  const dir = tempDir(own, 'access-tokens')
  const secret = crypto.randomBytes(32).toString('hex')
  const secretFile = path.join(dir, 'secret')
  fs.writeFileSync(secretFile, secret + '\n')
  const args = ['--auth-secret-file', secretFile, ...extraArgs]
  const server = await startYcord(args)
  own(server, async () => { if (server.running) await server.stop() })
  return { server, secret, secretFile, args }
}

/** `ycord token …`: the token the real CLI prints. */
async function mint (secretFile, { room, access = 'rw', ttl = '1h' }) {
  const env = { ...process.env }
  delete env.YCORD_AUTH_SECRET
  delete env.YCORD_AUTH_SECRET_FILE
  const { stdout } = await promisify(execFile)(ycordBinary(), [
    'token', '--room', room, '--access', access, '--ttl', ttl, '--secret-file', secretFile
  ], { env })
  const token = stdout.trim()
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, `ycord token prints one compact JWT: ${stdout}`)
  return token
}

const base64url = value => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A JWT made here, for what the CLI will not make: past expiry, future nbf, other keys. */
function craftHs256 (secret, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const signed = `${base64url(header)}.${base64url(claims)}`
  return `${signed}.${crypto.createHmac('sha256', secret).update(signed).digest('base64url')}`
}

const now = () => Math.floor(Date.now() / 1000)

/**
 * A real y-websocket client with `params: { token }`, owned by `own`. It records every status
 * it reports, every connection error's message, every close and every permission-denied reason
 * (read with y-protocols' `readAuthMessage`, as y-websocket does, instead of its console.warn).
 */
function tokenClient (own, url, room, token, name) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    params: token === undefined ? {} : { token }
  })
  const client = { name, doc, provider, statuses: [], errors: [], closes: [], terminal: [], denied: [], listeners: new Set() }
  const notify = () => { for (const listener of client.listeners) listener() }
  client.subscribe = listener => {
    client.listeners.add(listener)
    return () => client.listeners.delete(listener)
  }
  provider.on('status', ({ status }) => { client.statuses.push(status); notify() })
  provider.on('synced', () => notify())
  provider.on('connection-error', event => { client.errors.push(event?.message ?? String(event)); notify() })
  provider.on('connection-close', event => { client.closes.push(event?.code ?? null); notify() })
  provider.on('closed', event => { client.terminal.push({ code: event.code, reason: event.reason }); notify() })
  provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder) => {
    authProtocol.readAuthMessage(decoder, doc, (_doc, reason) => { client.denied.push(reason); notify() })
  }
  doc.on('update', (_update, origin) => { if (origin === provider) notify() })
  provider.awareness.on('change', () => notify())
  own(client, () => { provider.destroy(); doc.destroy() })
  return client
}

function until (client, what, check) {
  return waitFor(() => {
    const value = check()
    return { done: Boolean(value), value, detail: { statuses: client.statuses, errors: client.errors, closes: client.closes, text: client.doc.getText('text').toString() } }
  }, { what: `${client.name}: ${what}`, timeoutMs: TIMEOUT_MS, subscribe: client.subscribe })
}

const synced = client => until(client, 'synced', () => client.provider.synced)
const hasText = (client, text) => until(client, `text ${JSON.stringify(text)}`, () => client.doc.getText('text').toString() === text)

/**
 * Asserts that a y-websocket client is refused before any socket opens, on its first try and on
 * its reconnect: two connection errors naming `status`, and never 'connected' nor synced.
 */
async function assertNeverConnects (client, status) {
  await until(client, 'two refused attempts', () => client.errors.length >= 2 && client.closes.length >= 2)
  for (const message of client.errors) {
    assert.equal(message, `Unexpected server response: ${status}`, `${client.name}: each attempt is refused with ${status}`)
  }
  assert.ok(!client.statuses.includes('connected'), `${client.name} never reached 'connected': ${client.statuses}`)
  assert.equal(client.provider.synced, false, `${client.name} never synced`)
  assert.deepEqual(client.closes, [1006, 1006], `${client.name}: no socket was ever open to be closed by the server`)
}

test('a read-write token minted by `ycord token` lets two y-websocket clients sync through params', { timeout: 30000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const room = 'notes/shared'
  const token = await mint(secretFile, { room })

  const upgrade = await rawUpgrade(server.httpUrl, room, token)
  assert.equal(upgrade.status, 101, 'a valid token is upgraded')

  const alice = tokenClient(own, server.url, room, token, 'alice')
  const bob = tokenClient(own, server.url, room, token, 'bob')
  await Promise.all([synced(alice), synced(bob)])
  alice.doc.getText('text').insert(0, 'written by alice')
  await hasText(bob, 'written by alice')
  bob.doc.getText('text').insert(0, 'bob: ')
  await hasText(alice, 'bob: written by alice')
  assert.deepEqual([alice.denied, bob.denied], [[], []], 'read-write clients are never told permission denied')
})

test('missing, malformed, expired, not-yet-valid, wrongly signed, alg-none and other-room tokens are refused at the upgrade', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { server, secret, secretFile } = await startAuthServer(own)
  const room = 'guarded'
  const claims = { room, access: 'rw', exp: now() + 3600 }
  const cases = [
    { name: 'no token', token: undefined, status: 401, reason: 'missing_token' },
    { name: 'a malformed token', token: 'not-a-jwt', status: 401, reason: 'malformed_token' },
    { name: 'an expired token', token: craftHs256(secret, { ...claims, exp: now() - 60 }), status: 401, reason: 'expired_token' },
    { name: 'a token whose nbf is to come', token: craftHs256(secret, { ...claims, nbf: now() + 3600 }), status: 401, reason: 'token_not_yet_valid' },
    { name: 'a token signed with another secret', token: craftHs256(crypto.randomBytes(32).toString('hex'), claims), status: 401, reason: 'bad_signature' },
    { name: 'an alg-none token', token: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`, status: 401, reason: 'unsupported_algorithm' },
    { name: 'a token for another room', token: await mint(secretFile, { room: 'elsewhere' }), status: 403, reason: 'wrong_room' }
  ]
  for (const { name, token, status, reason } of cases) {
    const refused = await rawUpgrade(server.httpUrl, room, token)
    assert.equal(refused.status, status, `${name}: HTTP ${status}`)
    assert.match(refused.headers['content-type'] ?? '', /^application\/json/, `${name}: a JSON body`)
    assert.equal(refused.body.reason, reason, `${name}: reason ${reason} (${JSON.stringify(refused.body)})`)
    assert.equal(refused.body.status, status, `${name}: the body repeats the status`)
    assert.equal(typeof refused.body.error, 'string', `${name}: the body says what is wrong`)
    assert.ok(refused.body.error.length > 0, `${name}: the error text is not empty`)
    if (token !== undefined) assert.ok(!JSON.stringify(refused.body).includes(token), `${name}: the body does not repeat the token`)
    assert.equal(refused.headers['www-authenticate'], status === 401 ? 'Bearer' : undefined, `${name}: WWW-Authenticate only on 401`)

    const client = tokenClient(own, server.url, room, token, name)
    await assertNeverConnects(client, status)
    client.provider.destroy()
  }

  // None of the refused clients left anything in the room.
  const reader = tokenClient(own, server.url, room, await mint(secretFile, { room, access: 'ro' }), 'reader')
  await synced(reader)
  assert.equal(reader.doc.getText('text').toString(), '', 'the room is untouched')
})

test('a team-a/* token opens team-a rooms and is refused with 403 at team-b/x and team-a itself', { timeout: 30000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const token = await mint(secretFile, { room: 'team-a/*' })

  const writer = tokenClient(own, server.url, 'team-a/x', token, 'team-a writer')
  const reader = tokenClient(own, server.url, 'team-a/x', token, 'team-a reader')
  await Promise.all([synced(writer), synced(reader)])
  writer.doc.getText('text').insert(0, 'team a only')
  await hasText(reader, 'team a only')
  const deeper = tokenClient(own, server.url, 'team-a/projects/plan', token, 'team-a deeper')
  await synced(deeper)

  for (const room of ['team-b/x', 'team-a', 'team-ab/x']) {
    const refused = await rawUpgrade(server.httpUrl, room, token)
    assert.equal(refused.status, 403, `${room}: 403`)
    assert.equal(refused.body.reason, 'wrong_room', `${room}: wrong_room (${JSON.stringify(refused.body)})`)
  }
  const outsider = tokenClient(own, server.url, 'team-b/x', token, 'team-b intruder')
  await assertNeverConnects(outsider, 403)
})

test('a read-only client syncs, is told permission denied, and its edit is neither relayed nor stored, also after a restart', { timeout: 60000 }, async t => {
  const own = resources(t)
  const dataDir = tempDir(own, 'access-tokens-ro-data')
  const { server, secretFile, args } = await startAuthServer(own, ['--data-dir', dataDir])
  const room = 'read-only-room'
  const rwToken = await mint(secretFile, { room })
  const roToken = await mint(secretFile, { room, access: 'ro' })

  const writer = tokenClient(own, server.url, room, rwToken, 'writer')
  await synced(writer)
  writer.doc.getText('text').insert(0, 'by the writer')
  const reader = tokenClient(own, server.url, room, roToken, 'reader')
  await synced(reader)
  await hasText(reader, 'by the writer')

  reader.doc.getText('text').insert(0, 'READ-ONLY EDIT ')
  // The server handles one connection's frames in order and relays in order, so once the
  // writer sees the awareness the reader sent after its edit, the edit would have arrived first.
  reader.provider.awareness.setLocalStateField('after', 'edit')
  await until(writer, "the reader's awareness sent after its edit",
    () => writer.provider.awareness.getStates().get(reader.doc.clientID)?.after === 'edit')
  assert.equal(writer.doc.getText('text').toString(), 'by the writer', 'the read-only edit never reached the writer')

  // The writer keeps writing, and the reader keeps receiving. The server answers a read-only
  // write on the reader's own socket before it reads the reader's next frame, so by the time this
  // edit (which follows the reader's awareness) arrives, every answer to the reader is in.
  writer.doc.getText('text').insert(13, '!')
  await until(reader, "the writer's next edit", () => reader.doc.getText('text').toString().endsWith('by the writer!'))
  assert.deepEqual(reader.denied, ['read-only'], 'the reader was told permission denied ("read-only"), once')
  assert.ok(reader.provider.wsconnected, 'the reader stays connected')

  const response = await deadline(fetch(`${server.httpUrl}/api/rooms/${room}?format=json`, {
    headers: { authorization: `Bearer ${roToken}` }
  }), TIMEOUT_MS, 'GET the room')
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), { text: 'by the writer!' }, 'the server holds the writer\'s text only')

  reader.provider.destroy()
  writer.provider.destroy()
  assert.deepEqual(await server.stop(), { code: 0, signal: null })
  const restarted = await startYcord(args)
  own(restarted, async () => { if (restarted.running) await restarted.stop() })
  const fresh = tokenClient(own, restarted.url, room, rwToken, 'fresh')
  await synced(fresh)
  assert.equal(fresh.doc.getText('text').toString(), 'by the writer!', 'after a restart the store has no read-only edit')
})

test('a token that expires closes the socket with 4401, and a fresh token set in the closed handler reconnects and syncs', { timeout: 30000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const room = 'expiring'
  const shortLived = await mint(secretFile, { room, ttl: '2s' })
  const fresh = await mint(secretFile, { room })
  const client = tokenClient(own, server.url, room, shortLived, 'short-lived')
  // What an application does with y-websocket: on the terminal close, bring a new token.
  client.provider.on('closed', event => {
    if (event.code !== 4401) return
    client.provider.params.token = fresh
    client.provider.connect()
  })
  await synced(client)
  const peer = tokenClient(own, server.url, room, fresh, 'peer')
  await synced(peer)

  const closed = await until(client, "the 'closed' event", () => client.terminal[0])
  assert.deepEqual(closed, { code: 4401, reason: 'token expired' }, 'the server closed with 4401 "token expired"')
  assert.deepEqual(client.closes, [4401], "the one 'connection-close' carries 4401")
  assert.ok(peer.provider.wsconnected, "the peer's longer token keeps it connected")

  // Back with the fresh token: synced again, and edits flow both ways.
  await until(client, 'synced again after the 4401', () => client.provider.synced)
  client.doc.getText('text').insert(0, 'back again')
  await hasText(peer, 'back again')
  peer.doc.getText('text').insert(0, 'welcome ')
  await hasText(client, 'welcome back again')
  assert.deepEqual(client.closes, [4401], 'no other close: the fresh token was accepted at once')
  assert.deepEqual(client.errors, [], 'no refused attempt')
})

test('a token offered as the ycord.token subprotocol next to ycord is answered with ycord and syncs', { timeout: 30000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const room = 'by-subprotocol'
  const token = await mint(secretFile, { room })
  // The `ws` package, like browsers, fails a connection whose answer names a subprotocol that was
  // not offered (the token) or names none when some were offered.
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(server.url, room, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    protocols: ['ycord', `ycord.token.${token}`]
  })
  own(provider, () => { provider.destroy(); doc.destroy() })
  const errors = []
  provider.on('connection-error', event => errors.push(event?.message))
  await deadline(new Promise(resolve => provider.on('synced', isSynced => { if (isSynced) resolve() })), TIMEOUT_MS, 'the subprotocol client to sync')
  assert.equal(provider.ws.protocol, 'ycord', 'the server chose "ycord", never the token')
  assert.deepEqual(errors, [])

  const other = await mint(secretFile, { room: 'elsewhere' })
  const refusedDoc = new Y.Doc()
  const refused = new WebsocketProvider(server.url, room, refusedDoc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    protocols: ['ycord', `ycord.token.${other}`]
  })
  own(refused, () => { refused.destroy(); refusedDoc.destroy() })
  const refusal = await deadline(new Promise(resolve => refused.on('connection-error', event => resolve(event?.message))), TIMEOUT_MS, 'the refusal')
  assert.equal(refusal, 'Unexpected server response: 403')
})
