// The real npm packages (yjs, y-indexeddb, y-websocket) for ycord's browser tests, plus small
// helpers those tests call. `npm run build:browser` bundles this file into
// browser/dist/yjs-browser.js, which the wasm-bindgen tests import.

import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { WebsocketProvider } from 'y-websocket'

export { Y, IndexeddbPersistence, WebsocketProvider }
// A y-websocket "tab" the provider's cross-tab tests run next to a ycord provider.
export * from './y_websocket_tab.mjs'

/**
 * The content of the shared types the tests edit — text `text`, map `map` (keys sorted),
 * array `array` — as one JSON string both sides can compare.
 * @param {Y.Doc} doc
 */
export const canonicalContent = doc => JSON.stringify({
  text: doc.getText('text').toString(),
  map: Object.fromEntries(Object.entries(doc.getMap('map').toJSON()).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)),
  array: doc.getArray('array').toJSON()
})

/**
 * `canonicalContent` of the document a v1 update (e.g. a full state from yrs) describes.
 * @param {Uint8Array} update
 */
export const canonicalContentOfUpdate = update => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return canonicalContent(doc)
}

/**
 * Applies one edit in its own transaction. Ops: ['text', index, string],
 * ['textDelete', index, length], ['map', key, value], ['mapDelete', key],
 * ['array', value] (push), ['arrayDelete', index, length].
 * @param {Y.Doc} doc
 * @param {Array<any>} op
 */
const applyOp = (doc, [kind, a, b]) => doc.transact(() => {
  switch (kind) {
    case 'text': doc.getText('text').insert(a, b); break
    case 'textDelete': doc.getText('text').delete(a, b); break
    case 'map': doc.getMap('map').set(a, b); break
    case 'mapDelete': doc.getMap('map').delete(a); break
    case 'array': doc.getArray('array').push([a]); break
    case 'arrayDelete': doc.getArray('array').delete(a, b); break
    default: throw new Error(`unknown op ${kind}`)
  }
})

/** Resolves once every transaction y-indexeddb has started on `db` has finished. */
const settled = db => new Promise((resolve, reject) => {
  const tx = db.transaction(['updates', 'custom'], 'readonly')
  tx.oncomplete = () => resolve()
  tx.onerror = () => reject(tx.error)
})

/**
 * Opens document `name` with y-indexeddb, applies `ops` (one transaction each, so one row
 * each), waits until they are stored and closes it.
 * @return {Promise<string>} `canonicalContent` of the document afterwards
 */
export const writeWithYIndexeddb = async (name, ops) => {
  const doc = new Y.Doc()
  const persistence = new IndexeddbPersistence(name, doc)
  await persistence.whenSynced
  ops.forEach(op => applyOp(doc, op))
  await settled(persistence.db)
  await persistence.destroy()
  return canonicalContent(doc)
}

/**
 * Loads document `name` with y-indexeddb into a fresh document and closes it.
 * @return {Promise<string>} `canonicalContent` of what it loaded
 */
export const readWithYIndexeddb = async name => {
  const doc = new Y.Doc()
  const persistence = new IndexeddbPersistence(name, doc)
  await persistence.whenSynced
  await settled(persistence.db)
  await persistence.destroy()
  return canonicalContent(doc)
}

/** Sets `custom[key] = value` through y-indexeddb. */
export const setCustomWithYIndexeddb = async (name, key, value) => {
  const persistence = new IndexeddbPersistence(name, new Y.Doc())
  await persistence.whenSynced
  await persistence.set(key, value)
  await persistence.destroy()
}

/** `custom[key]` read through y-indexeddb. */
export const getCustomWithYIndexeddb = async (name, key) => {
  const persistence = new IndexeddbPersistence(name, new Y.Doc())
  await persistence.whenSynced
  const value = await persistence.get(key)
  await persistence.destroy()
  return value
}

// --- restore benchmark -------------------------------------------------------------------

/**
 * Replays the automerge-paper trace (the gzip-compressed JSON file as bytes) into a Yjs
 * document, one transaction per edit, as an editor bound to y-indexeddb would.
 * @param {Uint8Array} gzipped
 * @return {Promise<{updates: Array<Uint8Array>, snapshot: Uint8Array, text: string}>}
 */
export const replayTrace = async gzipped => {
  const json = await new Response(new Blob([gzipped]).stream().pipeThrough(new DecompressionStream('gzip'))).text()
  const trace = JSON.parse(json)
  const doc = new Y.Doc()
  const text = doc.getText('text')
  const updates = []
  doc.on('update', update => updates.push(update))
  for (const { patches } of trace.txns) {
    doc.transact(() => {
      for (const [position, deleted, inserted] of patches) {
        if (deleted > 0) text.delete(position, deleted)
        if (inserted.length > 0) text.insert(position, inserted)
      }
    })
  }
  if (text.toString() !== trace.endContent) throw new Error('the trace replay diverged from endContent')
  return { updates, snapshot: Y.encodeStateAsUpdate(doc), text: text.toString() }
}

/**
 * Creates database `name` in y-indexeddb's layout holding `rows` (v1 updates), in one
 * transaction — the rows y-indexeddb would have written one per edit.
 */
export const writeRows = (name, rows) => new Promise((resolve, reject) => {
  const open = indexedDB.open(name, 1)
  open.onupgradeneeded = () => {
    open.result.createObjectStore('updates', { autoIncrement: true })
    open.result.createObjectStore('custom')
  }
  open.onerror = () => reject(open.error)
  open.onsuccess = () => {
    const db = open.result
    const tx = db.transaction(['updates'], 'readwrite')
    const store = tx.objectStore('updates')
    for (const row of rows) store.add(row)
    tx.oncomplete = () => { db.close(); resolve() }
    tx.onabort = () => { db.close(); reject(tx.error) }
  }
})

/** Deletes database `name`. */
export const deleteDatabase = name => new Promise((resolve, reject) => {
  const request = indexedDB.deleteDatabase(name)
  request.onsuccess = () => resolve()
  request.onerror = () => reject(request.error)
  request.onblocked = () => reject(new Error(`deleting ${name} is blocked`))
})

/**
 * Restores document `name` with y-indexeddb, timed from construction to `whenSynced`.
 * @return {Promise<{ms: number, length: number}>}
 */
export const restoreWithYIndexeddb = async name => {
  const start = performance.now()
  const doc = new Y.Doc()
  const persistence = new IndexeddbPersistence(name, doc)
  await persistence.whenSynced
  const ms = performance.now() - start
  const length = doc.getText('text').length
  await settled(persistence.db)
  await persistence.destroy()
  return { ms, length }
}

/**
 * Reads every row of `updates` in database `name` with one `getAll` and nothing else: the
 * floor under any restore of that database.
 * @return {Promise<{ms: number, rows: number}>}
 */
export const timeGetAll = name => new Promise((resolve, reject) => {
  const start = performance.now()
  const open = indexedDB.open(name, 1)
  open.onerror = () => reject(open.error)
  open.onsuccess = () => {
    const db = open.result
    const request = db.transaction(['updates'], 'readonly').objectStore('updates').getAll()
    request.onsuccess = () => { db.close(); resolve({ ms: performance.now() - start, rows: request.result.length }) }
    request.onerror = () => { db.close(); reject(request.error) }
  }
})
