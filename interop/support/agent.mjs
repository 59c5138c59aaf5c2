// The Rust agent (YCORD_AGENT_BIN): the native ycord provider driven over JSON lines.
// Protocol: interop/agent/src/command.rs (commands) and output.rs (replies and events).

import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import { logTail, spawnLogged, stopProcess } from './processes.mjs'
import { deadline } from './wait.mjs'

const REPLY_TIMEOUT_MS = 10000
const START_TIMEOUT_MS = 10000

/** Path of the agent binary; throws a message that says how to get it. */
export function agentBinary () {
  const bin = process.env.YCORD_AGENT_BIN
  if (!bin) {
    throw new Error('YCORD_AGENT_BIN is not set: run the interop suite with `cargo xtask test` ' +
      '(or set it to target/debug/ycord-interop-agent after `cargo build`)')
  }
  if (!fs.existsSync(bin)) {
    throw new Error(`YCORD_AGENT_BIN=${bin} does not exist: run \`cargo xtask test\``)
  }
  return bin
}

/**
 * One agent process. Emits 'update' (remote change applied), 'awareness' (states changed),
 * 'status' (string) and 'synced' (boolean), as the agent reports them, and 'stateless'
 * (`{ payload }`, Hocuspocus) for every stateless message the provider receives.
 */
export class Agent extends EventEmitter {
  constructor (name, processHandle) {
    super()
    this.kind = 'agent'
    this.name = name
    this.process = processHandle
    this.clientId = null
    this.status = null
    this.isSynced = false
    this.nextId = 1
    /** @type {Map<number, {resolve: Function, reject: Function, cmd: string}>} */
    this.pending = new Map()
    this.exit = null
    this.closed = false

    processHandle.lines.on('line', line => this.receive(line))
    processHandle.exited.then(({ code, signal }) => {
      this.exit = { code, signal }
      const error = this.failure(`exited (code ${code}, signal ${signal})`)
      for (const { reject } of this.pending.values()) reject(error)
      this.pending.clear()
      this.emit('exit', this.exit)
    }, () => {})
    // Writing to a killed agent fails asynchronously; the pending request reports it.
    processHandle.child.stdin.on('error', () => {})
  }

  failure (message) {
    return new Error(`agent ${this.name}: ${message}; log ${this.process.log}:\n${logTail(this.process.log)}`)
  }

  receive (line) {
    let message
    try {
      message = JSON.parse(line)
    } catch {
      // Everything on stdout must be protocol; anything else is an agent bug.
      const error = this.failure(`printed a line that is not JSON: ${line}`)
      for (const { reject } of this.pending.values()) reject(error)
      this.pending.clear()
      return
    }
    if (message.event !== undefined) {
      switch (message.event) {
        case 'ready': this.clientId = message.client_id; break
        case 'status': this.status = message.status; break
        case 'synced': this.isSynced = message.synced; break
      }
      this.emit(message.event, message)
      return
    }
    const waiting = this.pending.get(message.id)
    if (!waiting) return
    this.pending.delete(message.id)
    if (message.reply === 'error') {
      waiting.reject(this.failure(`${waiting.cmd} failed: ${message.message}`))
    } else {
      waiting.resolve(message)
    }
  }

