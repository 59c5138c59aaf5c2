// Issue 12: one hostile update must not make a room unreadable. Honest y-websocket clients edit
// a room while hostile raw sockets in the same room send damaged copies of the very frames the
// server relays to them (truncated, bit-flipped, extended, invalid UTF-8, garbage, …). The
// server must refuse every frame it cannot fully validate by closing that socket (1007 for a
// bad update in a well-formed frame), so no honest client ever sees yjs fail, no honest edit is
// lost, and the room still loads, whole, after a restart.
//
// Sized by HOSTILE_FRAMES (default 3000) or HOSTILE_SECONDS (run for that long; frames then
// unlimited unless HOSTILE_FRAMES is set too); HOSTILE_SOCKETS hostile sockets at a time
// (default 4); HONEST_EDITS edits per honest client. INTEROP_SEED replays every choice a run
// makes (which mutation, where, which edit); which real frames there are to damage depends on
// timing, so a wrong answer is also printed with the frame that got it.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import * as Y from 'yjs'
import { startYcord } from '../support/ycord_server.mjs'
import { JsClient, connectJsClient } from '../support/js_client.mjs'
import { waitForConvergence } from '../support/peers.mjs'
import { snapshotOf } from '../support/snapshot.mjs'
import { deadline } from '../support/wait.mjs'
import { resources } from '../support/resources.mjs'
import { tempDir } from '../support/temp_dir.mjs'
import { logTail } from '../support/processes.mjs'
import { Prng, seedFor } from '../support/prng.mjs'
import { openRawSocket } from '../support/raw_socket.mjs'
import { MESSAGE_SYNC, SYNC_STEP2, SYNC_UPDATE, frameKind, syncFrame, updateOf } from '../support/frames.mjs'
import { hostileFrame, withTrailingBytes } from '../support/hostile_updates.mjs'
import { clientsWithPendingStructs, watchHonestClients } from '../support/honest_watch.mjs'

const ROOM = 'hostile-room'
const HONEST_CLIENTS = 3
/** Codes a server may refuse a frame with: bad framing (1002), unknown type (1003), bad update (1007). */
const REFUSAL_CODES = new Set([1002, 1003, 1007])
/** Recent real frames kept as material for mutants (a ring: memory stays flat in long runs). */
const SOURCE_RING = 64
/** Scratch docs are replaced after this many edits, so their updates stay small. */
const SCRATCH_EDITS = 32
const CONVERGENCE_TIMEOUT_MS = 30000

