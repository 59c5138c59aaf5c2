// A plain WebSocket in a room, with no yjs behind it: it sends whatever bytes a test makes and
// learns whether the server took them or closed the socket.

import WebSocket from 'ws'
import { MESSAGE_SYNC, SYNC_STEP1, SYNC_STEP2, frameKind, parseFrame } from './frames.mjs'
import { deadline } from './wait.mjs'

const OPEN_TIMEOUT_MS = 10000
const VERDICT_TIMEOUT_MS = 10000

export class RawSocket {
  /**
   * Use `openRawSocket`. `url` is ws://host:port, `room` the room name.
   */
  constructor (url, room, name) {
    this.name = name
    this.ws = new WebSocket(`${url}/${room}`)
    /**
     * The server's step1 (`[0, 0, state vector]`), sent unprompted on connect (after updates
     * it relays to everyone meanwhile, as it has applied them first).
     */
    this.serverStep1 = null
    /** Step2 frames received: the server's answers to step1s, in order. */
    this.step2Count = 0
    /** Step2 answers owed for the step1s sent so far. */
    this.step2Expected = 0
    /** `{ code, reason }` once closed. */
    this.closeEvent = null
    this.frameListeners = new Set()
    this.changeListeners = new Set()
    this.closed = new Promise(resolve => {
      this.ws.on('close', (code, reason) => {
        this.closeEvent = { code, reason: reason.toString() }
        this.notify()
        resolve(this.closeEvent)
      })
    })
    // Writes racing the server's close fail with EPIPE/ECONNRESET; the close event says why.
    this.ws.on('error', () => {})
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) return
      const frame = new Uint8Array(data)
      const kind = frameKind(frame)
      if (this.serverStep1 === null && kind.type === MESSAGE_SYNC && kind.sub === SYNC_STEP1) {
        this.serverStep1 = frame
      }
      if (kind.type === MESSAGE_SYNC && kind.sub === SYNC_STEP2) this.step2Count++
      for (const listener of this.frameListeners) listener(frame)
      this.notify()
    })
  }

  get isOpen () { return this.ws.readyState === WebSocket.OPEN }

  notify () { for (const listener of this.changeListeners) listener() }

  /** Calls `listener(frame)` for every binary frame from the server; returns an unsubscribe. */
  onFrame (listener) {
    this.frameListeners.add(listener)
    return () => this.frameListeners.delete(listener)
  }

  /** Sends bytes as one binary frame; a send racing a close is dropped (the close tells). */
  send (frame) {
    this.ws.send(frame, { binary: true }, () => {})
  }

  /**
   * Sends `frame`, then the server's own step1 back to it. The server handles a connection's
   * frames in order, so the step2 answering that step1 proves `frame` was taken; a close
   * first means it was refused. Resolves `{ accepted: true }` or `{ accepted: false, code,
   * reason }`; rejects if neither happens within `timeoutMs` (a hung server).
   */
  async judge (frame, timeoutMs = VERDICT_TIMEOUT_MS) {
    if (this.closeEvent) throw new Error(`${this.name}: judge() on a closed socket`)
    // A step1 inside `frame` itself is answered too, before ours: count its answer.
    const parsed = parseFrame(frame)
    const step1s = parsed.error
      ? 0
      : parsed.messages.filter(m => m.type === MESSAGE_SYNC && m.sub === SYNC_STEP1).length
    this.step2Expected += step1s + 1
    this.send(frame)
    this.send(this.serverStep1)
    let check
    return deadline(new Promise(resolve => {
      check = () => {
        if (this.closeEvent) resolve({ accepted: false, ...this.closeEvent })
        else if (this.step2Count >= this.step2Expected) resolve({ accepted: true })
      }
      this.changeListeners.add(check)
      check()
    }), timeoutMs, `${this.name}: the server to answer or close after a ${frame.length}-byte frame`)
      .finally(() => this.changeListeners.delete(check))
  }

  /** Cuts the connection (no close handshake); safe to call twice. */
  close () {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate()
  }
}

/**
 * Opens a raw socket to `url` / `room` and waits for the server's step1, which `judge` sends
 * back as its probe.
 */
export async function openRawSocket (url, room, name, timeoutMs = OPEN_TIMEOUT_MS) {
  const socket = new RawSocket(url, room, name)
  let check
  try {
    await deadline(new Promise((resolve, reject) => {
      check = () => {
        if (socket.serverStep1 !== null) {
          resolve()
        } else if (socket.closeEvent) {
          reject(new Error(`${name}: closed before the server's step1 (code ${socket.closeEvent.code})`))
        }
      }
      socket.changeListeners.add(check)
    }), timeoutMs, `${name} to open and receive the server's step1`)
  } catch (err) {
    socket.close()
    throw err
  } finally {
    socket.changeListeners.delete(check)
  }
  return socket
}
