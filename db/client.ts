/**
 * Database clients: drizzle over the Neon serverless driver's `Pool`.
 *
 * Workers cannot keep a socket across requests, so a client lives for one request (or one unit of
 * Durable Object work) and is closed afterwards, typically with `ctx.waitUntil(client.close())`.
 * Never create a module-level pool.
 *
 * Against Neon the driver's defaults apply (secure WebSockets to `<host>/v2`). Locally, the
 * Neon-compatible proxy of `scripts/lib/neon-ws-proxy.ts` relays the same protocol to any Postgres
 * on this machine; `configureNeonProxy` points the driver at it.
 */
import { Pool, neonConfig } from '@neondatabase/serverless'
import { drizzle, type NeonDatabase, type NeonQueryResultHKT } from 'drizzle-orm/neon-serverless'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgTransaction } from 'drizzle-orm/pg-core'
import * as nexusSchema from './schema/nexus'
import * as memorySchema from './schema/memory'

/** The nexus schema module (tables of `bbworlds_nexus`). */
export { nexusSchema, memorySchema }

/** A drizzle database over one pool, and the way to close it. */
export interface DatabaseClient<TSchema extends Record<string, unknown>> {
  db: NeonDatabase<TSchema>
  pool: Pool
  close(): Promise<void>
}

export type NexusClient = DatabaseClient<typeof nexusSchema>
export type MemoryClient = DatabaseClient<typeof memorySchema>

type Schema<T extends Record<string, unknown>> = ExtractTablesWithRelations<T>

/**
 * The handles services take, for each database: `Db` is a request's database or an open
 * transaction (both satisfy it), `Tx` only a transaction.
 *
 * The contract of every service: it takes `(db, { actor, ...args })` and **opens its own
 * transaction** (`db.transaction(...)`) when its writes belong together. Given a transaction (an
 * idempotent POST runs its effect in one, see `functions/lib/idempotency.ts`), that becomes a
 * savepoint of the caller's transaction, so a service is atomic whoever calls it. Routes never
 * open transactions for a service.
 */
export type Db = PgDatabase<NeonQueryResultHKT, typeof nexusSchema, Schema<typeof nexusSchema>>
/** An open transaction on the nexus database. */
export type Tx = PgTransaction<NeonQueryResultHKT, typeof nexusSchema, Schema<typeof nexusSchema>>
/** A memory database or an open transaction on it (see `Db`). */
export type MemoryDb = PgDatabase<
  NeonQueryResultHKT,
  typeof memorySchema,
  Schema<typeof memorySchema>
>
/** An open transaction on the memory database. */
export type MemoryTx = PgTransaction<
  NeonQueryResultHKT,
  typeof memorySchema,
  Schema<typeof memorySchema>
>

/** Options shared by both clients. */
export interface ClientOptions {
  /** `host:port` of a local Neon-compatible WebSocket proxy; omit against Neon. */
  wsProxy?: string
  /** How long to wait for a connection, in milliseconds (default 5,000; 0 waits without a deadline). */
  connectionTimeoutMs?: number
}

let configuredProxy: string | undefined

/**
 * Points the Neon driver at a local WebSocket proxy (plain `ws://`, no TLS pipelining), or restores
 * the Neon defaults when `wsProxy` is undefined. neonConfig is global to the isolate, so it is set
 * only when the value changes.
 */
export function configureNeonProxy(wsProxy: string | undefined): void {
  if (wsProxy === configuredProxy) return
  configuredProxy = wsProxy
  if (wsProxy) {
    neonConfig.wsProxy = (host, port) => `${wsProxy}/v2?address=${host}:${port}`
    neonConfig.useSecureWebSocket = false
    neonConfig.pipelineTLS = false
    neonConfig.pipelineConnect = false
    // Coalesced writes are flushed from a timer; in workerd a flush after the socket closed (the
    // Terminate message of pool.end()) throws an uncaught "send() after close()". Local sockets gain
    // nothing from coalescing, so write through.
    neonConfig.coalesceWrites = false
  } else {
    neonConfig.wsProxy = (host) => `${host}/v2`
    neonConfig.useSecureWebSocket = true
    neonConfig.pipelineTLS = false
    neonConfig.pipelineConnect = 'password'
    neonConfig.coalesceWrites = true
  }
}

function createClient<TSchema extends Record<string, unknown>>(
  url: string,
  schema: TSchema,
  options: ClientOptions,
): DatabaseClient<TSchema> {
  configureNeonProxy(options.wsProxy)
  const pool = new Pool({
    connectionString: url,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    max: 4,
  })
  // An idle client's socket may drop (database restarted); the pool reports it here instead of
  // crashing the isolate with an unhandled 'error' event.
  pool.on('error', () => undefined)
  let closed = false
  return {
    db: drizzle({ client: pool, schema }),
    pool,
    async close() {
      if (closed) return
      closed = true
      await pool.end().catch(() => undefined)
    },
  }
}

/** A client for the nexus database (`NEXUS_DATABASE_URL`). */
export function createNexusClient(url: string, options: ClientOptions = {}): NexusClient {
  return createClient(url, nexusSchema, options)
}

/** A client for the memory database (`MEMORY_DATABASE_URL`, with pgvector). */
export function createMemoryClient(url: string, options: ClientOptions = {}): MemoryClient {
  return createClient(url, memorySchema, options)
}
