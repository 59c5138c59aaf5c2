// Everything a test starts is stopped when it ends, last started first.

/**
 * Returns `own(resource, stop)`: registers `stop` to run after the test (LIFO) and returns
 * the resource. A failing `stop` fails the test with its message.
 * @param {import('node:test').TestContext} t
 */
export function resources (t) {
  const stops = []
  t.after(async () => {
    const errors = []
    for (const stop of stops.reverse()) {
      try {
        await stop()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, errors.map(e => e.message).join('\n'))
  })
  return function own (resource, stop = () => resource.close()) {
    stops.push(stop)
    return resource
  }
}
