// A real Hocuspocus client: yjs + @hocuspocus/provider (the npm packages, unmodified) over the
// `ws` package, on ycord's `/hocuspocus` endpoint. It has the peer interface of peers.mjs
// (snapshot, onRemoteUpdate, awarenessStates, insert, …), so it converges with y-websocket peers
// through the same waits, plus what only Hocuspocus has: auth events, unsynced changes and
// stateless messages.

import * as Y from 'yjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'
import { YjsPeer } from './yjs_peer.mjs'
import { deadline, waitFor } from './wait.mjs'

const TIMEOUT_MS = 10000

/**
 * A socket several providers can share (`HocuspocusProviderWebsocket`), on `url`/hocuspocus.
 * @param {string} url ws://host:port
 * @param {string} query appended to the URL (`?token=…`)
 * @param {object} options more `HocuspocusProviderWebsocket` options
 */
export function openHocuspocusSocket (url, query = '', options = {}) {
  return new HocuspocusProviderWebsocket({
    url: `${url}/hocuspocus${query}`,
    WebSocketPolyfill: WebSocket,
    // Reconnect quickly: the tests drop sockets on purpose.
    delay: 50,
    minDelay: 50,
    maxDelay: 200,
    jitter: false,
    ...options
  })
}

export class HocuspocusClient extends YjsPeer {
  /**
   * @param {string} url ws://host:port
   * @param {string} document the document (room) name
   * @param {string} name shown in failures
   * @param {{ socket?: HocuspocusProviderWebsocket, token?: string, awareness?: null }} options
   *   `socket`: share it (the provider is attached to it); otherwise the client has its own.
   *   `awareness: null` turns the provider's awareness off.
   */
  constructor (url, document, name, { socket, token, awareness } = {}) {
    super()
    this.kind = 'hocuspocus'
    this.name = name
    this.document = document
    this.doc = new Y.Doc()
    this.ownsSocket = !socket
    this.socket = socket ?? openHocuspocusSocket(url)
    this.events = []
    this.listeners = new Set()
    this.provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: document,
      document: this.doc,
      token: token ?? null,
      ...(awareness === null ? { awareness: null } : {}),
      onAuthenticated: ({ scope }) => this.record({ type: 'authenticated', scope }),
      onAuthenticationFailed: ({ reason }) => this.record({ type: 'authenticationFailed', reason }),
      onUnsyncedChanges: ({ number }) => this.record({ type: 'unsyncedChanges', number }),
      onStateless: ({ payload }) => this.record({ type: 'stateless', payload }),
      onSynced: () => this.record({ type: 'synced' }),
      onClose: ({ event }) => this.record({ type: 'close', code: event?.code, reason: event?.reason })
    })
    this.provider.attach()
    this.awareness = this.provider.awareness
    this.closed = false
  }

  get clientId () { return this.doc.clientID }

  record (event) {
    this.events.push(event)
    for (const listener of this.listeners) listener()
  }

  /** Calls `listener` after every recorded event; returns an unsubscribe. */
  onEvent (listener) {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolves with the first recorded event (from index `from`) that `predicate` accepts. */
  async waitForEvent (predicate, what, { from = 0, timeoutMs = TIMEOUT_MS } = {}) {
    return waitFor(() => {
      const event = this.events.slice(from).find(predicate)
      return event ? { done: true, value: event } : { done: false, detail: this.events.slice(-10) }
    }, { what: `${this.name}: ${what}`, timeoutMs, subscribe: notify => this.onEvent(notify) })
  }

  /** Resolves once the provider is synced (its first step2 arrived). */
  async synced (timeoutMs = TIMEOUT_MS) {
    if (this.provider.synced) return
    await this.waitForEvent(() => this.provider.synced, 'synced', { timeoutMs })
  }

  /** Resolves once the provider counts no unsynced change (every one acknowledged). */
  async allStored (timeoutMs = TIMEOUT_MS) {
    await waitFor(
      () => ({ done: this.provider.unsyncedChanges === 0, detail: this.provider.unsyncedChanges }),
      { what: `${this.name}: unsyncedChanges to reach 0`, timeoutMs, subscribe: notify => this.onEvent(notify) }
    )
  }

  sendStateless (payload) { this.provider.sendStateless(payload) }

  /**
   * Takes the socket offline on purpose (edits stay local) until `connect()`; resolves once the
   * socket has closed (a `connect()` before that would be ignored by the provider).
   */
  async disconnect () {
    const closed = new Promise(resolve => {
      if (this.socket.status === 'disconnected') return resolve()
      const onStatus = ({ status }) => {
        if (status !== 'disconnected') return
        this.socket.off('status', onStatus)
        resolve()
      }
      this.socket.on('status', onStatus)
    })
    this.socket.disconnect()
    await deadline(closed, TIMEOUT_MS, `${this.name}'s socket to close`)
  }

  /** Brings the socket back; every attached provider authenticates and syncs again. */
  async connect () { this.socket.connect() }

  /** Cuts the socket; the provider reconnects on its own. */
  dropSocket () {
    if (!this.socket.webSocket) throw new Error(`${this.name} has no socket to drop`)
    this.socket.webSocket.terminate()
  }

  /** Leaves like a closed tab: awareness `null`, then a Close for the document. */
  async leave () { this.provider.destroy() }

  /** Releases everything; the shared socket stays open for the others. */
  async close () {
    if (this.closed) return
    this.closed = true
    // An own socket is closed with a handshake: once it completes, the server has let go of
    // every document the socket carried.
    const ws = this.ownsSocket ? this.socket.webSocket : null
    const closed = ws && ws.readyState !== ws.CLOSED
      ? new Promise(resolve => ws.addEventListener('close', resolve, { once: true }))
      : null
    this.provider.destroy()
    if (this.ownsSocket) this.socket.destroy()
    this.doc.destroy()
    if (closed) await deadline(closed, TIMEOUT_MS, `${this.name}'s socket to close`)
  }
}

/** Starts a client and waits until it is synced. */
export async function connectHocuspocusClient (url, document, name, options) {
  const client = new HocuspocusClient(url, document, name, options)
  try {
    await client.synced()
  } catch (err) {
    await client.close()
    throw err
  }
  return client
}
