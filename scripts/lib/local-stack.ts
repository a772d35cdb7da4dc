/**
 * The local database stack shared by `npm run db`, `npm start` and the test setup: an embedded
 * database per service (unless its URL points elsewhere) and the Neon-compatible WebSocket proxy.
 */
import { resolve } from 'node:path'
import pg from 'pg'
import { migrateDatabase } from '../../db/migrate'
import type { DatabaseName } from '../../db/sql-client'
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-postgres'
import { startNeonWsProxy, type NeonWsProxy } from './neon-ws-proxy'

/** Settings read from the environment, with their defaults. */
export interface StackSettings {
  host: string
  nexusPort: number
  memoryPort: number
  proxyPort: number
  apiPort: number
  /** Directory holding `nexus/` and `memory/`; undefined keeps the databases in memory. */
  dataDir?: string
  /** External URLs; when set, that embedded database is not started. */
  nexusUrl?: string
  memoryUrl?: string
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`)
  }
  return port
}

/** Reads the stack settings from `process.env`. */
export function settingsFromEnv(): StackSettings {
  return {
    host: '127.0.0.1',
    nexusPort: portFromEnv('NEXUS_DB_PORT', 54320),
    memoryPort: portFromEnv('MEMORY_DB_PORT', 54321),
    proxyPort: portFromEnv('DB_PROXY_PORT', 54330),
    apiPort: portFromEnv('PORT', 8787),
    dataDir: resolve(process.env.DATA_DIR || '.data'),
    nexusUrl: process.env.NEXUS_DATABASE_URL || undefined,
    memoryUrl: process.env.MEMORY_DATABASE_URL || undefined,
  }
}

/** The running stack. */
export interface LocalStack {
  nexusUrl: string
  memoryUrl: string
  /** `host:port` of the WebSocket proxy (the value of `NEON_WS_PROXY`). */
  proxyAddress: string
  embedded: EmbeddedDatabase[]
  proxy: NeonWsProxy
  close(): Promise<void>
}

/** The port a postgres:// URL names (5432 when it names none). */
export function databasePort(url: string): number {
  return Number(new URL(url).port || 5432)
}

/**
 * Starts the embedded databases that have no external URL, then the proxy, which relays only to
 * the ports of these two databases.
 */
export async function startLocalStack(settings: StackSettings): Promise<LocalStack> {
  const embedded: EmbeddedDatabase[] = []
  const start = async (name: DatabaseName, port: number, envVar: string, url?: string) => {
    if (url) return url
    const database = await startEmbeddedDatabase({
      dataDir: settings.dataDir && resolve(settings.dataDir, name),
      host: settings.host,
      port,
      envVar,
    })
    embedded.push(database)
    return database.url
  }
  try {
    const nexusUrl = await start('nexus', settings.nexusPort, 'NEXUS_DB_PORT', settings.nexusUrl)
    const memoryUrl = await start(
      'memory',
      settings.memoryPort,
      'MEMORY_DB_PORT',
      settings.memoryUrl,
    )
    const proxy = await startNeonWsProxy({
      host: settings.host,
      port: settings.proxyPort,
      envVar: 'DB_PROXY_PORT',
      allowedPorts: [databasePort(nexusUrl), databasePort(memoryUrl)],
    })
    return {
      nexusUrl,
      memoryUrl,
      proxyAddress: proxy.address,
      embedded,
      proxy,
      async close() {
        await proxy.close()
        await Promise.all(embedded.map((db) => db.close()))
      },
    }
  } catch (error) {
    await Promise.all(embedded.map((db) => db.close()))
    throw error
  }
}

/** Runs `work` with a connected `pg` client to `url`, closing it afterwards. */
export async function withPgClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Migrates both databases of the stack. */
export async function migrateStack(urls: { nexusUrl: string; memoryUrl: string }) {
  const nexus = await withPgClient(urls.nexusUrl, (c) => migrateDatabase(c, 'nexus'))
  const memory = await withPgClient(urls.memoryUrl, (c) => migrateDatabase(c, 'memory'))
  return [nexus, memory]
}
