// Child processes of the tests: logs in interop/artifacts/, line-wise stdout, bounded waits.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

export const interopDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const artifactsDir = path.join(interopDir, 'artifacts')

let logCounter = 0

/**
 * A fresh log file for a child's stderr, named after the running test file:
 * `interop/artifacts/<test file>--<role>-<n>.log`. `cargo xtask test` prints their ends when
 * the suite fails.
 */
export function openLog (role) {
  fs.mkdirSync(artifactsDir, { recursive: true })
  const testFile = path.basename(process.argv[1] ?? 'interop', '.test.mjs')
  logCounter += 1
  const file = path.join(artifactsDir, `${testFile}--${role}-${process.pid}-${logCounter}.log`)
  return { file, fd: fs.openSync(file, 'a') }
}

/** The last `lines` lines of a log, for error messages. */
export function logTail (file, lines = 20) {
  try {
    const all = fs.readFileSync(file, 'utf8').trimEnd().split('\n')
    return all.slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/**
 * Spawns `command` with stdin/stdout piped and stderr in a log file.
 * Returns the child, its log path, an `exited` promise ({code, signal}) and `lines`, an async
 * iterator over stdout lines.
 */
export function spawnLogged (role, command, args, options = {}) {
  const log = openLog(role)
  const child = spawn(command, args, {
    ...options,
    stdio: ['pipe', 'pipe', log.fd]
  })
  fs.closeSync(log.fd)
  const exited = new Promise((resolve, reject) => {
    child.once('error', err => reject(new Error(`cannot start ${command}: ${err.message}`)))
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  // Keep unhandled-rejection noise away; callers await `exited` when they care.
  exited.catch(() => {})
  const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity })
  return { child, log: log.file, exited, lines }
}

/**
 * Sends `signal` and waits up to `ms` for the exit; kills with SIGKILL and throws if the
 * process does not exit in time. Returns {code, signal}.
 */
export async function stopProcess ({ child, exited, log }, { signal = 'SIGTERM', ms = 5000, what }) {
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill(signal)
  let timer
  const timedOut = new Promise(resolve => { timer = setTimeout(() => resolve(null), ms) })
  const result = await Promise.race([exited, timedOut])
  clearTimeout(timer)
  if (result === null) {
    child.kill('SIGKILL')
    await exited
    throw new Error(`${what} did not exit within ${ms} ms of ${signal}; log ${log}:\n${logTail(log)}`)
  }
  return result
}