function envNumber (name) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`)
  return value
}

const hostileSeconds = envNumber('HOSTILE_SECONDS')
const hostileFrames = envNumber('HOSTILE_FRAMES') ?? (hostileSeconds ? Infinity : 3000)
const hostileSockets = envNumber('HOSTILE_SOCKETS') ?? 4
// Spread over a timed run, but bounded: the document (and every step2) stays a few hundred KB.
const honestEdits = envNumber('HONEST_EDITS') ??
  (hostileSeconds ? Math.min(6000, Math.max(300, Math.round(hostileSeconds * 10))) : 300)
// In a frame-counted run the edits last about as long as the default 3000 frames take.
const honestPaceMs = hostileSeconds ? Math.max(10, (hostileSeconds * 1000) / honestEdits) : 25

/** Honest text tokens (`[h1-17]`), whole tokens only. */
const TOKEN = /\[h\d+-\d+\]/g

/**
 * An honest client that only ever adds: `[h<i>-<n>]` tokens inserted between tokens of the
 * text, inserted into the array, or set as map values. It remembers each one, so the
 * converged document can be checked for every honest edit.
 */
class HonestWriter {
  constructor (client, index, prng) {
    this.client = client
    this.index = index
    this.prng = prng
    this.text = client.doc.getText('text')
    this.array = client.doc.getArray('array')
    this.map = client.doc.getMap('map')
    this.textTokens = []
    this.arrayTokens = []
    /** key → every value set for it */
    this.mapValues = new Map()
    this.edits = 0
    this.timer = null
    this.finished = null
  }

  edit () {
    this.edits++
    const token = `[h${this.index}-${this.edits}]`
    const roll = this.prng.next()
    if (roll < 0.5) {
      const text = this.text.toString()
      const boundaries = [0]
      for (let i = 0; i < text.length; i++) if (text[i] === ']') boundaries.push(i + 1)
      this.text.insert(this.prng.pick(boundaries), token)
      this.textTokens.push(token)
    } else if (roll < 0.85) {
      this.array.insert(this.prng.int(0, this.array.length), [token])
      this.arrayTokens.push(token)
    } else {
      const key = `k${this.prng.int(0, 3)}`
      this.map.set(key, token)
      if (!this.mapValues.has(key)) this.mapValues.set(key, new Set())
      this.mapValues.get(key).add(token)
    }
  }

  /** Edits every ~`paceMs` until `maxEdits` or `stop()`; resolves when it has stopped. */
  start (paceMs, maxEdits) {
    this.finished = new Promise(resolve => {
      this.resolveFinished = resolve
      const step = () => {
        if (this.edits >= maxEdits) return this.stop()
        this.edit()
        this.timer = setTimeout(step, this.prng.int(0, 2 * paceMs))
      }
      this.timer = setTimeout(step, this.prng.int(0, paceMs))
    })
    return this.finished
  }

  stop () {
    clearTimeout(this.timer)
    this.resolveFinished?.()
  }
}

/** Real update frames seen by the hostile sockets: relayed updates and step2 answers. */
class SourceRing {
  constructor () {
    this.updates = []
    this.step2s = []
    this.next = { updates: 0, step2s: 0 }
  }

  add (frame) {
    const kind = frameKind(frame)
    if (kind.type !== MESSAGE_SYNC) return
    const ring = kind.sub === SYNC_UPDATE ? 'updates' : kind.sub === SYNC_STEP2 ? 'step2s' : null
    if (ring === null) return
    const update = updateOf(frame)
    if (update === null) return
    this[ring][this.next[ring]++ % SOURCE_RING] = new Uint8Array(update)
  }

  /** A real update the server has (it sent it), or null while there is none. */
  pick (prng) {
    const ring = this.step2s.length === 0 || (this.updates.length > 0 && prng.next() < 0.65)
      ? this.updates
      : this.step2s
    return ring.length === 0 ? null : prng.pick(ring)
  }
}

/**
 * Valid updates from a doc the server never hears from honestly (roots `hostile-*`, so its
 * content could never pass for honest work). Every update after a scratch doc's first starts
 * past clock 0: the server lacks what precedes it and would have to keep it pending.
 */
class ScratchEdits {
  constructor (prng) {
    this.prng = prng
    this.doc = null
    this.edits = 0
  }

  next () {
    if (this.doc === null || this.edits >= SCRATCH_EDITS) {
      this.doc?.destroy()
      this.doc = new Y.Doc()
      this.edits = 0
    }
    this.edits++
    const before = Y.encodeStateVector(this.doc)
    const token = `[h9-${this.edits}]`
    if (this.prng.next() < 0.6) {
      const text = this.doc.getText('hostile-text')
      text.insert(this.prng.int(0, text.length), token)
    } else {
      this.doc.getMap('hostile-map').set(`k${this.prng.int(0, 3)}`, { token, n: this.edits, list: [token, 1.5] })
    }
    return Y.encodeStateAsUpdate(this.doc, before)
  }
}

/** What the hostile sockets did and what came of it; every figure is a counter. */
class HostileTally {
  constructor () {
    this.sent = 0
    this.byLevel = { update: 0, frame: 0 }
    this.accepted = 0
    this.closesByCode = {}
    this.skippedPossiblyValid = 0
    this.socketsOpened = 0
    this.violationCount = 0
    /** `level/kind` → wrong answers to such mutants; `violations` has the first of each */
    this.violationsByKind = {}
    this.violations = []
  }

  record (made, verdict) {
    this.byLevel[made.level]++
    if (verdict.accepted) {
      this.accepted++
    } else {
      this.closesByCode[verdict.code] = (this.closesByCode[verdict.code] ?? 0) + 1
    }
    const problem = judgeVerdict(made.expect, verdict)
    if (problem) {
      this.violationCount++
      const key = `${made.level}/${made.kind}`
      this.violationsByKind[key] = (this.violationsByKind[key] ?? 0) + 1
      // The first of each kind: a handful of different examples, not ten of the same.
      if (this.violationsByKind[key] === 1) {
        this.violations.push({
          problem,
          level: made.level,
          kind: made.kind,
          reason: verdict.reason,
          frame: Buffer.from(made.frame.subarray(0, 512)).toString('hex') + (made.frame.length > 512 ? '…' : '')
        })
      }
    }
  }
}

/** What was wrong with the server's answer to a frame, or null. */
function judgeVerdict (expect, verdict) {
  if (verdict.accepted) {
    if (expect === '1007') return 'a well-formed frame with an invalid update was taken'
    if (expect === 'refuse') return 'a broken frame was taken'
    return null
  }
  if (expect === '1007' && verdict.code !== 1007) return `closed with ${verdict.code}, not 1007`
  if (!REFUSAL_CODES.has(verdict.code)) return `closed with ${verdict.code}, not a refusal code`
  return null
}

/**
 * One hostile socket after another: each sends mutants until the server closes it, then the
 * next one opens. Stops when `budget.isSpent()`.
 */
async function runHostileLane (url, name, prng, sources, tally, budget) {
  const scratch = new ScratchEdits(prng)
  const nextFrame = () => {
    // Mutants that might be valid edits are not sent; a few tries find one that is safe.
    for (let tries = 0; tries < 50; tries++) {
      const known = sources.pick(prng)
      const source = known !== null && prng.next() < 0.75
        ? { update: known, isKnown: true }
        : { update: scratch.next(), isKnown: false }
      const made = hostileFrame(source, prng)
      if (made !== null) return made
      tally.skippedPossiblyValid++
    }
    return {
      frame: syncFrame(SYNC_UPDATE, withTrailingBytes(scratch.next(), [0])),
      level: 'update',
      kind: 'append',
      expect: '1007'
    }
  }

  let socket = null
  try {
    while (!budget.isSpent()) {
      if (socket === null) {
        socket = await openRawSocket(url, ROOM, `${name}#${tally.socketsOpened + 1}`)
        tally.socketsOpened++
        socket.onFrame(frame => sources.add(frame))
        // Other lanes went on while this socket opened.
        if (budget.isSpent()) break
      }
      const made = nextFrame()
      tally.sent++
      const verdict = await socket.judge(made.frame)
      tally.record(made, verdict)
      if (!verdict.accepted) {
        socket.close()
        socket = null
      }
    }
  } finally {
    socket?.close()
  }
}

