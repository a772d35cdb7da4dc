/** `GET /health`: liveness plus a round trip to each database. */
import { createRoute, z } from '@hono/zod-openapi'
import { getConfig } from '../lib/env'
import { memory, nexus } from '../lib/db'
import { createRouter } from '../lib/openapi'

const DatabaseHealthSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  error: z.string().optional(),
})

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    databases: z.object({ nexus: DatabaseHealthSchema, memory: DatabaseHealthSchema }),
  })
  .openapi('Health')

type DatabaseHealth = z.infer<typeof DatabaseHealthSchema>

/** Runs `probe` with a deadline; reports latency and a short reason on failure. */
async function checkDatabase(
  probe: () => Promise<unknown>,
  timeoutMs: number,
): Promise<DatabaseHealth> {
  const started = Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
    return { ok: true, latencyMs: Date.now() - started }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { ok: false, latencyMs: Date.now() - started, error: reason.slice(0, 200) }
  } finally {
    clearTimeout(timer)
  }
}

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Service and database health',
  responses: {
    200: {
      content: { 'application/json': { schema: HealthSchema } },
      description: 'All databases answer',
    },
    503: {
      content: { 'application/json': { schema: HealthSchema } },
      description: 'At least one database does not answer; `databases.<name>.ok` is false',
    },
  },
})

export const healthRouter = createRouter({ auth: false }).openapi(healthRoute, async (c) => {
  const config = getConfig(c.env)
  const timeoutMs = config.HEALTH_DB_TIMEOUT_MS
  const [nexusHealth, memoryHealth] = await Promise.all([
    checkDatabase(() => nexus(c).pool.query('select 1'), timeoutMs),
    checkDatabase(() => memory(c).pool.query('select 1'), timeoutMs),
  ])
  const ok = nexusHealth.ok && memoryHealth.ok
  const body = {
    status: ok ? ('ok' as const) : ('degraded' as const),
    version: config.APP_VERSION,
    databases: { nexus: nexusHealth, memory: memoryHealth },
  }
  return ok ? c.json(body, 200) : c.json(body, 503)
})
