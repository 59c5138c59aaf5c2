// What every JS peer of the tests does the same way, whichever provider syncs it: reading the
// document and the awareness states, and editing them. A subclass sets `doc`, `awareness` and
// `provider` (the origin of remote updates) and adds connecting and leaving.

import { snapshotOf } from './snapshot.mjs'

export class YjsPeer {
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
}