/** The honest tokens in a text, and whatever else is in it (pieces of damaged tokens). */
function tokensOfText (text) {
  return { tokens: text.match(TOKEN) ?? [], stray: text.replace(TOKEN, '') }
}

function missing (expected, actual) {
  const present = new Set(actual)
  return expected.filter(item => !present.has(item))
}

/**
 * The whole state from GET /api/rooms/{room}, as a snapshot, after checking that yjs can apply
 * it and that it holds nothing pending (structs whose dependencies never arrived: only a
 * hostile update can leave those).
 */
async function storedSnapshot (httpUrl) {
  const response = await deadline(fetch(`${httpUrl}/api/rooms/${ROOM}`), 10000, `GET /api/rooms/${ROOM}`)
  assert.equal(response.status, 200, `GET /api/rooms/${ROOM} answers 200`)
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()))
  } catch (err) {
    throw new Error(`yjs cannot apply the state GET /api/rooms/${ROOM} returned: ${err.message}`)
  }
  assert.equal(doc.store.pendingStructs, null, 'the stored state has no pending structs')
  assert.equal(doc.store.pendingDs, null, 'the stored state has no pending deletions')
  const snapshot = snapshotOf(doc)
  doc.destroy()
  return snapshot
}

/** A fresh client joins `url` and, without a yjs error, holds exactly `expected`. */
async function joinsWithTheDocument (own, url, name, expected) {
  const client = own(new JsClient(url, ROOM, name))
  // Watching before the first message arrives: the step2 of the first sync is where it would fail.
  const watch = watchHonestClients([client])
  try {
    await client.synced()
    // Its first sync is complete: what it holds now is what the server had.
    assert.deepEqual(snapshotOf(client.doc), expected, `${name} gets the converged document`)
    assert.deepEqual(clientsWithPendingStructs([client]), [], `${name} holds nothing pending`)
    assert.deepEqual(watch.errors, [], `${name} had no yjs error`)
  } finally {
    watch.stop()
    await client.close()
  }
}

