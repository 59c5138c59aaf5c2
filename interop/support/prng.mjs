// A small seeded PRNG (mulberry32), so a failing run can be replayed with INTEROP_SEED.

export class Prng {
  /** @param {number} seed */
  constructor (seed) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next () {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max], both included. */
  int (min, max) {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** @template T @param {T[]} items @returns {T} */
  pick (items) {
    return items[this.int(0, items.length - 1)]
  }

  /** @template T @param {T[]} items @returns {T[]} a shuffled copy */
  shuffle (items) {
    const copy = items.slice()
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      ;[copy[i], copy[j]] = [copy[j], copy[i]]
    }
    return copy
  }
}

/** The seed for a test: INTEROP_SEED if set, else the test's fixed default. */
export function seedFor (defaultSeed) {
  const fromEnv = process.env.INTEROP_SEED
  if (fromEnv === undefined || fromEnv === '') return defaultSeed
  const seed = Number(fromEnv)
  if (!Number.isInteger(seed)) throw new Error(`INTEROP_SEED must be an integer, got ${fromEnv}`)
  return seed
}
