// Records the frames a real @hocuspocus/provider sends and a real @hocuspocus/server answers, so
// that the Rust Hocuspocus codec (protocol/src/hocuspocus) can be tested against bytes the JS
// packages really write. Run once by hand (`node support/record_hocuspocus_frames.mjs` in
// interop/) and paste the printed arrays into the Rust tests; it is not part of the test suite.
//
// Provider: the script plays a minimal server on a plain `ws` socket: it accepts the token,
// answers with a read-write `authenticated`, sends a ping (a lone byte 9) and an empty step1,
// then destroys the provider, which sends its awareness removal and a close.
// Server: a raw `ws` client sends hand-made frames to a Hocuspocus `Server` and records the
// answers, for a read-write token, a read-only token, a refused token and a client close.
// Client id and document content are fixed, so the output is the same on every run.

import { WebSocketServer, WebSocket } from 'ws'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { HocuspocusProvider } from '@hocuspocus/provider'
import { Server } from '@hocuspocus/server'

const DOCUMENT = 'notes/demo'
const TOKEN = 'secret-token'
const CLIENT_ID = 1234
const FRAME_TIMEOUT_MS = 10000

/** lib0 `varString`. */
function varString (text) {
  const bytes = new TextEncoder().encode(text)
  return [bytes.length, ...bytes]
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise(resolve => wss.once('listening', resolve))
const url = `ws://127.0.0.1:${wss.address().port}`

const recorded = []
const waiters = []
function expectFrame (label) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no frame for ${label}`)), FRAME_TIMEOUT_MS)
    waiters.push(bytes => {
      clearTimeout(timer)
      recorded.push({ label, bytes })
      resolve(bytes)
    })
  })
}

const connected = new Promise(resolve => wss.once('connection', resolve))
const framesBeforeSync = [
  expectFrame('auth token'),
  expectFrame('sync step1'),
  expectFrame('awareness')
]
wss.on('connection', socket => {
  socket.on('message', data => {
    const next = waiters.shift()
    if (next) next([...new Uint8Array(data)])
  })
})

const document = new Y.Doc()
document.clientID = CLIENT_ID
document.getText('body').insert(0, 'hi')
const awareness = new Awareness(document)
awareness.setLocalState({ user: 'ada' })

const provider = new HocuspocusProvider({
  url,
  name: DOCUMENT,
  document,
  awareness,
  token: TOKEN,
  WebSocketPolyfill: WebSocket
})

const socket = await connected
await Promise.all(framesBeforeSync)

socket.send(Uint8Array.from([...varString(DOCUMENT), 2, 2, ...varString('read-write')]))
const pong = expectFrame('pong')
socket.send(Uint8Array.from([9]))
await pong

// An empty state vector: the provider answers with a step2 holding its whole document.
const step2 = expectFrame('sync step2 reply')
socket.send(Uint8Array.from([...varString(DOCUMENT), 0, 0, 1, 0]))
await step2

const goodbye = [expectFrame('awareness removal on destroy'), expectFrame('close on destroy')]
provider.destroy()
await Promise.all(goodbye)

wss.close()
console.log('// ---- sent by @hocuspocus/provider ----')
for (const { label, bytes } of recorded) {
  console.log(`// ${label}\n[${bytes.join(', ')}]`)
}

// ---- what @hocuspocus/server answers ----

const SERVER_DOCUMENT = 'd'
const frame = (...parts) => Uint8Array.from([...varString(SERVER_DOCUMENT), ...parts.flat()])
const tokenFrame = token => frame(2, 0, varString(token))
// The provider's step2 above: one insert of "hi" by client 1234.
const UPDATE = [1, 1, 210, 9, 0, 4, 1, 4, 98, 111, 100, 121, 2, 104, 105, 0]

const server = new Server({
  port: 0,
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: false,
  async onAuthenticate ({ token, connectionConfig }) {
    // A plain object: Hocuspocus logs errors that have a `message`, and sends `reason`.
    if (token === 'refused') throw { reason: 'no access' } // eslint-disable-line no-throw-literal
    connectionConfig.readOnly = token === 'read-only'
  }
})
await server.listen(0)

/** Sends `frames` on a fresh socket and resolves with the first `count` frames answered. */
async function answers (frames, count) {
  const socket = new WebSocket(`ws://127.0.0.1:${server.address.port}`)
  const received = []
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${count} frames`)), FRAME_TIMEOUT_MS)
    socket.on('message', data => {
      received.push([...new Uint8Array(data)])
      if (received.length === count) {
        clearTimeout(timer)
        resolve(received)
      }
    })
  })
  await new Promise(resolve => socket.once('open', resolve))
  for (const bytes of frames) socket.send(bytes)
  const result = await done
  socket.close()
  return result
}

const sessions = [
  ['read-write token, empty step1, update', [tokenFrame('read-write'), frame(0, 0, 1, 0), frame(0, 2, UPDATE.length, UPDATE)], 5],
  ['read-only token, update', [tokenFrame('read-only'), frame(0, 2, UPDATE.length, UPDATE)], 2],
  ['refused token', [tokenFrame('refused')], 1],
  ['read-write token, client close', [tokenFrame('read-write'), frame(7)], 2]
]
console.log('// ---- answered by @hocuspocus/server ----')
for (const [label, frames, count] of sessions) {
  console.log(`// ${label}`)
  for (const bytes of await answers(frames, count)) console.log(`[${bytes.join(', ')}]`)
}
await server.destroy()
process.exit(0)
