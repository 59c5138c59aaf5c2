// A real @hocuspocus/server in this process, and real @hocuspocus/provider clients for it.
// No persistence extension: a document lives in memory while a connection holds it.

import { EventEmitter } from 'node:events'
import { Server } from '@hocuspocus/server'
import { HocuspocusProvider } from '@hocuspocus/provider'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { deadline } from './wait.mjs'

/** With `checkTokens`, the only token `onAuthenticate` accepts for writing. */
export const GOOD_TOKEN = 'good-token'
/** With `checkTokens`, the token `onAuthenticate` accepts as read-only. */
export const READ_ONLY_TOKEN = 'read-only-token'
/** The reason `onAuthenticate` gives for any other token. */
export const REFUSAL_REASON = 'bad token'

const STOP_TIMEOUT_MS = 5000
const SYNC_TIMEOUT_MS = 10000

/**
 * Starts `@hocuspocus/server` on an ephemeral port of 127.0.0.1. With `checkTokens`,
 * `onAuthenticate` accepts GOOD_TOKEN (read-write) and READ_ONLY_TOKEN (read-only) and
 * refuses everything else with REFUSAL_REASON; without it, every connection is accepted.
 * `onStateless` (`{ connection, document, documentName, payload }`) runs in the server's
 * `onStateless` hook; without it a client's stateless message goes nowhere, as by default in
 * Hocuspocus (the server never relays one on its own). Resolves with
 * `{ url, server, connections, stop }`.
 */
export async function startHocuspocus ({ checkTokens = false, onStateless = null } = {}) {
  const connections = new EventEmitter()
  const server = new Server({
    async connected ({ documentName, socketId }) {
      connections.emit('connected', { documentName, socketId })
    },
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    async onStateless (payload) {
      connections.emit('stateless', { documentName: payload.documentName, payload: payload.payload })
      if (onStateless) await onStateless(payload)
    },
    async onAuthenticate ({ token, connectionConfig }) {
      if (!checkTokens) return
      if (token === READ_ONLY_TOKEN) {
        connectionConfig.readOnly = true
        return
      }
      // A plain object: Hocuspocus sends its `reason` in the permission-denied message.
      if (token !== GOOD_TOKEN) throw { reason: REFUSAL_REASON } // eslint-disable-line no-throw-literal
    }
  })
  await server.listen()
  return {
    url: `ws://127.0.0.1:${server.address.port}`,
    server,
    /**
     * Emits `connected` with `{ documentName, socketId }` for every document connection, and
     * `stateless` with `{ documentName, payload }` for every stateless message a client sends.
     */
    connections,
    stop: () => deadline(server.destroy(), STOP_TIMEOUT_MS, 'the Hocuspocus server to stop')
  }
}

/**
 * A `HocuspocusProvider` (with `ws` as its WebSocket) for document `name`, synced.
 * Resolves with `{ doc, provider, awareness, close }`.
 */
export async function joinHocuspocus (url, name, { token = null } = {}) {
  const doc = new Y.Doc()
  const provider = new HocuspocusProvider({
    url,
    name,
    document: doc,
    token,
    WebSocketPolyfill: WebSocket
  })
  const synced = new Promise(resolve => {
    if (provider.synced) resolve()
    provider.on('synced', () => resolve())
  })
  await deadline(synced, SYNC_TIMEOUT_MS, `the Hocuspocus provider for ${name} to sync`)
  return {
    doc,
    provider,
    awareness: provider.awareness,
    close: () => provider.destroy()
  }
}
