/**
 * Per-request database access. A client is created on first use within a request and closed by
 * `closeRequestClients` once the response is ready (through `waitUntil`), so no socket outlives
 * its request.
 */
import type { Context, MiddlewareHandler } from 'hono'
import {
  createMemoryClient,
  createNexusClient,
  type MemoryClient,
  type NexusClient,
} from '../../db/client'
import type { AppEnv } from './context'
import { getConfig } from './env'

/** The nexus client of this request. */
export function nexus(c: Context<AppEnv>): NexusClient {
  let client = c.get('nexusClient')
  if (!client) {
    const config = getConfig(c.env)
    client = createNexusClient(config.NEXUS_DATABASE_URL, { wsProxy: config.NEON_WS_PROXY })
    c.set('nexusClient', client)
  }
  return client
}

/** The memory client of this request. */
export function memory(c: Context<AppEnv>): MemoryClient {
  let client = c.get('memoryClient')
  if (!client) {
    const config = getConfig(c.env)
    client = createMemoryClient(config.MEMORY_DATABASE_URL, { wsProxy: config.NEON_WS_PROXY })
    c.set('memoryClient', client)
  }
  return client
}

/** Middleware: closes the clients this request opened, after the handler has finished. */
export const closeRequestClients: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await next()
  } finally {
    const closing = [c.get('nexusClient'), c.get('memoryClient')]
      .filter((client) => client !== undefined)
      .map((client) => client.close())
    if (closing.length > 0) {
      const all = Promise.all(closing)
      try {
        c.executionCtx.waitUntil(all)
      } catch {
        // No execution context (app.request in a unit test): the promise settles on its own.
      }
    }
  }
}
