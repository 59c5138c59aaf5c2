// Waiting for a condition without fixed sleeps: re-check whenever a source reports a change.

/**
 * Resolves with the check's value once `check()` returns `{ done: true, value }`.
 * `check` runs at once and again after every notification from `subscribe(notify)`, which must
 * register listeners and return a function removing them. Rejects after `timeoutMs` with
 * `what` and the last `detail` the check returned, so a failure says what was still missing.
 *
 * @template T
 * @param {() => Promise<{done: boolean, value?: T, detail?: unknown}> | {done: boolean, value?: T, detail?: unknown}} check
 * @param {{ what: string, timeoutMs: number, subscribe: (notify: () => void) => () => void }} options
 * @returns {Promise<T>}
 */
export async function waitFor (check, { what, timeoutMs, subscribe }) {
  const deadline = Date.now() + timeoutMs
  let changed = false
  let wake = () => {}
  const unsubscribe = subscribe(() => {
    changed = true
    wake()
  })
  let lastDetail
  try {
    for (;;) {
      // Listening starts before the check, so a change during an async check is not lost.
      changed = false
      const result = await check()
      if (result.done) return result.value
      lastDetail = result.detail
      if (changed) continue
      const remaining = deadline - Date.now()
      if (remaining <= 0) break
      let timer
      await new Promise(resolve => {
        wake = resolve
        timer = setTimeout(resolve, remaining)
      })
      clearTimeout(timer)
      wake = () => {}
      if (!changed && Date.now() >= deadline) break
    }
  } finally {
    unsubscribe()
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last state: ${describe(lastDetail)}`
  )
}

/** A promise that rejects after `ms` with a message naming `what`. */
export function deadline (promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function describe (detail) {
  if (detail === undefined) return '(none)'
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail)
  return text.length > 2000 ? text.slice(0, 2000) + '…' : text
}
