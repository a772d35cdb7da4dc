/**
 * Who may give items to whom. Every player-to-player movement of units (gifts today; marketplace
 * purchases and trades, issue 13) asks `assertItemsMayPass` inside its transaction, before any
 * unit moves.
 */
import type { Tx } from '../../db/client'

/**
 * Refuses a movement of units from `from_user_id` to `to_user_id` that the players' relationship
 * forbids.
 *
 * TODO(issue 15, blocks): there are no blocks yet. When they exist, refuse here (403 `forbidden`,
 * without saying which side blocked) when either player has blocked the other; this is the one
 * place gifts check it.
 */
export async function assertItemsMayPass(
  _tx: Tx,
  _movement: { from_user_id: string; to_user_id: string },
): Promise<void> {}
