// Damaged copies of real Yjs updates and frames, and what yjs itself makes of them: the raw
// material of the hostile-client tests.

import * as Y from 'yjs'
import { syncFrame, parseFrame, MESSAGE_SYNC, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE } from './frames.mjs'

/**
 * Tokens the tests write look like `[h<digit>-<n>]`; the four bytes `[h<digit>-` find string
 * content inside an encoded update without decoding it (four, so that the bytes of a client id
 * or clock match by chance about once in a billion windows).
 */
const TOKEN_START = /^\[h[0-9]-$/

/** A copy with its own ArrayBuffer: yjs must not read past a mutant into a shared pool. */
function own (bytes) {
  return new Uint8Array(bytes)
}

/** `update` cut to `length` bytes (`length` < its length). */
export function truncated (update, length) {
  return own(update.subarray(0, length))
}

/** `update` followed by `extra`. */
export function withTrailingBytes (update, extra) {
  const out = new Uint8Array(update.length + extra.length)
  out.set(update, 0)
  out.set(extra, update.length)
  return out
}

/**
 * `update` with `h<digit>` of every token replaced by 0xff 0xfe, which is never UTF-8: every
 * length field stays true, only the string content is invalid. Null if it holds no token.
 */
export function withInvalidUtf8 (update) {
  const out = own(update)
  let found = false
  for (let i = 0; i + 3 < out.length; i++) {
    if (TOKEN_START.test(String.fromCharCode(out[i], out[i + 1], out[i + 2], out[i + 3]))) {
      out[i + 1] = 0xff
      out[i + 2] = 0xfe
      found = true
    }
  }
  return found ? out : null
}

/**
 * The update yjs makes for `edit(doc)` on a doc that already has `before(doc)`'s changes,
 * diffed against that earlier state: its structs start past clock 0 of a client a server that
 * never saw `before` does not know, so a server has to keep them pending.
 */
export function pendingUpdate (before, edit) {
  const doc = new Y.Doc()
  before(doc)
  const stateVector = Y.encodeStateVector(doc)
  edit(doc)
  const update = Y.encodeStateAsUpdate(doc, stateVector)
  doc.destroy()
  return update
}

/**
 * What yjs decodes from `update`: `{ structs, ds }`, or null when it throws. A y-websocket
 * client applying the same bytes throws as well (Y.applyUpdate reads them the same way).
 */
export function yjsDecode (update) {
  try {
    return Y.decodeUpdate(own(update))
  } catch {
    return null
  }
}

/**
 * Per client, the `[start, end)` ranges of the structs (skips aside) and of the deletions, as
 * listed (not merged: a range of a mutant must lie inside one of them, which errs towards not
 * sending it).
 */
function rangesOf ({ structs, ds }) {
  const add = (map, client, start, end) => {
    if (!map.has(client)) map.set(client, [])
    map.get(client).push([start, end])
  }
  const structRanges = new Map()
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue
    add(structRanges, struct.id.client, struct.id.clock, struct.id.clock + struct.length)
  }
  const deleteRanges = new Map()
  for (const [client, items] of ds.clients) {
    for (const item of items) add(deleteRanges, client, item.clock, item.clock + item.len)
  }
  return { structRanges, deleteRanges }
}

function covers (ranges, client, start, end) {
  return (ranges.get(client) ?? []).some(([from, to]) => from <= start && end <= to)
}

function within (inner, outer) {
  for (const [client, ranges] of inner) {
    for (const [start, end] of ranges) {
      if (!(end >= start && covers(outer, client, start, end))) return false
    }
  }
  return true
}

/**
 * Whether `mutant`, if a server took it, would change nothing: yjs decodes it to structs whose
 * ids all lie inside `original`'s structs and deletions inside `original`'s deletions, and the
 * server already has `original`. Such a mutant may be a valid update (a bit flip inside a
 * string); anything else that yjs decodes could be a valid edit that deletes or squats on the
 * ids of honest content, which no server can refuse, so the tests do not send it.
 */
export function changesNothingBeyond (mutant, original) {
  const decodedMutant = yjsDecode(mutant)
  const decodedOriginal = yjsDecode(original)
  if (decodedMutant === null || decodedOriginal === null) return false
  const m = rangesOf(decodedMutant)
  const o = rangesOf(decodedOriginal)
  return within(m.structRanges, o.structRanges) && within(m.deleteRanges, o.deleteRanges)
}

const MUST_REFUSE_KINDS = new Set(['truncate', 'append', 'utf8'])