/** The panics in a server log (with the line after each, the message), or its last lines. */
function panicsIn (log) {
  const lines = fs.readFileSync(log, 'utf8').split('\n')
  const panics = lines.flatMap((line, i) => line.includes('panicked at') ? [line, lines[i + 1]] : [])
  return panics.length > 0
    ? `the server panicked (log ${log}):\n${panics.slice(0, 10).join('\n')}`
    : `server log ${log}:\n${logTail(log)}`
}

/** Text, map and array: what a reader sees, without the state vector. */
function content ({ text, map, array }) {
  return { text, map, array }
}

test('hostile frames are refused and never reach JS clients; no honest edit is lost; the room loads after a restart', {
  timeout: (hostileSeconds ?? 60) * 1000 + 120000
}, async t => {
  const own = resources(t)
  const seed = seedFor(0x5eed_0012)
  t.diagnostic(`seed ${seed} (replay with INTEROP_SEED=${seed})`)
  const prng = new Prng(seed)
  const dataDir = tempDir(own, 'hostile')

  let server = await startYcord(['--data-dir', dataDir])
  own(server, () => server.stop())

  const honest = []
  for (let i = 1; i <= HONEST_CLIENTS; i++) {
    honest.push(own(await connectJsClient(server.url, ROOM, `honest-${i}`)))
  }
  const watch = own(watchHonestClients(honest), () => watch.stop())
  const writers = honest.map((client, i) => new HonestWriter(client, i + 1, new Prng(prng.int(0, 2 ** 31))))
  // A few honest edits first, so the hostile sockets have real frames to damage from the start.
  for (const writer of writers) writer.edit()

  const started = performance.now()
  const endAt = hostileSeconds ? Date.now() + hostileSeconds * 1000 : Infinity
  const tally = new HostileTally()
  let isAborted = false
  const budget = { isSpent: () => isAborted || tally.sent >= hostileFrames || Date.now() >= endAt }
  const sources = new SourceRing()
  const writing = writers.map(writer => writer.start(honestPaceMs, honestEdits))
  const lanes = []
  for (let i = 1; i <= hostileSockets; i++) {
    // One lane failing (a dead room, a hung server) ends the others too.
    lanes.push(runHostileLane(server.url, `hostile-${i}`, new Prng(prng.int(0, 2 ** 31)), sources, tally, budget)
      .catch(err => { isAborted = true; throw err }))
  }
  const laneResults = await Promise.allSettled(lanes)
  for (const writer of writers) writer.stop()
  await Promise.all(writing)
  const hostileMs = performance.now() - started

  t.diagnostic(`hostile: ${tally.sent} frames in ${(hostileMs / 1000).toFixed(1)} s ` +
    `(${tally.byLevel.update} damaged updates in well-formed frames, ${tally.byLevel.frame} damaged frames), ` +
    `${tally.accepted} taken, sockets closed by code ${JSON.stringify(tally.closesByCode)}, ` +
    `${tally.socketsOpened} sockets opened, ${tally.skippedPossiblyValid} possibly-valid mutants not sent, ` +
    `${tally.violationCount} wrong answers ${JSON.stringify(tally.violationsByKind)}`)
  const laneFailure = laneResults.find(result => result.status === 'rejected')
  if (laneFailure) {
    // A socket that cannot even open (or a frame never answered) usually means the room died.
    t.diagnostic(`honest: ${watch.errorCount} yjs errors, socket closes ${JSON.stringify(watch.closes)}`)
    throw new Error(`${laneFailure.reason.message}\n${panicsIn(server.log)}`)
  }

  // Every honest client ends with the same document, and it holds every honest edit.
  const converged = await waitForConvergence(honest, CONVERGENCE_TIMEOUT_MS)
  const { tokens: textTokens, stray } = tokensOfText(converged.text)
  const writtenText = writers.flatMap(w => w.textTokens)
  const writtenArray = writers.flatMap(w => w.arrayTokens)
  const lostText = missing(writtenText, textTokens)
  const lostArray = missing(writtenArray, converged.array)
  const mapKeys = new Set(writers.flatMap(w => [...w.mapValues.keys()]))
  const lostMapKeys = [...mapKeys].filter(key => !(key in converged.map))
  const honestEditCount = writers.reduce((sum, w) => sum + w.edits, 0)
  const lostCount = lostText.length + lostArray.length + lostMapKeys.length

  t.diagnostic(`honest: ${honestEditCount} edits by ${HONEST_CLIENTS} clients, ${lostCount} lost, ` +
    `${stray.length} stray text characters, ${watch.errorCount} yjs errors, ${watch.closes.length} socket closes; ` +
    `document: ${textTokens.length} text tokens, ${converged.array.length} array items; ` +
    `test process heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`)

  for (const violation of tally.violations) t.diagnostic(`wrong answer: ${JSON.stringify(violation)}`)

  assert.deepEqual(watch.errors, [], `no honest client logged or threw a yjs error (${watch.errorCount} in all)`)
  assert.deepEqual(tally.violations, [],
    `every frame that is not valid was refused with the right code (${tally.violationCount} were not)`)
  assert.deepEqual(watch.closes, [], 'no honest client had its socket closed')
  assert.deepEqual(clientsWithPendingStructs(honest), [], 'no honest client holds structs yjs could not integrate')
  if (!hostileSeconds) assert.equal(tally.sent, hostileFrames, 'every hostile frame asked for was sent')
  assert.ok(tally.sent > 0 && (tally.closesByCode[1007] ?? 0) > 0,
    `hostile frames were sent and some were refused with 1007: ${JSON.stringify(tally.closesByCode)}`)
  assert.deepEqual(lostText.slice(0, 20), [], `${lostText.length} of ${writtenText.length} honest text tokens are missing`)
  assert.equal(stray.slice(0, 200), '', 'the text is whole honest tokens only, none cut or damaged')
  assert.deepEqual(lostArray.slice(0, 20), [], `${lostArray.length} of ${writtenArray.length} honest array items are missing`)
  assert.deepEqual(lostMapKeys, [], 'every map key an honest client set is there')
  assert.equal(textTokens.length, writtenText.length, 'each honest text token is there once')
  assert.deepEqual(converged.array.slice().sort(), writtenArray.slice().sort(), 'the array is exactly the honest items')
  for (const key of mapKeys) {
    const values = new Set(writers.flatMap(w => [...(w.mapValues.get(key) ?? [])]))
    assert.ok(values.has(converged.map[key]), `map.${key} = ${converged.map[key]} was set by an honest client`)
  }
  watch.stop()

  // The server's own copy is the same, and so is what a client joining now receives.
  assert.deepEqual(content(await storedSnapshot(server.httpUrl)), content(converged),
    'GET /api/rooms/{room} has the converged document')
  await joinsWithTheDocument(own, server.url, 'late', converged)

  // The room must load again from what was stored.
  for (const client of honest) await client.close()
  assert.deepEqual(await server.stop(), { code: 0, signal: null }, 'ycord exits 0 on SIGTERM')
  server = await startYcord(['--data-dir', dataDir])
  assert.deepEqual(content(await storedSnapshot(server.httpUrl)), content(converged),
    'after a restart GET /api/rooms/{room} has the same document')
  await joinsWithTheDocument(own, server.url, 'after-restart', converged)
})
