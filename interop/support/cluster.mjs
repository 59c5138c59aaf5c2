// Several ycord nodes for one test, sharing a fresh PostgreSQL schema (the store) and a Redis of
// their own (the transport between nodes), plus what the cluster tests share: psql, polling for
// states that have no event, and writers whose acknowledged edits are tracked.
//
// Every cluster gets its own redis-server (redis_process.mjs) rather than the suite's shared one
// (YCORD_TEST_REDIS_URL): ycord's key names are fixed (`ycord:room:…`, `ycord:node:…`), so on a
// shared server the streams and heartbeats of one test would still be there for the next; some
// tests restart Redis; and asserting on keys (XLEN, EXISTS) needs a key space nobody else writes.

import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import { startYcord } from './ycord_server.mjs'
import { startRedis } from './redis_process.mjs'
import { deadline, waitFor } from './wait.mjs'
import { missing, union } from './token_writer.mjs'

export { TokenWriter, union, missing } from './token_writer.mjs'

const DATABASE_VARIABLE = 'YCORD_TEST_POSTGRES_URL'
const NODE_LINE = /^ycord node ([0-9a-f]{32})$/
const HTTP_TIMEOUT_MS = 10000

/** The suite's PostgreSQL server (`YCORD_TEST_POSTGRES_URL`); throws a message that says how to get it. */
export function testDatabaseUrl () {
  const url = process.env[DATABASE_VARIABLE]
  if (!url) {
    throw new Error(`${DATABASE_VARIABLE} is not set: the cluster tests need PostgreSQL. Run them with ` +
      '`cargo xtask test --suite interop`, or alone under `cargo xtask with-services -- …`, ' +
      'which start a throwaway server and set it')
  }
  return url
}

/**
 * A schema of its own on the suite's PostgreSQL server: `{ schema, url }`, where `url` puts the
 * schema first on the `search_path` (ycord creates it on start). The schema is left behind: the
 * suite's server is thrown away after the run.
 */
export function freshDatabase () {
  const base = testDatabaseUrl()
  const schema = `cluster_${crypto.randomBytes(6).toString('hex')}`
  const separator = base.includes('?') ? '&' : '?'
  return { schema, url: `${base}${separator}options=-c%20search_path%3D${schema}` }
}

/** Runs `sql` with `psql` (from PATH) on `url`; resolves with its unaligned, tuples-only output. */
export function psql (url, sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 30000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`psql ${JSON.stringify(sql)} failed: ${err.message}\n${stderr}`))
        else resolve(stdout.trim())
      })
  })
}

/**
 * `waitFor`'s `subscribe` for states that announce no change (HTTP answers, Redis keys): re-checks
 * every `ms` until the deadline.
 */
export function everyMs (ms) {
  return notify => {
    const timer = setInterval(notify, ms)
    return () => clearInterval(timer)
  }
}

