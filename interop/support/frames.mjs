// y-websocket frames at the byte level, for tests that speak to the server without yjs in the
// way: `varUint(type) · payload`, sync payload `varUint(sub) · varUint8Array(data)`.

export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
export const MESSAGE_AUTH = 2
export const MESSAGE_QUERY_AWARENESS = 3
export const SYNC_STEP1 = 0
export const SYNC_STEP2 = 1
export const SYNC_UPDATE = 2

/** lib0 `varUint`: 7 bits per byte, least significant first, high bit = more follows. */
export function varUint (value) {
  const bytes = []
  while (value > 0x7f) {
    bytes.push(0x80 | (value % 0x80))
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return bytes
}

/** `[0, sub, varUint8Array(data)]`: a sync message in a frame of its own. */
export function syncFrame (sub, data) {
  const frame = new Uint8Array(2 + varUint(data.length).length + data.length)
  const head = [MESSAGE_SYNC, sub, ...varUint(data.length)]
  frame.set(head, 0)
  frame.set(data, head.length)
  return frame
}

/** Thrown when a frame ends inside a message or names an unknown type. */
class FrameError extends Error {}

class Reader {
  constructor (bytes) {
    this.bytes = bytes
    this.pos = 0
  }

  get isDone () { return this.pos >= this.bytes.length }

  varUint () {
    let value = 0
    let scale = 1
    // 8 bytes hold 56 bits, past what a JS number keeps exactly: more is not a varUint we send.
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.bytes.length) throw new FrameError('ends inside a varUint')
      const byte = this.bytes[this.pos++]
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 0x80
    }
    throw new FrameError('varUint longer than 8 bytes')
  }

  varBytes () {
    const length = this.varUint()
    if (length > this.bytes.length - this.pos) throw new FrameError('ends inside a byte array')
    const bytes = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return bytes
  }
}

/**
 * The messages of a frame, framed as the server reads them (several may follow each other),
 * without judging their payloads: `{ messages: [{ type, sub?, data? }] }`, or `{ error }` when
 * the frame ends inside a message or names a message type the server does not know (the
 * server refuses such a frame whole, before acting on any message in it).
 */
export function parseFrame (frame) {
  const reader = new Reader(frame)
  const messages = []
  try {
    if (reader.isDone) throw new FrameError('empty frame')
    while (!reader.isDone) {
      const type = reader.varUint()
      switch (type) {
        case MESSAGE_SYNC: {
          const sub = reader.varUint()
          if (sub > SYNC_UPDATE) throw new FrameError(`unknown sync type ${sub}`)
          messages.push({ type, sub, data: reader.varBytes() })
          break
        }
        case MESSAGE_AWARENESS:
          messages.push({ type, data: reader.varBytes() })
          break
        case MESSAGE_AUTH: {
          const sub = reader.varUint()
          if (sub !== 0) throw new FrameError(`unknown auth type ${sub}`)
          messages.push({ type, sub, data: reader.varBytes() })
          break
        }
        case MESSAGE_QUERY_AWARENESS:
          messages.push({ type })
          break
        default:
          throw new FrameError(`unknown message type ${type}`)
      }
    }
  } catch (err) {
    if (err instanceof FrameError) return { error: err.message }
    throw err
  }
  return { messages }
}

/** `{ type, sub }` of a frame's first message, enough to tell what the server sent. */
export function frameKind (frame) {
  if (frame.length < 2 || frame[0] !== MESSAGE_SYNC) return { type: frame[0] }
  return { type: MESSAGE_SYNC, sub: frame[1] }
}

/** The update inside a `[0, 1 | 2, varUint8Array(update)]` frame, or null. */
export function updateOf (frame) {
  const parsed = parseFrame(frame)
  if (parsed.error || parsed.messages.length !== 1) return null
  const [message] = parsed.messages
  if (message.type !== MESSAGE_SYNC || message.sub === SYNC_STEP1) return null
  return message.data
}
