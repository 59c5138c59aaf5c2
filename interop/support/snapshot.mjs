// The comparable content of a document: what every client must agree on.

import * as Y from 'yjs'

/**
 * `{ text, map, array, stateVector }` of a Y.Doc with the shared roots `text`, `map`, `array`;
 * `stateVector` is `{ "<client id>": clock }`. The same shape as the agent's `dump` reply.
 */
export function snapshotOf (doc) {
  const stateVector = {}
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    stateVector[String(client)] = clock
  }
  return {
    text: doc.getText('text').toString(),
    map: doc.getMap('map').toJSON(),
    array: doc.getArray('array').toJSON(),
    stateVector
  }
}

/** JSON with object keys sorted, so equal content gives equal strings. */
export function canonicalJson (value) {
  return JSON.stringify(sortKeys(value))
}

function sortKeys (value) {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map(key => [key, sortKeys(value[key])]))
  }
  return value
}
