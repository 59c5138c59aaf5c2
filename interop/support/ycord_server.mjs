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

const STORAGE_FLAGS = ['--data-dir', '--ephemeral', '--database-url']

/**
 * Starts `ycord --host 127.0.0.1 --port 0 …extraArgs` and reads its `ycord listening on ws://…`
 * line. Without a storage flag in `extraArgs` the server gets `--ephemeral`, so tests that do not
 * care about storage leave nothing behind; `{ defaultStorage: true }` starts it with no storage
 * flag at all (its default `./ycord-data`, relative to `cwd`). The storage and cluster variables
 * ycord reads from the environment (YCORD_DATA_DIR, DATABASE_URL, YCORD_REDIS_URL) are never
 * passed on: only flags decide.
 * Returns the server process (see server_process.mjs) plus `httpUrl` (`http://host:port`).
 * @param {string[]} extraArgs
 * `port` asks for a given port (to restart a server where its clients expect it).
 * @param {{ cwd?: string, defaultStorage?: boolean, port?: number | string }} options
 */
export async function startYcord (extraArgs = [], { cwd, defaultStorage = false, port = 0 } = {}) {
  const hasStorageFlag = extraArgs.some(arg => STORAGE_FLAGS.some(flag => arg === flag || arg.startsWith(flag + '=')))
  const storage = hasStorageFlag || defaultStorage ? [] : ['--ephemeral']
  const server = await startServerProcess({
    role: 'ycord',
    command: ycordBinary(),
    args: ['--host', '127.0.0.1', '--port', String(port), ...storage, ...extraArgs],
    listening: /^ycord listening on (ws:\/\/\S+)$/,
    env: {
      RUST_LOG: process.env.RUST_LOG ?? 'info',
      NO_COLOR: '1',
      YCORD_DATA_DIR: undefined,
      DATABASE_URL: undefined,
      YCORD_REDIS_URL: undefined
    },
    cwd
  })
  server.httpUrl = server.url.replace(/^ws:/, 'http:')
  return server
}
