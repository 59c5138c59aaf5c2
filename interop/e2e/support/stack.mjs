// What an end-to-end test runs against: the examples' site served by one ycord
// (`--static-dir`), and the relay the pages sync through, a second ycord with its own data
// directory that a test can stop and start again on the same port (the site stays up, so pages
// still load and reload while their server is gone).

import fs from 'node:fs'
import { startYcord } from '../../support/ycord_server.mjs'
import { tempDir } from '../../support/temp_dir.mjs'

/** The built examples (`cargo xtask test` builds them as `cargo xtask demo` does). */
export function siteDir () {
  const dir = process.env.YCORD_SITE_DIR
  if (!dir) {
    throw new Error('YCORD_SITE_DIR is not set: run the end-to-end suite with `cargo xtask test --suite e2e`')
  }
  if (!fs.existsSync(`${dir}/editor/index.html`)) {
    throw new Error(`YCORD_SITE_DIR=${dir} holds no built editor: run \`cargo xtask test --suite e2e\``)
  }
  return dir
}

/**
 * Starts the site server and a relay. Returns `{ site, relay, url(example, params),
 * stopRelay(), startRelay() }`; everything is stopped when the test ends.
 */
export async function startStack (own, name) {
  const site = await startYcord(['--static-dir', siteDir()])
  own(site, () => site.stop())
  const data = tempDir(own, `e2e-${name}`)
  const stack = {
    site,
    relay: null,
    /** The page of `example` with `params` (room, name…), syncing through the relay. */
    url (example, params) {
      const query = new URLSearchParams({ ...params, relay: stack.relayUrl })
      return `${site.httpUrl}/${example}/?${query}`
    },
    async startRelay () {
      // Again on the same port: the pages reconnect to where the relay was.
      const port = stack.relayUrl ? new URL(stack.relayUrl).port : 0
      stack.relay = await startYcord(['--data-dir', data], { port })
      stack.relayUrl = stack.relay.url
    },
    async stopRelay () {
      const exit = await stack.relay.stop()
      stack.relay = null
      return exit
    }
  }
  await stack.startRelay()
  own(stack, async () => { if (stack.relay) await stack.relay.stop() })
  return stack
}

/** A room name no other test uses. */
export function uniqueRoom (prefix) {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
}
