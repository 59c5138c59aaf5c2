// Rooms of mixed peers (JS clients and Rust agents) and the waits the tests share.
// Every peer has: name, kind, clientId, snapshot(), onRemoteUpdate(), awarenessStates(),
// onAwarenessChange(), setAwareness(), clearAwareness(), insert(), mapSet(), arrayPush(), disconnect(), connect(),
// leave(), crash(), close().

import { connectJsClient } from './js_client.mjs'
import { startAgent } from './agent.mjs'
import { canonicalJson } from './snapshot.mjs'
import { waitFor } from './wait.mjs'

/**
 * Connects `js` JS clients and `agents` agents to `url` / `room`, all synced, each owned by
 * `own` (see resources.mjs). Names are `js-1…` and `rust-1…`.
 */
export async function joinRoom (own, url, room, { js = 0, agents = 0 }) {
  const peers = []
  for (let i = 1; i <= js; i++) peers.push(own(await connectJsClient(url, room, `js-${i}`)))
  for (let i = 1; i <= agents; i++) peers.push(own(await startAgent(url, room, `rust-${i}`)))
  return peers
}

function subscribeAll (peers, subscribeOne) {
  return notify => {
    const unsubscribes = peers.map(peer => subscribeOne(peer, notify))
    return () => unsubscribes.forEach(unsubscribe => unsubscribe())
  }
}

/**
 * Waits until every peer's snapshot (text, map, array and state vector) is the same, re-checking
 * after every remote update any of them reports. Resolves with the common snapshot.
 */
export async function waitForConvergence (peers, timeoutMs) {
  return waitFor(async () => {
    const snapshots = await Promise.all(peers.map(peer => peer.snapshot()))
    const distinct = new Set(snapshots.map(canonicalJson))
    if (distinct.size === 1) return { done: true, value: snapshots[0] }
    return { done: false, detail: summarizeDifferences(peers, snapshots) }
  }, {
    what: `${peers.map(p => p.name).join(', ')} to converge`,
    timeoutMs,
    subscribe: subscribeAll(peers, (peer, notify) => peer.onRemoteUpdate(notify))
  })
}

/**
 * Waits until `predicate(states, observer)` holds for the awareness states of every observer,
 * re-checking on every awareness change. Resolves with the elapsed milliseconds.
 */
export async function waitForAwareness (observers, predicate, { what, timeoutMs }) {
  const started = performance.now()
  await waitFor(async () => {
    const all = await Promise.all(observers.map(peer => peer.awarenessStates()))
    const failing = observers.filter((observer, i) => !predicate(all[i], observer))
    if (failing.length === 0) return { done: true }
    return {
      done: false,
      detail: Object.fromEntries(failing.map(peer => [peer.name, all[observers.indexOf(peer)]]))
    }
  }, {
    what,
    timeoutMs,
    subscribe: subscribeAll(observers, (peer, notify) => peer.onAwarenessChange(notify))
  })
  return performance.now() - started
}

/**
 * Which peers agree, and per group the sizes and state vector: enough to see who misses what
 * without printing whole documents.
 */
function summarizeDifferences (peers, snapshots) {
  const groups = new Map()
  snapshots.forEach((snapshot, i) => {
    const key = canonicalJson(snapshot)
    if (!groups.has(key)) {
      groups.set(key, {
        peers: [],
        textLength: snapshot.text.length,
        arrayLength: snapshot.array.length,
        mapKeys: Object.keys(snapshot.map).sort(),
        stateVector: snapshot.stateVector
      })
    }
    groups.get(key).peers.push(`${peers[i].name}=${peers[i].clientId}`)
  })
  return [...groups.values()]
}

/** Names and client ids, for messages. */
export function describePeers (peers) {
  return peers.map(peer => `${peer.name}=${peer.clientId}`).join(', ')
}
