// Temporary directories that are removed when the test ends.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * A fresh empty directory under the OS temp dir, owned by `own` (see resources.mjs): removed
 * after the test, after everything started later (servers using it) has stopped.
 */
export function tempDir (own, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ycord-${prefix}-`))
  return own(dir, () => fs.rmSync(dir, { recursive: true, force: true }))
}
