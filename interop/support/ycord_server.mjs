// The real ycord server binary (YCORD_BIN), on an ephemeral port of 127.0.0.1.

import fs from 'node:fs'
import { startServerProcess } from './server_process.mjs'

/** Path of the binary under test; throws a message that says how to get it. */
export function ycordBinary () {
  const bin = process.env.YCORD_BIN
  if (!bin) {
    throw new Error('YCORD_BIN is not set: run the interop suite with `cargo xtask test` ' +
      '(or set YCORD_BIN to target/debug/ycord after `cargo build`)')
  }
  if (!fs.existsSync(bin)) {
    throw new Error(`YCORD_BIN=${bin} does not exist: run \`cargo xtask test\``)
  }
  return bin
}

/**
 * Starts `ycord --host 127.0.0.1 --port 0` and reads its `ycord listening on ws://…` line.
 * @returns {Promise<{url: string, log: string, running: boolean, stop: () => Promise<{code: number|null, signal: string|null}>}>}
 */
export function startYcord (extraArgs = []) {
  return startServerProcess({
    role: 'ycord',
    command: ycordBinary(),
    args: ['--host', '127.0.0.1', '--port', '0', ...extraArgs],
    listening: /^ycord listening on (ws:\/\/\S+)$/,
    env: { RUST_LOG: process.env.RUST_LOG ?? 'info', NO_COLOR: '1' }
  })
}
