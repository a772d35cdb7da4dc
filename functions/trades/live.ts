/**
 * Live trade events: a committed offer (and its later outcome) reaches the other player as a
 * `trade` event in the next batch of the live room they are connected to, without polling.
 *
 * The Worker does not know which room a player is in right now. Three ways were weighed:
 * - `active_sessions` / `user_states`: written by the room's Postgres sync, up to 30 s late, so a
 *   player who entered a room a few seconds ago would miss their offer;
 * - a per-user Durable Object inbox that rooms register with: exact, but one more object kind
 *   (bindings, migrations, a gateway) and one more hop on every connect, for a lookup Postgres
 *   already answers;
 * - chosen: the Worker stamps `instance_visitors.last_connected_at` in the same transaction that
 *   admits a player to a room (`joinInstance` with `connecting`), before it answers the upgrade.
 *   After a trade commits, the notice goes to the rooms the player connected to most recently
 *   (`liveRoomsOf`, at most 8), and a room where the player is not connected drops it. No lag: a
 *   player connected when the trade commits was stamped before their socket opened. Leaving or
 *   being removed from an instance deletes its visitor row, so stale stamps only remain for rooms
 *   a player closed without leaving, and the cap bounds those calls.
 *
 * A notice follows the commit and never undoes it: an unreachable room is logged by the gateway,
 * and the trade stays in `GET /v1/trades` (which a client reads once after each `welcome`).
 */
import type { Context } from 'hono'
import type { TradeChange, TradeSnapshot } from '../../durable-objects/instance-room/trades'
import { roomGateway } from '../instances/room-gateway'
import { liveRoomsOf } from '../instances/service'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import { describeError } from '../lib/logger'

/** Sends `trade`'s `change` to `userId` in every live room they may be connected to. */
export async function tellPlayer(
  c: Context<AppEnv>,
  userId: string,
  change: TradeChange,
  trade: TradeSnapshot,
): Promise<void> {
  try {
    const rooms = await liveRoomsOf(nexus(c).db, userId)
    const gateway = roomGateway(c)
    await Promise.all(
      rooms.map((instanceId) =>
        gateway.notify(instanceId, { type: 'trade_changed', user_id: userId, change, trade }),
      ),
    )
  } catch (error) {
    c.var.log.warn('trade notice failed', { user_id: userId, change, ...describeError(error) })
  }
}
