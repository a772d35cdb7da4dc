/** Request and response schemas of the token economy. */
import { z } from '@hono/zod-openapi'
import { BalanceSchema } from '../lib/balance'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'

/** The largest amount one request may move: anything above is a mistake or an attack. */
export const MAX_TOKENS_PER_REQUEST = 1_000_000

const TokenAmountSchema = z
  .number({ error: 'amount must be a number' })
  .int({ error: 'amount must be a whole number of tokens' })
  .min(1, { error: 'amount must be at least 1' })
  .max(MAX_TOKENS_PER_REQUEST, { error: `amount must be at most ${MAX_TOKENS_PER_REQUEST}` })

export const TransferBodySchema = z
  .strictObject({
    to_user_id: idSchema('to_user_id'),
    amount: TokenAmountSchema,
    note: z.string().trim().min(1).max(200).optional(),
  })
  .openapi('TransferBody')

export const GrantBodySchema = z
  .strictObject({
    user_id: idSchema('user_id'),
    amount: TokenAmountSchema,
    currency: z.enum(['tokens', 'premium_tokens']).default('tokens'),
    reason: z.string().trim().min(3).max(500),
  })
  .openapi('GrantBody')

export const DailyClaimSchema = z
  .object({
    reward: z.number().int(),
    streak: z.number().int(),
    tokens: z.number().int(),
    claimed_on: z.string(),
    next_claim_at: z.string(),
  })
  .openapi('DailyClaim')

export const TransferSchema = z
  .object({
    id: z.uuid(),
    from_user_id: z.uuid(),
    to_user_id: z.uuid(),
    amount: z.number().int(),
    note: z.string().nullable(),
    created_at: z.string().nullable(),
    balance: z.object({ tokens: z.number().int() }),
  })
  .openapi('Transfer')

export const GrantSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid(),
    amount: z.number().int(),
    currency: z.enum(['tokens', 'premium_tokens']),
    reason: z.string(),
    created_at: z.string().nullable(),
    balance: z.object({ tokens: z.number().int(), premium_tokens: z.number().int() }),
  })
  .openapi('Grant')

export const TokenTransactionSchema = z
  .object({
    id: z.uuid(),
    amount: z.number().int(),
    transaction_type: z.string(),
    reference_id: z.string().nullable(),
    description: z.string().nullable(),
    metadata: z.unknown(),
    timestamp: z.string().nullable(),
  })
  .openapi('TokenTransaction')

/** `GET /v1/admin/economy/transactions`: a page, optionally of one user's movements. */
export const ListTransactionsQuerySchema = TimestampIdPageQuerySchema.extend({
  user_id: idSchema('user_id').optional(),
})

/** `/v1/admin/economy/balances/{user_id}`. */
export const BalanceUserParamSchema = z.object({ user_id: idSchema('user_id') })

/** A user's balance as an operator reads it. */
export const UserBalanceSchema = BalanceSchema.extend({ user_id: z.uuid() }).openapi('UserBalance')

/** One row of the economy's audit trail (`transactions`). */
export const TransactionSchema = z
  .object({
    id: z.uuid(),
    transaction_type: z.string(),
    from_user_id: z.uuid().nullable(),
    to_user_id: z.uuid().nullable(),
    tokens_transferred: z.number().int(),
    items_transferred: z.unknown(),
    reference_id: z.uuid().nullable(),
    metadata: z.unknown(),
    timestamp: z.string().nullable(),
  })
  .openapi('Transaction')
