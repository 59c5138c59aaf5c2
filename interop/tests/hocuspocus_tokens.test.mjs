// Tokens on the Hocuspocus endpoint of a ycord that checks them: each document sends its own
// token in its auth message and it is checked exactly as `?token=` on the y-websocket endpoint.
// A read-write token edits; a read-only one reads, its edits never reach the room and its
// provider keeps counting them unsynced; a token for another room gets `authenticationFailed`
// while another document on the same socket keeps working.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { startYcord, ycordBinary } from '../support/ycord_server.mjs'
import { waitForAwareness, waitForConvergence } from '../support/peers.mjs'
import {
  connectHocuspocusClient,
  HocuspocusClient,
  openHocuspocusSocket
} from '../support/hocuspocus_client.mjs'
import { deadline, waitFor } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'

const TIMEOUT_MS = 10000

async function startAuthServer (own) {
  const dir = tempDir(own, 'hocuspocus-tokens')
  const secretFile = path.join(dir, 'secret')
  fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('hex') + '\n')
  const server = await startYcord(['--auth-secret-file', secretFile])
  own(server, async () => { if (server.running) await server.stop() })
  return { server, secretFile }
}

/** `ycord token …`: the token the real CLI prints. */
async function mint (secretFile, { room, access = 'rw' }) {
  const env = { ...process.env }
  delete env.YCORD_AUTH_SECRET
  delete env.YCORD_AUTH_SECRET_FILE
  const { stdout } = await promisify(execFile)(ycordBinary(), [
    'token', '--room', room, '--access', access, '--ttl', '1h', '--secret-file', secretFile
  ], { env })
  return stdout.trim()
}

/** The room's root types as JSON, read through the HTTP API with `token`. */
async function roomText (server, room, token) {
  const response = await deadline(fetch(`${server.httpUrl}/api/rooms/${room}?format=json`, {
    headers: { Authorization: `Bearer ${token}` }
  }), 5000, `GET /api/rooms/${room}`)
  assert.equal(response.status, 200, `GET /api/rooms/${room} answers 200`)
  return JSON.stringify(await response.json())
}

async function refusals (server, reason) {
  const metrics = await (await deadline(fetch(`${server.httpUrl}/metrics`), 5000, 'GET /metrics')).text()
  const line = new RegExp(`^ycord_refusals_total\\{[^}]*endpoint="websocket"[^}]*reason="${reason}"[^}]*\\} (\\d+)$`, 'm').exec(metrics)
    ?? new RegExp(`^ycord_refusals_total\\{[^}]*reason="${reason}"[^}]*endpoint="websocket"[^}]*\\} (\\d+)$`, 'm').exec(metrics)
  assert.ok(line, `/metrics counts websocket refusals for ${reason}`)
  return Number(line[1])
}

test('a read-write token edits, a read-only token only reads, and its edits never reach the room', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const rw = await mint(secretFile, { room: 'team' })
  const ro = await mint(secretFile, { room: 'team', access: 'ro' })

  const writer = own(await connectHocuspocusClient(server.url, 'team', 'writer', { token: rw }))
  assert.equal(writer.events.find(e => e.type === 'authenticated')?.scope, 'read-write')
  await writer.insert(0, 'written. ')
  await writer.allStored()
  assert.match(await roomText(server, 'team', rw), /written\. /)

  const reader = own(await connectHocuspocusClient(server.url, 'team', 'reader', { token: ro }))
  assert.equal(reader.events.find(e => e.type === 'authenticated')?.scope, 'readonly')
  await waitForConvergence([writer, reader], TIMEOUT_MS)
  await reader.allStored()
  // The reader's step2 held nothing new: acknowledged. Its edit is refused with SyncStatus(false),
  // which the provider ignores: the edit stays counted as unsynced.
  await reader.insert(0, 'forbidden. ')
  // Awareness from the same document connection comes after the edit in the room's order.
  await reader.setAwareness({ user: 'reader' })
  await waitForAwareness([writer], states => states[String(reader.clientId)]?.user === 'reader', {
    what: 'the reader\'s awareness (sent after its edit) to reach the writer',
    timeoutMs: TIMEOUT_MS
  })
  assert.doesNotMatch(await roomText(server, 'team', rw), /forbidden/, 'the read-only edit is not in the room')
  assert.doesNotMatch((await writer.snapshot()).text, /forbidden/, 'nor at the writer')
  assert.ok(reader.provider.unsyncedChanges > 0, 'the read-only provider still counts its edit unsynced')

  // The writer's later edits still reach the reader.
  await writer.insert(0, 'more. ')
  await writer.allStored()
  const text = () => reader.doc.getText('text').toString()
  await waitFor(() => ({ done: text().includes('more. '), detail: text() }), {
    what: 'the writer\'s later edit to reach the reader',
    timeoutMs: TIMEOUT_MS,
    subscribe: notify => reader.onRemoteUpdate(notify)
  })
})

test('a token for another room is refused for that document only; the socket keeps its others', { timeout: 60000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const team = await mint(secretFile, { room: 'team' })
  const before = await refusals(server, 'wrong_room')

  const socket = own(openHocuspocusSocket(server.url), () => socket.destroy())
  const good = own(await connectHocuspocusClient(server.url, 'team', 'good', { socket, token: team }))
  const refused = own(new HocuspocusClient(server.url, 'secret', 'refused', { socket, token: team }))
  const failed = await refused.waitForEvent(e => e.type === 'authenticationFailed', 'authenticationFailed')
  assert.equal(failed.reason, 'wrong_room')
  assert.equal(refused.provider.synced, false, 'the refused document never synced')
  assert.equal(await refusals(server, 'wrong_room'), before + 1, 'the refusal is counted')

  await good.insert(0, 'still working. ')
  await good.allStored()
  assert.match(await roomText(server, 'team', team), /still working\. /)
  assert.equal(socket.status, 'connected', 'the socket stayed open')
  assert.ok(!server.log || !fs.readFileSync(server.log, 'utf8').includes(team), 'the token is never logged')
})

test('a token on the upgrade URL stands in for documents whose provider sends none', { timeout: 30000 }, async t => {
  const own = resources(t)
  const { server, secretFile } = await startAuthServer(own)
  const token = await mint(secretFile, { room: 'team', access: 'ro' })
  const socket = openHocuspocusSocket(server.url, `?token=${encodeURIComponent(token)}`)
  own(socket, () => socket.destroy())
  const client = own(await connectHocuspocusClient(server.url, 'team', 'upgrade-token', { socket }))
  assert.equal(client.events.find(e => e.type === 'authenticated')?.scope, 'readonly')
})
