// Watches real y-websocket clients for the harm a relayed hostile frame does: yjs throwing
// while it applies the frame, and the client's socket being closed.

/** Errors kept with their text; the rest are only counted. */
const KEPT_ERRORS = 10
/** Errors that still reach the log. */
const LOGGED_ERRORS = 3

/**
 * Starts watching `clients` (JsClient): returns `{ errorCount, errors, closes, stop() }`.
 *
 * - y-protocols catches what Y.applyUpdate throws and only logs `Caught error while handling
 *   a Yjs update` with console.error: console.error is wrapped, and every call made while one
 *   of the clients handles a message counts as that client's error (any other call counts too).
 * - A frame that does not even parse throws out of y-websocket's message handler; in a browser
 *   that is a logged error, in Node an uncaught exception. The handlers of each client are
 *   wrapped so it is counted as that client's error and the client goes on, as in a browser.
 * - `closes` lists `{ client, code }` for every close of a client's socket.
 *
 * `stop()` restores console.error and the handlers.
 */
export function watchHonestClients (clients) {
  const watch = { errorCount: 0, errors: [], closes: [] }
  let handling = null
  const record = (client, message) => {
    watch.errorCount++
    if (watch.errors.length < KEPT_ERRORS) watch.errors.push({ client, message })
  }

  const consoleError = console.error
  console.error = (...args) => {
    record(handling ?? '(not in a client)', args.map(describe).join(' '))
    // The first few still reach the log, so a failing run shows them where they happened.
    if (watch.errorCount <= LOGGED_ERRORS) consoleError(...args)
  }

  const restores = []
  for (const client of clients) {
    const handlers = client.provider.messageHandlers
    handlers.forEach((handler, type) => {
      if (typeof handler !== 'function') return
      handlers[type] = (...args) => {
        handling = client.name
        try {
          handler(...args)
        } catch (err) {
          record(client.name, `message handler ${type} threw: ${describe(err)}`)
        } finally {
          handling = null
        }
      }
      restores.push(() => { handlers[type] = handler })
    })
    const onClose = event => watch.closes.push({ client: client.name, code: event?.code })
    client.provider.on('connection-close', onClose)
    restores.push(() => client.provider.off('connection-close', onClose))
  }

  watch.stop = () => {
    console.error = consoleError
    for (const restore of restores) restore()
  }
  return watch
}

/**
 * Names of `clients` whose doc holds structs or deletions yjs could not integrate: yjs keeps
 * them pending until their dependencies arrive, which for honest clients fed by an honest
 * server never takes past convergence.
 */
export function clientsWithPendingStructs (clients) {
  return clients
    .filter(client => client.doc.store.pendingStructs !== null || client.doc.store.pendingDs !== null)
    .map(client => client.name)
}

function describe (value) {
  if (value instanceof Error) return `${value.name}: ${value.message}`
  return typeof value === 'string' ? value : String(value)
}