/**
 * Damages `bytes` (an update or a whole frame) in the way named by `kind`, drawing from
 * `prng`; returns the mutant, or null when the kind does not apply (`utf8` without tokens).
 * Kinds: truncate, append, utf8, bitflip, insert-byte, remove-byte, garbage.
 */
export function mutateBytes (bytes, kind, prng) {
  const randomBytes = (min, max) => {
    const out = new Uint8Array(prng.int(min, max))
    for (let i = 0; i < out.length; i++) out[i] = prng.int(0, 255)
    return out
  }
  switch (kind) {
    case 'truncate':
      return bytes.length === 0 ? null : truncated(bytes, prng.int(0, bytes.length - 1))
    case 'append':
      return withTrailingBytes(bytes, randomBytes(1, 8))
    case 'utf8':
      return withInvalidUtf8(bytes)
    case 'bitflip': {
      if (bytes.length === 0) return null
      const out = own(bytes)
      for (let flips = prng.int(1, 4); flips > 0; flips--) {
        out[prng.int(0, out.length - 1)] ^= 1 << prng.int(0, 7)
      }
      return out
    }
    case 'insert-byte': {
      const at = prng.int(0, bytes.length)
      const out = new Uint8Array(bytes.length + 1)
      out.set(bytes.subarray(0, at), 0)
      out[at] = prng.int(0, 255)
      out.set(bytes.subarray(at), at + 1)
      return out
    }
    case 'remove-byte': {
      if (bytes.length === 0) return null
      const at = prng.int(0, bytes.length - 1)
      const out = new Uint8Array(bytes.length - 1)
      out.set(bytes.subarray(0, at), 0)
      out.set(bytes.subarray(at + 1), at)
      return out
    }
    case 'garbage':
      return randomBytes(0, 48)
    default:
      throw new Error(`unknown mutation ${kind}`)
  }
}

export const UPDATE_MUTATIONS = ['truncate', 'append', 'utf8', 'bitflip', 'insert-byte', 'remove-byte', 'garbage']
export const FRAME_MUTATIONS = ['truncate', 'append', 'bitflip', 'insert-byte', 'remove-byte', 'garbage']

/**
 * One hostile frame made from `source` (`{ update, isKnown }`: a valid update and whether the
 * server already has it). Half the time the update is damaged and wrapped in a well-formed
 * `[0, 1|2, …]` frame, otherwise the whole frame is damaged.
 *
 * Returns `{ frame, level, kind, expect }` where `expect` says what a correct server must do:
 * `'1007'` (a well-formed frame carrying an update that is not valid Yjs v1), `'refuse'` (any
 * refusal code: the frame itself is broken, or carries an update yjs cannot decode), or
 * `'either'` (the bytes may well be valid). Returns
 * null for a mutant that yjs can decode into something that might change the document: it
 * would be a valid edit no server may refuse, and could undo honest work.
 */
export function hostileFrame (source, prng) {
  const sub = prng.pick([SYNC_UPDATE, SYNC_STEP2])
  if (prng.next() < 0.5) {
    const kind = prng.pick(UPDATE_MUTATIONS)
    const mutant = mutateBytes(source.update, kind, prng)
    if (mutant === null) return null
    const frame = syncFrame(sub, mutant)
    // A valid update is read to its last byte and no further: no strict prefix of one is
    // valid, nor one with bytes appended. Strings that are not UTF-8 are never valid.
    if (MUST_REFUSE_KINDS.has(kind)) return { frame, level: 'update', kind, expect: '1007' }
    if (yjsDecode(mutant) === null) return { frame, level: 'update', kind, expect: '1007' }
    if (source.isKnown && changesNothingBeyond(mutant, source.update)) {
      return { frame, level: 'update', kind, expect: 'either' }
    }
    return null
  }
  const kind = prng.pick(FRAME_MUTATIONS)
  const frame = mutateBytes(syncFrame(sub, source.update), kind, prng)
  if (frame === null) return null
  const parsed = parseFrame(frame)
  if (parsed.error) return { frame, level: 'frame', kind, expect: 'refuse' }
  let expect = 'either'
  for (const message of parsed.messages) {
    if (message.type !== MESSAGE_SYNC || message.sub === SYNC_STEP1) continue
    if (yjsDecode(message.data) === null) {
      expect = 'refuse'
    } else if (!(source.isKnown && changesNothingBeyond(message.data, source.update))) {
      return null
    }
  }
  return { frame, level: 'frame', kind, expect }
}