  /** Sends `{cmd, ...fields}` and resolves with the reply. */
  request (cmd, fields = {}, timeoutMs = REPLY_TIMEOUT_MS) {
    if (this.exit) return Promise.reject(this.failure(`cannot send ${cmd}: already exited`))
    const id = this.nextId++
    const reply = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, cmd }))
    this.process.child.stdin.write(JSON.stringify({ id, cmd, ...fields }) + '\n')
    return deadline(reply, timeoutMs, `agent ${this.name} to answer ${cmd}`)
      .finally(() => this.pending.delete(id))
  }

  async synced (timeoutMs = REPLY_TIMEOUT_MS) { await this.request('wait_synced', {}, timeoutMs) }

  async snapshot () {
    const { text, map, array, state_vector: stateVector } = await this.request('dump')
    return { text, map, array, stateVector }
  }

  onRemoteUpdate (listener) {
    this.on('update', listener)
    return () => this.off('update', listener)
  }

  async awarenessStates () { return (await this.request('awareness')).states }

  onAwarenessChange (listener) {
    this.on('awareness', listener)
    return () => this.off('awareness', listener)
  }

  async setAwareness (state) { await this.request('set_awareness', { state }) }
  async clearAwareness () { await this.request('clear_awareness') }
  async insert (index, text) { await this.request('insert', { index, text }) }
  async mapSet (key, value) { await this.request('map_set', { key, value }) }
  async arrayPush (value) { await this.request('array_push', { value }) }

  /**
   * Hocuspocus: sends a stateless message. Rejects with the provider's error when it refuses
   * (the y-websocket dialect, or no socket open).
   */
  async sendStateless (payload) { await this.request('send_stateless', { payload }) }

  /** Goes offline on purpose (edits stay local) until `connect()`. */
  async disconnect () { await this.request('disconnect') }

  /** Comes back online; the provider resyncs. */
  async connect () { await this.request('connect') }

  /** Closes the connection cleanly (the process keeps running, disconnected). */
  async leave () { await this.request('disconnect') }

  /** SIGKILL: the socket is closed by the kernel, nothing is sent. */
  async crash () {
    this.process.child.kill('SIGKILL')
    await this.process.exited
  }

  /** Ends the process: `exit` if it still answers, SIGKILL otherwise. Safe to call twice. */
  async close () {
    if (this.closed) return
    this.closed = true
    if (this.exit) return
    try {
      await this.request('exit', {}, 3000)
      await stopProcess(this.process, { signal: 'SIGTERM', ms: 3000, what: `agent ${this.name}` })
    } catch {
      this.process.child.kill('SIGKILL')
      await this.process.exited
    }
  }
}

/** Starts an agent on `url` / `room` and waits for it to be ready and synced. */
export function startAgent (url, room, name) {
  return startAgentWith(url, room, name)
}

/**
 * Starts an agent with extra flags and waits for it to be ready, then synced unless
 * `synced: false`. `dialect` is `'y-websocket'` (default) or `'hocuspocus'` (then `room` is
 * the Hocuspocus document name); `token` is sent as the agent's `--token`; `extraRooms`
 * (Hocuspocus only) are more documents the agent syncs over the same socket.
 */
export async function startAgentWith (url, room, name, { dialect = null, token = null, synced = true, extraRooms = [] } = {}) {
  const args = ['--url', url, '--room', room]
  // Hocuspocus only: more documents over the same socket, picked by a command's `room`.
  for (const extra of extraRooms) args.push('--room', extra)
  if (dialect) args.push('--dialect', dialect)
  if (token !== null) args.push('--token', token)
  const processHandle = spawnLogged(`agent-${name}`, agentBinary(), args, {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info', NO_COLOR: '1' }
  })
  const agent = new Agent(name, processHandle)
  try {
    await deadline(
      new Promise((resolve, reject) => {
        agent.once('ready', resolve)
        agent.once('exit', ({ code, signal }) =>
          reject(agent.failure(`exited before it was ready (code ${code}, signal ${signal})`)))
      }),
      START_TIMEOUT_MS,
      `agent ${name} to start`
    )
    if (synced) await agent.synced()
  } catch (err) {
    await agent.close()
    throw err
  }
  return agent
}

/**
 * Resolves with the first `event` message of `agent` for which `accept(message)` is true.
 * Listening starts at once: call it before the action that causes the event.
 */
export function agentEvent (agent, event, accept = () => true, timeoutMs = REPLY_TIMEOUT_MS) {
  let listener
  const seen = new Promise(resolve => {
    listener = message => { if (accept(message)) resolve(message) }
    agent.on(event, listener)
  })
  return deadline(seen, timeoutMs, `agent ${agent.name} to report ${event}`)
    .finally(() => agent.off(event, listener))
}
