// A real JS client: yjs + y-websocket (the npm packages, unmodified) over the `ws` package.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { snapshotOf } from './snapshot.mjs'
import { deadline } from './wait.mjs'

const SYNC_TIMEOUT_MS = 10000

export class JsClient {
  /**
   * Connects to `url` / `room`. Call `synced()` to wait for the first sync.
   * @param {string} url  ws://host:port
   * @param {string} room
   * @param {string} name shown in failures
   */
  constructor (url, room, name) {
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

  async snapshot () { return snapshotOf(this.doc) }

  /** Calls `listener` after every update that came from the server; returns an unsubscribe. */
  onRemoteUpdate (listener) {
    const handler = (_update, origin) => { if (origin === this.provider) listener() }
    this.doc.on('update', handler)
    return () => this.doc.off('update', handler)
  }

  /** `{ "<client id>": state }` of every awareness state this client knows, own included. */
  async awarenessStates () {
    return Object.fromEntries(
      Array.from(this.awareness.getStates(), ([client, state]) => [String(client), state])
    )
  }

  /** Calls `listener` on every awareness change; returns an unsubscribe. */
  onAwarenessChange (listener) {
    const handler = () => listener()
    this.awareness.on('change', handler)
    return () => this.awareness.off('change', handler)
  }

  async setAwareness (state) { this.awareness.setLocalState(state) }

  /** Removes the local awareness state (peers see this client leave, the socket stays). */
  async clearAwareness () { this.awareness.setLocalState(null) }

  /** Inserts at `index`, clamped to the text's length (as the agent does). */
  async insert (index, text) {
    const ytext = this.doc.getText('text')
    ytext.insert(Math.min(index, ytext.length), text)
  }

  async mapSet (key, value) { this.doc.getMap('map').set(key, value) }

  async arrayPush (value) { this.doc.getArray('array').push([value]) }

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
