/**
 * Who may give items to whom. Every player-to-player movement of units (gifts; marketplace
 * purchases and trades) asks `assertItemsMayPass` inside its transaction, before any unit moves.
 */
import type { Tx } from '../../db/client'
import { assertNotBlocked } from '../social/blocks'

/**
 * Refuses a movement of units from `from_user_id` to `to_user_id` while either player blocks the
 * other (`assertNotBlocked`: 403 for the one who blocked, the unknown-user 404 for the other, so a
 * block is never revealed).
 */
export async function assertItemsMayPass(
  tx: Tx,
  movement: { from_user_id: string; to_user_id: string },
): Promise<void> {
  await assertNotBlocked(tx, movement.from_user_id, movement.to_user_id, 'no user with that id')
}
