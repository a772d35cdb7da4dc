/**
 * The benchmark's Worker: the real Worker plus `/bench/baseline/:instanceId/ws?user=<id>`, which
 * connects to the naive BaselineRoom without authentication. Bench-only (never deployed).
 */
import worker from '../../functions/index'
import type { Env } from '../../functions/lib/env'

export { BanList, InstanceRoom, QuestSession, RateLimiter } from '../../functions/index'
export { BaselineRoom } from './baseline-room'

const BASELINE_PATH = /^\/bench\/baseline\/([0-9a-f-]{36})\/(ws|stats)$/

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const match = url.pathname.match(BASELINE_PATH)
    if (!match) return worker.fetch(request, env, ctx)
    const namespace = (env as Env & { BASELINE_ROOM: DurableObjectNamespace }).BASELINE_ROOM
    const stub = namespace.get(namespace.idFromName(match[1]))
    if (match[2] === 'stats') return stub.fetch('https://room/stats')
    return stub.fetch('https://room/connect', {
      headers: { Upgrade: 'websocket', 'X-Bench-User-Id': url.searchParams.get('user') ?? '' },
    })
  },
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Env>