/** GET `url` and parse the JSON answer; fails with the status and body if it is not a 200. */
export async function getJson (url) {
  const response = await deadline(fetch(url), HTTP_TIMEOUT_MS, `GET ${url}`)
  const body = await response.text()
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${body}`)
  return JSON.parse(body)
}

/** One ycord process of a cluster; `restart()` brings it back on the same port as a new node. */
export class ClusterNode {
  constructor (name, args) {
    this.name = name
    this.args = args
    this.process = null
    this.port = 0
    /** The id it printed at start; a restart gets a new one. */
    this.nodeId = null
  }

  get url () { return this.process.url }
  get httpUrl () { return this.process.httpUrl }
  get running () { return this.process.running }

  async start () {
    this.process = await startYcord(this.args, { port: this.port })
    this.port = Number(new URL(this.process.url).port)
    const nodeLine = this.process.startupLines.map(line => NODE_LINE.exec(line)).find(Boolean)
    if (!nodeLine) {
      await this.process.kill()
      throw new Error(`${this.name} printed no "ycord node <32 hex digits>" line before listening ` +
        `(stdout: ${JSON.stringify(this.process.startupLines)}); log ${this.process.log}`)
    }
    this.nodeId = nodeLine[1]
    return this
  }

  /** SIGKILL: nothing is flushed, nobody is told; resolves with `{code, signal}`. */
  kill () { return this.process.kill() }

  /** SIGTERM, waiting for a clean exit. */
  stop () { return this.process.stop() }

  /** Starts the node again on its port (after `kill` or `stop`). */
  async restart () {
    if (this.running) throw new Error(`${this.name} is still running; kill or stop it first`)
    return this.start()
  }

  /** The parsed `GET /health`. */
  health () { return getJson(`${this.httpUrl}/health`) }

  /** `ycord_compactions_total` from `/metrics`. */
  async compactions () {
    const url = `${this.httpUrl}/metrics`
    const response = await deadline(fetch(url), HTTP_TIMEOUT_MS, `GET ${url}`)
    const metrics = await response.text()
    const line = /^ycord_compactions_total(?:\{[^}]*\})? (\d+)$/m.exec(metrics)
    if (!line) throw new Error(`${url} has no ycord_compactions_total:\n${metrics}`)
    return Number(line[1])
  }
}

/**
 * Starts `nodes` ycord nodes on ephemeral ports with `--redis-url` and `--database-url` (a fresh
 * schema) and `args`, all owned by `own` (see resources.mjs): stopped after the test. `redis` is
 * a server from redis_process.mjs; by default the cluster starts its own.
 * Returns `{ redis, database, nodes, startNode(args) }`; `startNode` adds a node to the cluster.
 */
export async function startCluster (own, { nodes = 3, args = [], redis = null } = {}) {
  const database = freshDatabase()
  const cluster = {
    redis: redis ?? await startRedis(own),
    database,
    nodes: [],
    async startNode (extraArgs = args) {
      const node = new ClusterNode(`node-${cluster.nodes.length + 1}`, [
        '--redis-url', cluster.redis.url,
        '--database-url', database.url,
        ...extraArgs
      ])
      await node.start()
      own(node, () => node.running ? node.stop() : undefined)
      cluster.nodes.push(node)
      return node
    }
  }
  for (let i = 0; i < nodes; i++) await cluster.startNode()
  return cluster
}

/** Waits until every node's `/health` reports `cluster.redis` as `state`. */
export function waitForRedisState (nodes, state, timeoutMs = 15000) {
  return waitFor(async () => {
    const seen = await Promise.all(nodes.map(async node => (await node.health()).cluster?.redis))
    return { done: seen.every(s => s === state), detail: Object.fromEntries(nodes.map((n, i) => [n.name, seen[i]])) }
  }, { what: `${nodes.map(n => n.name).join(', ')} to report Redis ${state}`, timeoutMs, subscribe: everyMs(100) })
}

/** Waits until the writers together have seen at least `count` tokens come back. */
export function waitForSeen (writers, count, timeoutMs = 30000) {
  return waitFor(() => {
    const seen = union(writers.map(w => w.seen)).size
    return { done: seen >= count, detail: { seen, wanted: count } }
  }, {
    what: `${count} tokens to come back from the nodes`,
    timeoutMs,
    subscribe: notify => {
      const unsubscribes = writers.map(w => w.onSeen(notify))
      return () => unsubscribes.forEach(unsubscribe => unsubscribe())
    }
  })
}

/** Waits until every writer's log holds every token of `expected`; resolves with the logs. */
export function waitForTokens (writers, expected, timeoutMs = 30000) {
  return waitFor(() => {
    const short = writers
      .map(w => ({ name: w.name, lacks: missing(expected, new Set(w.log.toArray())) }))
      .filter(({ lacks }) => lacks.length > 0)
    if (short.length === 0) return { done: true, value: writers.map(w => w.log.toArray()) }
    return { done: false, detail: short.map(({ name, lacks }) => `${name} lacks ${lacks.length}, e.g. ${lacks.slice(0, 5)}`) }
  }, {
    what: `${writers.map(w => w.name).join(', ')} to hold all ${expected.size} tokens`,
    timeoutMs,
    subscribe: notify => {
      const unsubscribes = writers.map(w => w.onSeen(notify))
      return () => unsubscribes.forEach(unsubscribe => unsubscribe())
    }
  })
}
