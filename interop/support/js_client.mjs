// A real JS client: yjs + y-websocket (the npm packages, unmodified) over the `ws` package.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { YjsPeer } from './yjs_peer.mjs'
import { deadline } from './wait.mjs'

const SYNC_TIMEOUT_MS = 10000

export class JsClient extends YjsPeer {
  /**
   * Connects to `url` / `room`. Call `synced()` to wait for the first sync.
   * @param {string} url  ws://host:port
   * @param {string} room
   * @param {string} name shown in failures
   */
  constructor (url, room, name) {
    super()
    this.kind = 'js'
    this.name = name
    this.doc = new Y.Doc()
    this.provider = new WebsocketProvider(url, room, this.doc, {
      WebSocketPolyfill: WebSocket,
      disableBc: true
    })
    this.awareness = this.provider.awareness
    this.closed = false
  }

  get clientId () { return this.doc.clientID }

  /** Resolves once the provider has synced (at once if it already has). */
  async synced (timeoutMs = SYNC_TIMEOUT_MS) {
    if (this.provider.synced) return
    await deadline(
      new Promise(resolve => {
        const onSynced = isSynced => {
          if (isSynced) {
            this.provider.off('synced', onSynced)
            resolve()
          }
        }
        this.provider.on('synced', onSynced)
      }),
      timeoutMs,
      `${this.name} to sync`
    )
  }


  /** Goes offline on purpose (edits stay local) until `connect()`. */
  async disconnect () { this.provider.disconnect() }

  /** Comes back online; the provider resyncs. */
  async connect () { this.provider.connect() }

  /** Closes the socket; y-websocket reconnects on its own after its backoff. */
  dropSocket () {
    if (!this.provider.ws) throw new Error(`${this.name} has no socket to drop`)
    this.provider.ws.terminate()
  }

  /** Leaves like a closed tab: awareness `null` is sent, then the socket closes. */
  async leave () {
    this.provider.destroy()
  }

  /** Dies like a crashed tab: the socket is cut, nothing is sent, no reconnect. */
  async crash () {
    this.provider.shouldConnect = false
    this.dropSocket()
  }

  /** Releases everything (timers, socket); safe to call more than once. */
  async close () {
    if (this.closed) return
    this.closed = true
    this.provider.destroy()
    this.doc.destroy()
  }
}

/** Starts a client and waits until it is synced. */
export async function connectJsClient (url, room, name) {
  const client = new JsClient(url, room, name)
  try {
    await client.synced()
  } catch (err) {
    await client.close()
    throw err
  }
  return client
}
