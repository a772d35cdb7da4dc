/**
 * `/v1/trades`: offer a trade, accept, decline or cancel it, read your trades. The other player
 * hears of each change in their live room (`live.ts`). Escrow and expiry: `service.ts`.
 */
import type { Context } from 'hono'
import type { Tx } from '../../db/client'
import type { TradeSnapshot } from '../../durable-objects/instance-room/trades'
import { tokenPolicyOf } from '../economy/policy'
import { identityOf } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import { getConfig } from '../lib/env'
import {
  answeredStatus,
  IdempotencyHeaderSchema,
  idempotencyKeyOf,
  runIdempotent,
} from '../lib/idempotency'
import { describeError } from '../lib/logger'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { tellPlayer } from './live'
import {
  CreateTradeBodySchema,
  ListTradesQuerySchema,
  TradeIdParamSchema,
  TradeSchema,
} from './schemas'
import {
  acceptTrade,
  cancelTrade,
  createTrade,
  declineTrade,
  expireTradeIfDue,
  getTrade,
  listTrades,
} from './service'

const route = authRoutes({ tags: ['trades'] })
const notFound = errorResponseSpec('No trade of yours with that id')
const replayed = errorResponseSpec('Idempotency-Key reused with a different request')

/** What the other player may hear after a change (`trade` event in their live room). */
type Outcome = {
  trade: TradeSnapshot
  tell?: { user_id: string; change: 'completed' | 'declined' | 'cancelled' }
}

/**
 * Runs one of accept / decline / cancel with the request's Idempotency-Key, then tells the other
 * player (only when this request's effect ran and committed; a replay tells no one) or, after a
 * refusal, ends the trade if its time is up (lazy expiry).
 */
async function tradeAction(
  c: Context<AppEnv>,
  options: { tradeId: string; keyRequired: boolean },
  act: (tx: Tx) => Promise<Outcome>,
) {
  const actor = identityOf(c)
  const { tradeId } = options
  const db = nexus(c).db
  let outcome: Outcome | undefined
  const response = await runIdempotent(
    c,
    db,
    { userId: actor.userId, key: idempotencyKeyOf(c, options.keyRequired), request: null },
    async (tx) => {
      outcome = await act(tx)
      return { status: 200, body: outcome.trade }
    },
  )
  if (outcome?.tell) await tellPlayer(c, outcome.tell.user_id, outcome.tell.change, outcome.trade)
  if (answeredStatus(response) === 409) {
    await expireTradeIfDue(db, tradeId).catch((error) =>
      c.var.log.warn('lazy trade expiry failed', { trade_id: tradeId, ...describeError(error) }),
    )
  }
  return response
}

const actionResponses = (who: string, conflicts: string) => ({
  200: jsonResponse(TradeSchema, 'The trade after the change'),
  400: errorResponseSpec('Invalid Idempotency-Key'),
  403: errorResponseSpec(`Only ${who} may do this`),
  404: notFound,
  409: errorResponseSpec(conflicts),
  422: replayed,
})

