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

/** The slice of pglite-socket's internal query queue that `keepProtocolUnitsTogether` replaces. */
interface QueuedMessage {
  handlerId: number
  message: Uint8Array
  onData: (data: Uint8Array) => void
  resolve: (bytes: number) => void
  reject: (error: unknown) => void
}
interface QueryQueue {
  queue: QueuedMessage[]
  processing: boolean
  lastHandlerId: number | null
  db: PGlite
  processQueue(): Promise<void>
  clearTransactionIfNeeded(handlerId: number): Promise<void>
}

const MESSAGE_SYNC = 0x53 // 'S'
const MESSAGE_QUERY = 0x51 // 'Q'
const MESSAGE_TERMINATE = 0x58 // 'X'

/**
 * pglite-socket multiplexes many connections onto one PGlite session message by message, keeping
 * a connection's messages together only inside an explicit transaction. The extended protocol
 * (Parse, Bind, Execute, … Sync: what the Neon driver and `pg` send for every parameterized query)
 * is a unit too: if another connection's Parse lands between this connection's Parse and Bind, the
 * unnamed statement is replaced and Bind fails ("unnamed prepared statement does not exist").
 * This replaces the queue's scheduler so a connection keeps the session from its first message
 * until its Sync or simple Query (and, as before, until its transaction ends). Written against
 * @electric-sql/pglite-socket 0.2.17, whose queue is not configurable.
 */
function keepProtocolUnitsTogether(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue
  let unitOpen = false
  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return
    this.processing = true
    try {
      while (this.queue.length > 0) {
        let index = 0
        if (this.lastHandlerId !== null && (unitOpen || this.db.isInTransaction())) {
          index = this.queue.findIndex((m) => m.handlerId === this.lastHandlerId)
          if (index === -1) break // wait for the pinned connection's next message
        }
        const [item] = this.queue.splice(index, 1)
        const type = item.message[0]
        let bytes = 0
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length
                item.onData(data)
              },
            }),
          )
          item.resolve(bytes)
        } catch (error) {
          item.reject(error)
        }
        this.lastHandlerId = item.handlerId
        // Startup messages begin with a length byte, not a letter: they close their own unit.
        const isStartup = type < 0x41
        unitOpen = !(
          isStartup ||
          type === MESSAGE_SYNC ||
          type === MESSAGE_QUERY ||
          type === MESSAGE_TERMINATE
        )
      }
    } finally {
      this.processing = false
    }
  }
  const clearTransaction = queue.clearTransactionIfNeeded.bind(queue)
  queue.clearTransactionIfNeeded = async function (handlerId: number) {
    // A connection that vanished mid-unit releases the session.
    if (this.lastHandlerId === handlerId) unitOpen = false
    await clearTransaction(handlerId)
    await this.processQueue()
  }
}

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
  keepProtocolUnitsTogether(server)
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
