/**
 * A real multi-connection PostgreSQL for concurrency tests (the embedded PGlite runs one
 * transaction at a time, so it cannot show a double spend or a lost update).
 *
 * From an admin URL (`NEXUS_CONCURRENCY_DATABASE_URL`, printed by `scripts/ci-postgres.sh`) this
 * creates a fresh database per run, applies the nexus migrations, and starts the Neon-compatible
 * WebSocket proxy in front of it, so requests run the production driver path unchanged.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { neonConfig } from '@neondatabase/serverless'
import pg from 'pg'
import { WebSocket } from 'ws'
import { migrateDatabase } from '../../db/migrate'
import { issueAccessToken } from '../../functions/lib/auth'
import { getConfig, type Env } from '../../functions/lib/env'
import { startNeonWsProxy } from '../../scripts/lib/neon-ws-proxy'
import { databasePort, withPgClient } from '../../scripts/lib/local-stack'

/** The variable naming the server; unset means the concurrency suite is skipped. */
export const CONCURRENCY_DATABASE_URL_VAR = 'NEXUS_CONCURRENCY_DATABASE_URL'

/**
 * The multi-connection server's admin URL for a concurrency suite, or undefined (the suite is then
 * skipped, and says so in one line naming `suite`).
 */
export function concurrencyDatabaseUrl(suite: string): string | undefined {
  const url = process.env[CONCURRENCY_DATABASE_URL_VAR]
  if (!url) {
    console.warn(
      `[concurrency] ${suite} skipped: ${CONCURRENCY_DATABASE_URL_VAR} is not set (needs a multi-connection PostgreSQL; .ci/run starts one)`,
    )
  }
  return url
}

/** A migrated throwaway database on a real server, and the app bindings that reach it. */
export interface ConcurrencyPostgres {
  /** postgres:// URL of the fresh database (TCP on a loopback host). */
  url: string
  /** `host:port` of the WebSocket proxy (`NEON_WS_PROXY`). */
  proxyAddress: string
  /** Bindings for `app.request(path, init, env)`. */
  env: Env
  /** Stops the proxy and drops the database. */
  close(): Promise<void>
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/**
 * Creates `nexus_conc_<random>` on the server of `adminUrl` (a role with CREATEDB), migrates it
 * and starts the proxy. The host must be a loopback address reached over TCP: the proxy refuses
 * any other.
 */
export async function startConcurrencyPostgres(adminUrl: string): Promise<ConcurrencyPostgres> {
  const admin = new URL(adminUrl)
  if (!LOOPBACK_HOSTS.has(admin.hostname)) {
    throw new Error(
      `${CONCURRENCY_DATABASE_URL_VAR} must name a loopback host over TCP (e.g. 127.0.0.1), got "${admin.hostname}"`,
    )
  }
  // Node 20 has no global WebSocket; the Neon driver needs one to reach the proxy.
  neonConfig.webSocketConstructor = WebSocket

  const database = `nexus_conc_${randomBytes(6).toString('hex')}`
  await withPgClient(adminUrl, (c) => c.query(`CREATE DATABASE ${database}`))
  const target = new URL(adminUrl)
  target.pathname = `/${database}`
  const url = target.toString()

  const dropDatabase = () =>
    withPgClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
  let proxy: Awaited<ReturnType<typeof startNeonWsProxy>>
  try {
    await withPgClient(url, (c) => migrateDatabase(c, 'nexus'))
    proxy = await startNeonWsProxy({ port: 0, allowedPorts: [databasePort(url)] })
  } catch (error) {
    await dropDatabase().catch(() => undefined)
    throw error
  }

  const env = {
    NEXUS_DATABASE_URL: url,
    // Required by the configuration; the economy routes never open it.
    MEMORY_DATABASE_URL: url,
    NEON_WS_PROXY: proxy.address,
    AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
  } as Env

  return {
    url,
    proxyAddress: proxy.address,
    env,
    async close() {
      await proxy.close()
      await dropDatabase()
    },
  }
}

/** A plain `pg` pool on the test database, for setup and for asserting on rows directly. */
export function directPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max })
  pool.on('error', () => undefined)
  return pool
}

/**
 * Inserts `count` users named `<prefix>_<n>` (the trigger gives each a balance of 100), created
 * `ageDays` ago (60 by default: past the token policy for new accounts), and returns their ids,
 * sorted.
 */
export async function createUsers(
  pool: pg.Pool,
  prefix: string,
  count: number,
  ageDays = 60,
): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (username, created_at)
     SELECT $1 || '_' || n, now() - make_interval(days => $3::int) FROM generate_series(1, $2) AS n
     RETURNING id`,
    [`${prefix}_${randomUUID().slice(0, 8)}`, count, ageDays],
  )
  return rows.map((r) => r.id).sort()
}

/** A player token for `userId`, signed with the suite's secret. */
export async function playerToken(server: ConcurrencyPostgres, userId: string): Promise<string> {
  const { token } = await issueAccessToken(
    { userId, username: `player_${userId.slice(0, 8)}`, roles: ['player'] },
    getConfig(server.env),
  )
  return token
}

/**
 * The live rooms are Durable Objects, which the Node suites do not run: a namespace whose rooms
 * cannot be reached, so every notice fails and is logged, as the room gateway promises.
 */
export const unreachableRooms = {
  idFromName: (name: string) => ({ name }),
  get: () => ({
    applyNotice: () => Promise.reject(new Error('no live rooms in the Node suite')),
  }),
} as unknown as Env['INSTANCE_ROOM']

/** An admin token for a fresh user named `<prefix>_…`, signed with the suite's secret. */
export async function adminToken(
  server: ConcurrencyPostgres,
  pool: pg.Pool,
  prefix: string,
): Promise<string> {
  const [userId] = await createUsers(pool, prefix, 1)
  const { token } = await issueAccessToken(
    { userId, username: prefix, roles: ['admin'] },
    getConfig(server.env),
  )
  return token
}
