// A throwaway redis-server (from PATH) for one test: loopback, a free port, no persistence, so
// a restart comes back empty, as a Redis without persistence does after a crash.

import { execFile } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { spawnLogged, stopProcess, logTail } from './processes.mjs'
import { tempDir } from './temp_dir.mjs'
import { deadline } from './wait.mjs'

const SERVER = 'redis-server'
const CLI = 'redis-cli'
const STARTUP_TIMEOUT_MS = 15000

/**
 * A port of 127.0.0.1 that nothing listens on right now: redis-server cannot pick one itself
 * (`--port 0` turns TCP off).
 */
export async function freePort () {
  const probe = net.createServer()
  await new Promise((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', resolve)
  })
  const { port } = probe.address()
  await new Promise(resolve => probe.close(resolve))
  return port
}

/**
 * Starts a redis-server owned by `own` (see resources.mjs): killed after the test. Returns
 * `{ port, url, command(...args), kill(), restart() }`; `command` runs `redis-cli` against it and
 * resolves with its trimmed output, `restart` starts an empty server on the same port.
 */
export async function startRedis (own) {
  const dir = tempDir(own, 'redis')
  const port = await freePort()
  let current = await spawnRedis(port, dir)
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running () { return current.child.exitCode === null && current.child.signalCode === null },
    command: (...args) => redisCli(port, args),
    /** SIGKILL and wait for the exit. */
    kill: async () => {
      if (redis.running) current.child.kill('SIGKILL')
      await current.exited
    },
    /** Kills the server if it still runs and starts a new, empty one on the same port. */
    restart: async () => {
      await redis.kill()
      current = await spawnRedis(port, dir)
    }
  }
  return own(redis, () => stopProcess(current, { signal: 'SIGKILL', what: SERVER }))
}

async function spawnRedis (port, dir) {
  const server = spawnLogged('redis', SERVER, [
    '--bind', '127.0.0.1',
    '--port', String(port),
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    // The log goes to stdout, which is read for the ready line and copied to the log file.
    '--logfile', ''
  ])
  server.child.stdin.end()
  const ready = new Promise((resolve, reject) => {
    server.lines.on('line', line => {
      fs.appendFileSync(server.log, line + '\n')
      if (/Ready to accept connections/.test(line)) resolve()
    })
    server.exited.then(({ code, signal }) => reject(new Error(
      `${SERVER} on port ${port} exited at start (code ${code}, signal ${signal}); log ${server.log}:\n${logTail(server.log)}`
    )), reject)
  })
  try {
    await deadline(ready, STARTUP_TIMEOUT_MS, `${SERVER} on port ${port} to accept connections`)
  } catch (err) {
    server.child.kill('SIGKILL')
    if (err.message.includes('ENOENT')) {
      throw new Error(`${SERVER} is not on PATH (Debian: apt-get install redis-server; ` +
        '`cargo xtask test` installs it)')
    }
    throw err
  }
  return server
}

function redisCli (port, args) {
  return new Promise((resolve, reject) => {
    execFile(CLI, ['-h', '127.0.0.1', '-p', String(port), ...args.map(String)], { timeout: 10000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${CLI} -p ${port} ${args.join(' ')} failed: ${err.message}\n${stderr}`))
        else resolve(stdout.trim())
      })
  })
}
