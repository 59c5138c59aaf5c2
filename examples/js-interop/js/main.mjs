// The JavaScript client of the page: an unmodified Yjs app (yjs + y-websocket from npm) on the
// same room as the ycord client beside it.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const params = new URLSearchParams(location.search)
const room = params.get('room') || 'interop'
const relay = params.get('relay') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`

// A server started with --dev-token-endpoint (as `cargo xtask demo` does) hands out tokens to
// anyone who asks, for development only; y-websocket sends one as the `token` query parameter.
// An open server answers 404, and the client connects without one. The token names the room
// as the socket URL's path spells it (`a b` → `a%20b`), which is what the server checks.
const devToken = async () => {
  try {
    const addressed = new URL(`ws://relay/${room}`).pathname.slice(1)
    const response = await fetch(`/dev/token?room=${encodeURIComponent(addressed)}&access=rw`)
    return response.ok ? (await response.text()).trim() : null
  } catch {
    return null
  }
}
// The page's server's tokens are good for it alone: another relay (`?relay=`) gets none.
const token = params.get('relay') ? null : await devToken()

const doc = new Y.Doc()
const text = doc.getText('body')
// disableBc: this client must reach the ycord client through the server, not through the
// BroadcastChannel both would otherwise share on this page.
const provider = new WebsocketProvider(relay, room, doc, {
  disableBc: true,
  params: token ? { token } : {}
})

const section = document.getElementById('js-client')
const textarea = section.querySelector('textarea')
const status = section.querySelector('.status')
const showStatus = () => {
  const label = provider.wsconnected ? (provider.synced ? 'synced' : 'connected') : 'connecting'
  status.dataset.status = label
  status.textContent = label
}
provider.on('status', showStatus)
provider.on('sync', showStatus)

// Local typing becomes the smallest delete + insert that turns the old value into the new one.
const LOCAL = 'textarea'
textarea.addEventListener('input', () => {
  const before = text.toString()
  const after = textarea.value
  let start = 0
  while (start < before.length && start < after.length && before[start] === after[start]) start++
  let end = 0
  while (end < before.length - start && end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]) end++
  doc.transact(() => {
    text.delete(start, before.length - start - end)
    text.insert(start, after.slice(start, after.length - end))
  }, LOCAL)
})

// Remote changes replace the value; the selection is moved through the change so it stays on
// the same characters.
text.observe(event => {
  if (event.transaction.origin === LOCAL) return
  const move = offset => {
    let index = 0
    let moved = offset
    for (const op of event.delta) {
      if (index > offset) break
      if (op.retain) index += op.retain
      else if (op.insert) { moved += op.insert.length; index += op.insert.length }
      else if (op.delete) { moved -= Math.min(op.delete, Math.max(0, offset - index)) }
    }
    return moved
  }
  const { selectionStart, selectionEnd } = textarea
  textarea.value = text.toString()
  textarea.setSelectionRange(move(selectionStart), move(selectionEnd))
})

// For people poking at the page from the console, and for the end-to-end tests.
window.jsClient = { doc, text, provider }
