// A WebSocket server running as a child process that announces its address on stdout.

import { logTail, spawnLogged, stopProcess } from './processes.mjs'

const STARTUP_TIMEOUT_MS = 15000

/**
 * Spawns a server and waits for the stdout line matching `listening` (its first group is the
 * ws:// url). `env` adds to (or, with `undefined`, removes from) the inherited environment.
 * `cwd` is the child's working directory (default: ours).
 * Returns `{ url, startupLines, log, stop(), kill() }`; `startupLines` are the stdout lines up to
 * the listening line, which is the last; `stop()` sends SIGTERM, `kill()` SIGKILL; both wait
 * for the exit and return `{code, signal}`.
 */
export async function startServerProcess ({ role, command, args, listening, env, cwd }) {
  const childEnv = { ...process.env, ...env }
  for (const [key, value] of Object.entries(childEnv)) {
    if (value === undefined) delete childEnv[key]
  }
  const server = spawnLogged(role, command, args, { env: childEnv, ...(cwd ? { cwd } : {}) })
  server.child.stdin.end()
  const startupLines = []
  const url = await new Promise((resolve, reject) => {
    const fail = message => {
      server.child.kill('SIGKILL')
      reject(new Error(`${role}: ${message}; log ${server.log}:\n${logTail(server.log)}`))
    }
    const timer = setTimeout(
      () => fail(`no "listening" line on stdout within ${STARTUP_TIMEOUT_MS} ms`),
      STARTUP_TIMEOUT_MS
    )
    const onLine = line => {
      startupLines.push(line)
      const match = listening.exec(line)
      if (match) {
        server.lines.off('line', onLine)
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    server.lines.on('line', onLine)
    server.exited.then(({ code, signal }) => {
      clearTimeout(timer)
      fail(`exited before listening (code ${code}, signal ${signal})`)
    }, err => {
      clearTimeout(timer)
      fail(err.message)
    })
  })
  return {
    url,
    startupLines,
    log: server.log,
    /** Whether the process is still running. */
    get running () { return server.child.exitCode === null && server.child.signalCode === null },
    stop: () => stopProcess(server, { what: role }),
    /** SIGKILL (no cleanup of any kind) and wait for the exit; returns {code, signal}. */
    kill: async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL')
      }
      return server.exited
    }
  }
}
