/**
 * Worker entry: the Hono app for HTTP, the scheduled handler, and the Durable Object classes.
 */
import { createApp } from './app'
import type { Env } from './lib/env'
import { log } from './lib/logger'

export { InstanceRoom } from '../durable-objects/instance-room'
export { QuestSession } from '../durable-objects/quest-session'

const app = createApp()

export default {
  fetch: app.fetch,
  async scheduled(controller: ScheduledController, _env: Env, _ctx: ExecutionContext) {
    log('info', 'scheduled', { cron: controller.cron })
  },
} satisfies ExportedHandler<Env>
