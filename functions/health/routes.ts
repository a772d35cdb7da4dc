/**
 * `GET /health`: liveness plus a round trip to each database. Anonymous callers see only whether
 * each database answered and how fast; why one did not goes to the log, with the request id.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { getConfig } from '../lib/env'
import { memory, nexus } from '../lib/db'
import { log } from '../lib/logger'
import { createRouter } from '../lib/openapi'

const DatabaseHealthSchema = z.object({
  ok: z.boolean(),
  latency_ms: z.number(),
})

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    databases: z.object({ nexus: DatabaseHealthSchema, memory: DatabaseHealthSchema }),
  })
  .openapi('Health')

type DatabaseHealth = z.infer<typeof DatabaseHealthSchema>

/**
 * Runs `probe` with a deadline and reports its latency. A failure is logged with the database's
 * name, the request id and a short reason; the reason never reaches the response.
 */
async function checkDatabase(
  database: 'nexus' | 'memory',
  probe: () => Promise<unknown>,
  options: { timeoutMs: number; requestId: string },
): Promise<DatabaseHealth> {
  const started = Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      }),
    ])
    return { ok: true, latency_ms: Date.now() - started }
  } catch (error) {
    const latencyMs = Date.now() - started
    // The probe sends no parameters, so its error text carries none: it is safe to log.
    const reason = error instanceof Error ? error.message : String(error)
    log('error', 'health: database check failed', {
      database,
      requestId: options.requestId,
      latencyMs,
      reason: reason.slice(0, 200),
    })
    return { ok: false, latency_ms: latencyMs }
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
      description:
        'At least one database does not answer; `databases.<name>.ok` is false (the reason is in the logs, under the request id)',
    },
  },
})

/** The health router (mounted at `/`). */
export const healthRouter = createRouter({ auth: false }).openapi(healthRoute, async (c) => {
  const config = getConfig(c.env)
  const options = { timeoutMs: config.HEALTH_DB_TIMEOUT_MS, requestId: c.get('requestId') }
  const [nexusHealth, memoryHealth] = await Promise.all([
    checkDatabase('nexus', () => nexus(c).pool.query('select 1'), options),
    checkDatabase('memory', () => memory(c).pool.query('select 1'), options),
  ])
  const ok = nexusHealth.ok && memoryHealth.ok
  const body = {
    status: ok ? ('ok' as const) : ('degraded' as const),
    version: config.APP_VERSION,
    databases: { nexus: nexusHealth, memory: memoryHealth },
  }
  return ok ? c.json(body, 200) : c.json(body, 503)
})
