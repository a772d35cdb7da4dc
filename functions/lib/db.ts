/**
 * Per-request database access. A client is created on first use within a request and closed by
 * `closeRequestClients` once the response is ready and the request's background work has settled
 * (through `waitUntil`), so no socket outlives its request.
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
import { describeError } from './logger'

/** The nexus client of this request (opened on first use). */
export function nexus(c: Context<AppEnv>): NexusClient {
  const client =
    c.get('nexusClient') ?? createNexusClient(getConfig(c.env).NEXUS_DATABASE_URL, clientOptions(c))
  c.set('nexusClient', client)
  return client
}

/** The memory client of this request (opened on first use). */
export function memory(c: Context<AppEnv>): MemoryClient {
  const client =
    c.get('memoryClient') ??
    createMemoryClient(getConfig(c.env).MEMORY_DATABASE_URL, clientOptions(c))
  c.set('memoryClient', client)
  return client
}

const clientOptions = (c: Context<AppEnv>) => ({ wsProxy: getConfig(c.env).NEON_WS_PROXY })

/**
 * Runs `task` off the response's path: the response does not wait for it, the request's database
 * clients are closed only after it settles, and a failure is logged, never returned.
 */
export function runAfterResponse(c: Context<AppEnv>, what: string, task: () => Promise<unknown>) {
  const tasks = c.get('backgroundTasks') ?? []
  c.set('backgroundTasks', tasks)
  tasks.push(
    task().catch((error) => c.var.log.warn(`${what} failed`, describeError(error))),
  )
}

/** Middleware: closes the clients this request opened, after the handler and its background work. */
export const closeRequestClients: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await next()
  } finally {
    const tasks = c.get('backgroundTasks') ?? []
    const clients = [c.get('nexusClient'), c.get('memoryClient')]
    if (tasks.length > 0 || clients.some((client) => client !== undefined)) {
      const done = Promise.allSettled(tasks).then(() =>
        // Read again: a background task may have opened a client.
        Promise.all(
          [c.get('nexusClient'), c.get('memoryClient')]
            .filter((client) => client !== undefined)
            .map((client) => client.close()),
        ),
      )
      try {
        c.executionCtx.waitUntil(done)
      } catch {
        // No execution context (app.request in a unit test): the promise settles on its own.
      }
    }
  }
}
