/**
 * Who may give items to whom. Every player-to-player movement of units (gifts; marketplace
 * purchases and trades) asks `assertItemsMayPass` inside its transaction, before any unit moves.
 */
import type { Tx } from '../../db/client'
import { assertNotBlocked } from '../social/blocks'

/**
 * Refuses a movement of units from `from_user_id` to `to_user_id` while either player blocks the
 * other. `actor_id` is the player whose request moves them (the giver, the buyer, the one who
 * accepts): they get 403 when they blocked the other, and the unknown-user 404 when the other
 * blocked them, so a block is never revealed (`assertNotBlocked`).
 */
export async function assertItemsMayPass(
  tx: Tx,
  movement: { actor_id: string; from_user_id: string; to_user_id: string },
): Promise<void> {
  const other =
    movement.actor_id === movement.from_user_id ? movement.to_user_id : movement.from_user_id
  await assertNotBlocked(tx, movement.actor_id, other, 'no user with that id')
}
