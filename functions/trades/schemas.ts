/** Trades between two players: request and response schemas (snake_case). */
import { z } from '@hono/zod-openapi'
import { TRADE_STATUSES } from '../../db/schema/nexus'
import { tradeSnapshotSchema } from '../../durable-objects/instance-room/trades'
import { MAX_TOKENS_PER_REQUEST } from '../economy/schemas'
import { QuantitySchema } from '../inventory/schemas'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'

/** Different items one side of a trade may carry. */
export const MAX_TRADE_LINES = 20

const TradeLineSchema = z.strictObject({ item_id: idSchema('item_id'), quantity: QuantitySchema })

const TradeSideSchema = z
  .array(TradeLineSchema)
  .max(MAX_TRADE_LINES)
  .default([])
  .refine((lines) => new Set(lines.map((line) => line.item_id)).size === lines.length, {
    error: 'name each item once per side',
  })

const TradeTokensSchema = z
  .number({ error: 'tokens must be a number' })
  .int({ error: 'tokens must be a whole number' })
  .min(0)
  .max(MAX_TOKENS_PER_REQUEST)
  .default(0)

export const CreateTradeBodySchema = z
  .strictObject({
    recipient_id: idSchema('recipient_id'),
    requester_items: TradeSideSchema.openapi({ description: 'What you give (held in escrow now)' }),
    requester_tokens: TradeTokensSchema.openapi({ description: 'Tokens you give (held now)' }),
    recipient_items: TradeSideSchema.openapi({ description: 'What you ask for' }),
    recipient_tokens: TradeTokensSchema.openapi({ description: 'Tokens you ask for' }),
  })
  .refine(
    (body) =>
      body.requester_items.length + body.recipient_items.length > 0 ||
      body.requester_tokens + body.recipient_tokens > 0,
    { error: 'a trade needs something on at least one side' },
  )
  .openapi('CreateTradeBody')

export type CreateTradeBody = z.infer<typeof CreateTradeBodySchema>

export const TradeSchema = z.object(tradeSnapshotSchema.shape).openapi('Trade')

export const TradeIdParamSchema = z.object({ id: idSchema('id') })

export const TradeStatusSchema = z.enum(TRADE_STATUSES)

export const ListTradesQuerySchema = TimestampIdPageQuerySchema.extend({
  role: z
    .enum(['incoming', 'outgoing', 'all'])
    .default('all')
    .openapi({ description: '`incoming`: offered to you; `outgoing`: offered by you' }),
  status: TradeStatusSchema.optional(),
})
