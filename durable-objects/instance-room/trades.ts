/**
 * Trades in the live room. Trades live in Postgres (`functions/trades`); a room only carries their
 * news to the one player they concern, wherever that player is connected:
 *
 * - after a trade is offered, completed, declined or cancelled, the Worker sends a `trade_changed`
 *   notice (for the player who did not act) to the rooms that player connected to most recently
 *   (`functions/trades/live.ts` explains how it finds them);
 * - a room where that player is connected puts a `trade` event (`{ change, trade }`) into that
 *   player's next batch, and only theirs; a room where they are not connected drops the notice.
 *
 * `trade` is the same object `GET /v1/trades/:id` answers. The event is news, not state: a client
 * reads `GET /v1/trades?role=incoming&status=pending` once after a `welcome` and then follows the
 * events (a reconnect within the resume window replays the batches it missed).
 */
import { z } from 'zod'

/** What happened to a trade. */
export const TRADE_CHANGES = ['offered', 'completed', 'declined', 'cancelled'] as const
export type TradeChange = (typeof TRADE_CHANGES)[number]

const tradeLine = z.object({ item_id: z.uuid(), quantity: z.int().min(1) })

/** A trade as the API answers it and as `trade` events carry it. */
export const tradeSnapshotSchema = z.object({
  id: z.uuid(),
  requester_id: z.uuid(),
  recipient_id: z.uuid(),
  status: z.enum(['pending', 'completed', 'declined', 'cancelled', 'expired']),
  requester_items: z.array(tradeLine),
  requester_tokens: z.int().min(0),
  recipient_items: z.array(tradeLine),
  recipient_tokens: z.int().min(0),
  escrow_held: z.boolean(),
  created_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  completed_at: z.string().nullable(),
})

/** A trade as the API answers it and as `trade` events carry it. */
export type TradeSnapshot = z.infer<typeof tradeSnapshotSchema>

/** The `trade_changed` notice (one variant of `roomNoticeSchema`). */
export const tradeChangedNoticeSchema = z.strictObject({
  type: z.literal('trade_changed'),
  /** The one player the event is for. */
  user_id: z.uuid(),
  change: z.enum(TRADE_CHANGES),
  trade: tradeSnapshotSchema,
})
