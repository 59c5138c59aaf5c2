// Random concurrent edits from mixed peers, and what must hold once they converge.

import assert from 'node:assert/strict'
import { Prng } from './prng.mjs'
import { canonicalJson } from './snapshot.mjs'
import { describePeers, waitForConvergence } from './peers.mjs'

// Multi-byte in UTF-8 but one UTF-16 unit each: offsets only agree if both sides count UTF-16.
const ALPHABET = ['a', 'b', 'c', 'x', ' ', 'é', 'ж', '中', 'ß']
const MAP_KEYS = ['k0', 'k1', 'k2', 'k3']
const VALUE_SHAPES = [
  (by, n) => `${by}#${n}`,
  (by, n) => ({ by, n, flag: n % 2 === 0, none: null }),
  (by, n) => [by, n, n + 0.25, -n],
  (by, n) => ({ by, n, big: 2 ** 40 + n, nested: { list: [n, `${n}`] } })
]

const CONVERGENCE_TIMEOUT_MS = 30000

/**
 * Every peer makes `rounds` rounds of 1–3 random edits (text inserts, map sets, array pushes).
 * Within a round the JS peers edit synchronously and the agents' commands are in flight
 * together, so edits are concurrent. Meanwhile the network misbehaves: the first JS peer and
 * the first agent go offline for a third of the rounds and keep editing, and a JS peer's
 * socket is cut (y-websocket reconnects by itself). Then waits for convergence and asserts that
 * nothing was lost. Returns the converged snapshot.
 */
export async function editConcurrentlyAndConverge (peers, { seed, rounds = 45 }) {
  const prng = new Prng(seed)
  const made = { textUnits: 0, pushed: [], mapValues: new Map() }
  let counter = 0

  const randomEdit = peer => {
    const n = ++counter
    const roll = prng.next()
    if (roll < 0.55) {
      let text = ''
      for (let i = prng.int(1, 4); i > 0; i--) text += prng.pick(ALPHABET)
      // An upper bound of the peer's text length; both kinds of peers clamp the index.
      const index = prng.int(0, made.textUnits)
      made.textUnits += text.length
      return peer.insert(index, text)
    }
    const value = prng.pick(VALUE_SHAPES)(peer.name, n)
    if (roll < 0.8) {
      const key = prng.pick(MAP_KEYS)
      if (!made.mapValues.has(key)) made.mapValues.set(key, new Set())
      made.mapValues.get(key).add(canonicalJson(value))
      return peer.mapSet(key, value)
    }
    made.pushed.push(canonicalJson(value))
    return peer.arrayPush(value)
  }

  const offline = [peers.find(p => p.kind === 'js'), peers.find(p => p.kind === 'agent')]
    .filter(Boolean)
  const dropping = peers.filter(p => p.kind === 'js').at(-1)
  const disruptions = new Map([
    [Math.floor(rounds / 3), () => Promise.all(offline.map(peer => peer.disconnect()))],
    [Math.floor(rounds / 2), () => dropping?.dropSocket()],
    [Math.floor((2 * rounds) / 3), () => Promise.all(offline.map(peer => peer.connect()))]
  ])

  for (let round = 0; round < rounds; round++) {
    await disruptions.get(round)?.()
    const inFlight = []
    for (const peer of prng.shuffle(peers)) {
      for (let edits = prng.int(1, 3); edits > 0; edits--) inFlight.push(randomEdit(peer))
    }
    await Promise.all(inFlight)
    // Let the sockets deliver between rounds, so later edits build on some remote ones.
    await new Promise(resolve => setImmediate(resolve))
  }

  const converged = await waitForConvergence(peers, CONVERGENCE_TIMEOUT_MS)

  assert.equal(converged.text.length, made.textUnits,
    `every inserted UTF-16 unit is in the text (${counter} edits, seed ${seed})`)
  assert.deepEqual(converged.array.map(canonicalJson).sort(), made.pushed.slice().sort(),
    'every pushed array value is present exactly once')
  assert.deepEqual(Object.keys(converged.map).sort(), [...made.mapValues.keys()].sort(),
    'the map has exactly the keys that were set')
  for (const [key, values] of made.mapValues) {
    assert.ok(values.has(canonicalJson(converged.map[key])),
      `map.${key} = ${canonicalJson(converged.map[key])} is one of the values set for it`)
  }
  for (const peer of peers) {
    assert.ok(String(peer.clientId) in converged.stateVector,
      `the state vector has an entry for ${peer.name} (${describePeers(peers)})`)
  }
  return converged
}