export const tradesRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Offer a trade to another player (your side goes into escrow at once)',
      description:
        'Your items and tokens leave your inventory and balance into the trade now and come back if it is declined, cancelled or expires (1 hour). The recipient hears of the offer in their live room. Needs an Idempotency-Key. Tokens you offer count as tokens sent to another player (README, "Abuse limits").',
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(CreateTradeBodySchema) },
      responses: {
        201: jsonResponse(TradeSchema, 'Offered'),
        400: errorResponseSpec(
          'Invalid body, an empty trade, a trade with yourself, or a missing Idempotency-Key',
        ),
        403: errorResponseSpec('Your account is too new to send tokens (`account_too_new`)'),
        404: errorResponseSpec('No such recipient or item'),
        409: errorResponseSpec(
          '`insufficient_funds`, or `conflict` with `details.reason`: `insufficient_quantity`, `not_tradeable`, `trade_limit`',
        ),
        422: replayed,
        429: errorResponseSpec('A new account’s daily outbound cap is reached; see Retry-After'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const body = c.req.valid('json')
      const policy = tokenPolicyOf(getConfig(c.env))
      let offered: TradeSnapshot | undefined
      const response = await runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => {
          offered = await createTrade(tx, { actor, policy, ...body })
          return { status: 201, body: offered }
        },
      )
      if (offered) await tellPlayer(c, offered.recipient_id, 'offered', offered)
      return response
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your trades, newest first (incoming, outgoing or both; by status)',
      request: { query: ListTradesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(TradeSchema), 'A page of your trades'),
        400: errorResponseSpec('Invalid role, status, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(await listTrades(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One of your trades',
      request: { params: TradeIdParamSchema },
      responses: { 200: jsonResponse(TradeSchema, 'The trade'), 404: notFound },
    }),
    async (c) =>
      c.json(
        await getTrade(nexus(c).db, { actor: identityOf(c), trade_id: c.req.valid('param').id }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/accept',
      summary: 'Accept a trade offered to you: both sides swap in one transaction',
      description:
        'Your side is taken from your inventory and balance and the requester’s escrow comes to you, all at once. Needs an Idempotency-Key: a retry replays the first answer byte for byte and moves nothing.',
      request: { params: TradeIdParamSchema, headers: IdempotencyHeaderSchema },
      responses: {
        ...actionResponses(
          'the recipient',
          '`insufficient_funds`, or `conflict` with `details.reason`: `trade_completed` / `trade_declined` / `trade_cancelled` / `trade_expired`, `insufficient_quantity`, `not_tradeable`, `stack_full`',
        ),
        429: errorResponseSpec('A new account’s daily outbound cap is reached; see Retry-After'),
      },
    }),
    (c) => {
      const actor = identityOf(c)
      const policy = tokenPolicyOf(getConfig(c.env))
      const tradeId = c.req.valid('param').id
      return tradeAction(c, { tradeId, keyRequired: true }, async (tx) => {
        const trade = await acceptTrade(tx, { actor, trade_id: tradeId, policy })
        return { trade, tell: { user_id: trade.requester_id, change: 'completed' } }
      })
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/decline',
      summary: 'Decline a trade offered to you (the requester’s escrow goes back)',
      description: 'An Idempotency-Key is optional.',
      request: { params: TradeIdParamSchema, headers: IdempotencyHeaderSchema.partial() },
      responses: actionResponses(
        'the recipient',
        '`details.reason`: `trade_completed` / `trade_declined` / `trade_cancelled` / `trade_expired`',
      ),
    }),
    (c) => {
      const actor = identityOf(c)
      const tradeId = c.req.valid('param').id
      return tradeAction(c, { tradeId, keyRequired: false }, async (tx) => {
        const trade = await declineTrade(tx, { actor, trade_id: tradeId })
        return { trade, tell: { user_id: trade.requester_id, change: 'declined' } }
      })
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/cancel',
      summary: 'Cancel your trade offer (or take back escrow that could not be returned)',
      description:
        'A pending trade becomes `cancelled` and your side returns to you. A trade that was declined or expired while your stack had no room keeps your side (`escrow_held`); cancel gives it back once you have room. An Idempotency-Key is optional.',
      request: { params: TradeIdParamSchema, headers: IdempotencyHeaderSchema.partial() },
      responses: actionResponses(
        'the requester',
        '`details.reason`: `stack_full` (make room first), or `trade_completed` / `trade_declined` / `trade_cancelled` / `trade_expired` (nothing held)',
      ),
    }),
    (c) => {
      const actor = identityOf(c)
      const tradeId = c.req.valid('param').id
      return tradeAction(c, { tradeId, keyRequired: false }, async (tx) => {
        const trade = await cancelTrade(tx, { actor, trade_id: tradeId })
        const tell =
          trade.status === 'cancelled'
            ? { user_id: trade.recipient_id, change: 'cancelled' as const }
            : undefined
        return { trade, tell }
      })
    },
  )
