/**
 * Worker entry: the Hono app for HTTP, the scheduled handler, and the Durable Object classes.
 */
import { createNexusClient } from '../db/client'
import { createApp } from './app'
import { getConfig, type Env } from './lib/env'
import { deleteExpiredIdempotencyKeys } from './lib/idempotency'
import { describeError, log } from './lib/logger'

export { InstanceRoom } from '../durable-objects/instance-room'
export { QuestSession } from '../durable-objects/quest-session'

const app = createApp()

export default {
  fetch: app.fetch,
  /** Every 15 minutes: housekeeping (expired idempotency keys). */
  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext) {
    const config = getConfig(env)
    const client = createNexusClient(config.NEXUS_DATABASE_URL, { wsProxy: config.NEON_WS_PROXY })
    try {
      const expiredKeys = await deleteExpiredIdempotencyKeys(client.db)
      log('info', 'scheduled', { cron: controller.cron, expiredIdempotencyKeys: expiredKeys })
    } catch (error) {
      log('error', 'scheduled housekeeping failed', {
        cron: controller.cron,
        ...describeError(error),
      })
      throw error
    } finally {
      await client.close()
    }
  },
} satisfies ExportedHandler<Env>
