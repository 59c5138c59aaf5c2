// The reference server (@y/websocket-server), as a child process on an ephemeral port.

import path from 'node:path'
import { interopDir } from './processes.mjs'
import { startServerProcess } from './server_process.mjs'

/**
 * Starts `reference_server_main.mjs` and reads its `reference server listening on ws://…` line.
 * @returns {Promise<{url: string, log: string, running: boolean, stop: () => Promise<{code: number|null, signal: string|null}>}>}
 */
export function startReferenceServer () {
  return startServerProcess({
    role: 'reference-server',
    command: process.execPath,
    args: [path.join(interopDir, 'support', 'reference_server_main.mjs')],
    listening: /^reference server listening on (ws:\/\/\S+)$/,
    env: { YPERSISTENCE: undefined }
  })
}
