// A JavaScript "tab" for ycord's browser tests: a plain yjs document synced by the real
// y-websocket provider, with small functions the Rust tests call through wasm-bindgen.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

/** Opens a y-websocket provider for `room` of `serverUrl` on a fresh document. */
export function openYWebsocketTab (serverUrl, room) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(serverUrl, room, doc)
  return { doc, provider }
}

/** Appends `content` to the text `name` in one transaction. */
export function yTabAppend (tab, name, content) {
  const text = tab.doc.getText(name)
  text.insert(text.length, content)
}

/** The text `name`. */
export function yTabText (tab, name) {
  return tab.doc.getText(name).toString()
}

/** The tab's Yjs client id. */
export function yTabClientId (tab) {
  return tab.doc.clientID
}

/** Sets the tab's awareness state from a JSON string. */
export function yTabSetPresence (tab, json) {
  tab.provider.awareness.setLocalState(JSON.parse(json))
}

/** The client ids whose awareness state the tab knows, as JSON (`[id, …]`). */
export function yTabPresenceIds (tab) {
  return JSON.stringify([...tab.provider.awareness.getStates().keys()])
}

/**
 * Resolves once `check()` is true, re-checking after every document or awareness change;
 * rejects after `timeoutMs`.
 */
export function yTabWaitFor (tab, what, check, timeoutMs) {
  return new Promise((resolve, reject) => {
    const done = () => {
      tab.doc.off('update', recheck)
      tab.provider.awareness.off('change', recheck)
      clearTimeout(timer)
    }
    const recheck = () => {
      if (check()) {
        done()
        resolve()
      }
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`timed out waiting for ${what}`))
    }, timeoutMs)
    tab.doc.on('update', recheck)
    tab.provider.awareness.on('change', recheck)
    recheck()
  })
}

/** Resolves once the text `name` equals `expected`. */
export function yTabWaitForText (tab, name, expected, timeoutMs) {
  return yTabWaitFor(tab, `text ${name} to be ${JSON.stringify(expected)}`,
    () => yTabText(tab, name) === expected, timeoutMs)
}

/** Resolves once the tab knows an awareness state for `clientId`. */
export function yTabWaitForPresence (tab, clientId, timeoutMs) {
  return yTabWaitFor(tab, `presence of ${clientId}`,
    () => tab.provider.awareness.getStates().has(clientId), timeoutMs)
}

/** Disconnects and destroys the provider. */
export function yTabClose (tab) {
  tab.provider.destroy()
  tab.doc.destroy()
}

/** Takes the tab offline on purpose (y-websocket's `disconnect()`), as a lost network does. */
export function yTabDisconnect (tab) {
  tab.provider.disconnect()
}

/** Brings the tab back online. */
export function yTabConnect (tab) {
  tab.provider.connect()
}

/** Resolves once the tab knows no awareness state for `clientId`. */
export function yTabWaitForAbsence (tab, clientId, timeoutMs) {
  return yTabWaitFor(tab, `no presence of ${clientId}`,
    () => !tab.provider.awareness.getStates().has(clientId), timeoutMs)
}

/** Resolves once the tab's awareness state for `clientId`, as JSON, equals `json`. */
export function yTabWaitForState (tab, clientId, json, timeoutMs) {
  return yTabWaitFor(tab, `presence of ${clientId} to be ${json}`,
    () => JSON.stringify(tab.provider.awareness.getStates().get(clientId)) === json, timeoutMs)
}
