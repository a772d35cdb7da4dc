/**
 * The benchmark's Worker: the real Worker plus `/bench/baseline/:instanceId/ws?user=<id>`, which
 * connects to the naive BaselineRoom without authentication, and `/bench/room/:instanceId/load`
 * (`?reset=1` restarts the counters), the InstanceRoom's `roomLoad` (tick wait, lateness, storage
 * confirmation). Bench-only (never deployed).
 */
import worker from '../../functions/index'
import type { Env } from '../../functions/lib/env'

export { BanList, InstanceRoom, QuestSession, RateLimiter } from '../../functions/index'
export { BaselineRoom } from './baseline-room'

const BASELINE_PATH = /^\/bench\/baseline\/([0-9a-f-]{36})\/(ws|stats)$/
const ROOM_LOAD_PATH = /^\/bench\/room\/([0-9a-f-]{36})\/load$/

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const load = url.pathname.match(ROOM_LOAD_PATH)
    if (load) {
      const rooms = env.INSTANCE_ROOM
      const room = rooms.get(rooms.idFromName(load[1]))
      return Response.json(await room.roomLoad(url.searchParams.get('reset') === '1'))
    }
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
