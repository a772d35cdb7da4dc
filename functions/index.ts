/**
 * Worker entry: the Hono app for HTTP, the scheduled handler, and the Durable Object classes.
 */
import { createMemoryClient, createNexusClient } from '../db/client'
import { createApp } from './app'
import { getConfig, type Env } from './lib/env'
import { deleteExpiredIdempotencyKeys } from './lib/idempotency'
import { maintainLeaderboards } from './leaderboards/maintenance'
import { createLogger, describeError } from './lib/logger'
import { expireDueListings } from './marketplace/service'
import { expireDueTrades } from './trades/service'
import { runCompression } from './memory/compression/job'
import { repairBanList } from './moderation/sanctions'

export { InstanceRoom } from '../durable-objects/instance-room'
export { QuestSession } from '../durable-objects/quest-session'
export { RateLimiter } from '../durable-objects/rate-limiter'
export { BanList } from '../durable-objects/ban-list'

const app = createApp()

export default {
  fetch: app.fetch,
  /**
   * Every 15 minutes, independent jobs (one failing does not stop the others; the handler fails
   * afterwards so the failure shows in the cron's history):
   * - housekeeping: expired idempotency keys;
   * - leaderboard upkeep: bucket counts folded, the seed's materialized views refreshed;
   * - the ban list: Postgres's bans re-applied to the BanList object;
   * - escrow expiry: marketplace listings after 7 days, pending trades after 1 hour (bounded
   *   batches, each row in its own transaction; a second run is a no-op);
   * - memory compression: a bounded run (`memory/compression/job.ts`).
   */
  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext) {
    const config = getConfig(env)
    const logger = createLogger({ cron: controller.cron })
    const failures: unknown[] = []
    /** Runs one job, logging what it did or why it failed. */
    const run = async (job: string, work: () => Promise<Record<string, unknown>>) => {
      try {
        logger.info(`scheduled ${job}`, await work())
      } catch (error) {
        failures.push(error)
        logger.error(`scheduled ${job} failed`, describeError(error))
      }
    }
    const options = { wsProxy: config.NEON_WS_PROXY }
    const nexusClient = createNexusClient(config.NEXUS_DATABASE_URL, options)
    try {
      const db = nexusClient.db
      await run('housekeeping', async () => ({
        expired_idempotency_keys: await deleteExpiredIdempotencyKeys(db),
      }))
      await run('leaderboard upkeep', async () => ({ ...(await maintainLeaderboards(db)) }))
      await run('ban list repair', async () => ({ bans_in_force: await repairBanList(db, env) }))
      await run('escrow expiry', async () => ({
        expired_listings: await expireDueListings(db),
        expired_trades: await expireDueTrades(db),
      }))
    } finally {
      await nexusClient.close()
    }
    const memoryClient = createMemoryClient(config.MEMORY_DATABASE_URL, options)
    try {
      await run('memory compression', async () => {
        const { models_trained, ...counts } = await runCompression(memoryClient)
        return {
          ...counts,
          models_trained: models_trained.map((m) => `${m.kind}:${m.companion_id ?? 'global'}`),
        }
      })
    } finally {
      await memoryClient.close()
    }
    if (failures.length > 0) throw failures[0]
  },
} satisfies ExportedHandler<Env>
