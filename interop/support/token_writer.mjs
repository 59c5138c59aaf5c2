// A JS client writing numbered tokens into a shared Y.Array and recording which came back
// from the server, and set helpers to compare what was written, acknowledged and recovered.

/**
 * A JS client that pushes `name-n` tokens into the Y.Array "log" every `paceMs`, one update
 * each, and records every token that arrived from the server: those were acknowledged (a node
 * relays an update only once it is stored).
 */
export class TokenWriter {
  /** `firstDelayMs` (default `paceMs`) staggers writers that start together. */
  constructor (client, { paceMs = 10, firstDelayMs = paceMs } = {}) {
    this.client = client
    this.paceMs = paceMs
    this.firstDelayMs = firstDelayMs
    this.log = client.doc.getArray('log')
    this.written = new Set()
    this.seen = new Set()
    this.listeners = new Set()
    this.n = 0
    this.timer = null
    this.log.observe((event, transaction) => {
      if (transaction.origin !== client.provider) return
      for (const change of event.changes.delta) {
        for (const token of change.insert ?? []) this.seen.add(token)
      }
      for (const listener of this.listeners) listener()
    })
  }

  get name () { return this.client.name }

  /** Calls `listener` after every remote change of the log; returns an unsubscribe. */
  onSeen (listener) {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Writes `count` tokens at once (no pacing), each its own transaction. */
  writeNow (count) {
    for (let i = 0; i < count; i++) this.writeOne()
  }

  /** Writes the next token, one transaction (each becomes its own update on the socket). */
  writeOne () {
    this.n += 1
    const token = `${this.name}-${this.n}`
    this.log.push([token])
    this.written.add(token)
    return token
  }

  start () {
    const step = () => {
      this.writeOne()
      this.timer = setTimeout(step, this.paceMs)
    }
    this.timer = setTimeout(step, this.firstDelayMs)
  }

  stop () { clearTimeout(this.timer) }
}

/** Every item of `sets`, once. */
export function union (sets) {
  const all = new Set()
  for (const set of sets) for (const item of set) all.add(item)
  return all
}

/** The items of `expected` that `actual` lacks. */
export function missing (expected, actual) {
  return [...expected].filter(item => !actual.has(item))
}
