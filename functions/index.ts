/**
 * Worker entry: the Hono app for HTTP, the scheduled handler, and the Durable Object classes.
 */
import { createMemoryClient, createNexusClient } from '../db/client'
import { createApp } from './app'
import { getConfig, type Env } from './lib/env'
import { deleteExpiredIdempotencyKeys } from './lib/idempotency'
import { maintainLeaderboards } from './leaderboards/maintenance'
import { createLogger, describeError } from './lib/logger'
import { runCompression } from './memory/compression/job'

export { InstanceRoom } from '../durable-objects/instance-room'
export { QuestSession } from '../durable-objects/quest-session'
export { RateLimiter } from '../durable-objects/rate-limiter'

const app = createApp()

export default {
  fetch: app.fetch,
  /**
   * Every 15 minutes: housekeeping (expired idempotency keys, leaderboard upkeep: bucket counts
   * folded, the seed's materialized views refreshed) and memory compression (a bounded
   * run, see `memory/compression/job.ts`). The two are independent: one failing does not stop the
   * other; the handler fails afterwards so the failure shows in the cron's history.
   */
  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext) {
    const config = getConfig(env)
    const logger = createLogger({ cron: controller.cron })
    const failures: unknown[] = []
    const nexusClient = createNexusClient(config.NEXUS_DATABASE_URL, {
      wsProxy: config.NEON_WS_PROXY,
    })
    try {
      const expiredKeys = await deleteExpiredIdempotencyKeys(nexusClient.db)
      logger.info('scheduled housekeeping', { expired_idempotency_keys: expiredKeys })
      const leaderboards = await maintainLeaderboards(nexusClient.db)
      logger.info('scheduled leaderboard upkeep', { ...leaderboards })
    } catch (error) {
      failures.push(error)
      logger.error('scheduled housekeeping failed', describeError(error))
    } finally {
      await nexusClient.close()
    }
    const memoryClient = createMemoryClient(config.MEMORY_DATABASE_URL, {
      wsProxy: config.NEON_WS_PROXY,
    })
    try {
      const report = await runCompression(memoryClient)
      const { models_trained, ...counts } = report
      logger.info('scheduled memory compression', {
        ...counts,
        models_trained: models_trained.map((m) => `${m.kind}:${m.companion_id ?? 'global'}`),
      })
    } catch (error) {
      failures.push(error)
      logger.error('scheduled memory compression failed', describeError(error))
    } finally {
      await memoryClient.close()
    }
    if (failures.length > 0) throw failures[0]
  },
} satisfies ExportedHandler<Env>
