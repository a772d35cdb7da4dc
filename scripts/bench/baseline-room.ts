/**
 * The benchmark's baseline room: what a naive implementation does. Every move is broadcast at once
 * to every connected client (no zones, no batching) and written to Postgres as its own statement
 * (no 30-second sync). Bench-only: bound in scripts/bench/wrangler.room.toml, never deployed.
 *
 * Its pool waits for a connection without a deadline, so every write is queued and eventually
 * made: with the app's 5-second connect timeout, a saturated baseline timed out connects, leaked
 * their sockets until workerd hit "Too many open files", and the resulting error storm stalled
 * the whole benchmark.
 */
import { DurableObject } from 'cloudflare:workers'
import { createNexusClient, type NexusClient } from '../../db/client'
import { parseAreaBounds, zoneOf } from '../../durable-objects/instance-room/zones'
import { parseClientFrame } from '../../durable-objects/instance-room/protocol'
import { getConfig, type Env } from '../../functions/lib/env'

const AREA = parseAreaBounds({})

export class BaselineRoom extends DurableObject<Env> {
  private client: NexusClient | undefined
  private seq = 0
  private writesAttempted = 0
  private writesFailed = 0

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/stats') {
      return Response.json({
        writesAttempted: this.writesAttempted,
        writesFailed: this.writesFailed,
      })
    }
    const userId = request.headers.get('X-Bench-User-Id')
    if (request.headers.get('Upgrade') !== 'websocket' || !userId) {
      return new Response('expected a WebSocket upgrade with X-Bench-User-Id', { status: 400 })
    }
    const [client, server] = Object.values(new WebSocketPair())
    this.ctx.acceptWebSocket(server, [userId])
    return new Response(null, { status: 101, webSocket: client })
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const parsed = parseClientFrame(message)
    if (!parsed.ok || parsed.frame.type !== 'move') return
    const move = parsed.frame
    const userId = this.ctx.getTags(ws)[0]
    const zone = zoneOf(move.position, AREA)
    const { position, velocity, rotation, activity } = move
    const frame = JSON.stringify({
      type: 'batch',
      seq: ++this.seq,
      events: [{ type: 'move', user_id: userId, zone, position, velocity, rotation, activity }],
    })
    for (const socket of this.ctx.getWebSockets()) {
      if (socket !== ws) socket.send(frame)
    }
    const config = getConfig(this.env)
    this.client ??= createNexusClient(config.NEXUS_DATABASE_URL, {
      wsProxy: config.NEON_WS_PROXY,
      connectionTimeoutMs: 0,
    })
    this.writesAttempted += 1
    await this.client.pool
      .query(
        `INSERT INTO user_states (user_id, position, velocity, rotation, zone, activity_state, last_update)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (user_id) DO UPDATE SET position = excluded.position, velocity = excluded.velocity,
         rotation = excluded.rotation, zone = excluded.zone, activity_state = excluded.activity_state,
         last_update = now()`,
        [userId, position, velocity, rotation, zone, activity],
      )
      .catch(() => {
        // An overloaded database is part of what the baseline shows: count it, keep serving.
        this.writesFailed += 1
      })
  }
}
