/**
 * Embedded Postgres for local development and tests: PGlite (Postgres compiled to WASM) with the
 * pgvector extension, served on the Postgres wire protocol by pglite-socket so `psql`, `pg` and the
 * Neon driver (through the WebSocket proxy) all reach it like a real server.
 */
import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import type { SqlClient } from '../../db/sql-client'

/** Connections pglite-socket multiplexes onto the single PGlite session (transactions stay whole). */
const EMBEDDED_MAX_CONNECTIONS = 100

/** One embedded database and its wire-protocol server. */
export interface EmbeddedDatabase {
  db: PGlite
  server: PGLiteSocketServer
  host: string
  port: number
  /** `postgres://postgres@host:port/postgres` */
  url: string
  close(): Promise<void>
}

/** Opens a PGlite database with pgvector; persisted in `dataDir`, or in memory when omitted. */
export async function openPglite(dataDir?: string): Promise<PGlite> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const db = await PGlite.create(dataDir, { extensions: { vector } })
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector')
  return db
}

/** Adapts PGlite to `SqlClient`: parameterless calls may hold several statements. */
export function pgliteSqlClient(db: PGlite): SqlClient {
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      if (params && params.length > 0) {
        const r = await db.query<Row>(sql, params)
        return { rows: r.rows }
      }
      const results = await db.exec(sql)
      return { rows: (results.at(-1)?.rows ?? []) as Row[] }
    },
  }
}

/** Raised when the chosen port is taken; names the port and the variable that moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly envVar: string,
  ) {
    super(`port ${port} is already in use; set ${envVar} to another port (or stop what holds it)`)
    this.name = 'PortInUseError'
  }
}

/**
 * Starts an embedded database served on `host:port` (port 0 picks a free one).
 * `envVar` names the variable that configures the port, for the error message.
 */
export async function startEmbeddedDatabase(options: {
  dataDir?: string
  host?: string
  port: number
  envVar?: string
}): Promise<EmbeddedDatabase> {
  const host = options.host ?? '127.0.0.1'
  const db = await openPglite(options.dataDir)
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port,
    maxConnections: EMBEDDED_MAX_CONNECTIONS,
  })
  try {
    await server.start()
  } catch (error) {
    await db.close()
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(options.port, options.envVar ?? 'the port variable')
    }
    throw error
  }
  const port = Number(server.getServerConn().split(':').at(-1))
  return {
    db,
    server,
    host,
    port,
    url: `postgres://postgres@${host}:${port}/postgres`,
    async close() {
      await server.stop()
      await db.close()
    },
  }
}
