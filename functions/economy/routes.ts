/** `/v1/economy`: balance, daily claim, gifts between players, history. */
import { getConfig } from '../lib/env'
import { BalanceSchema } from '../lib/balance'
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema, TimestampIdPageQuerySchema } from '../lib/pagination'
import { tokenPolicyOf } from './policy'
import { DailyClaimSchema, TokenTransactionSchema, TransferBodySchema, TransferSchema } from './schemas'
import { claimDaily, getBalance, listTokenTransactions, transferTokens } from './service'

const route = authRoutes({ tags: ['economy'] })

export const economyRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/balance',
      summary: 'Your token balance',
      responses: { 200: jsonResponse(BalanceSchema, 'Your balance') },
    }),
    async (c) => c.json(await getBalance(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/daily-claim',
      summary: "Claim today's reward (once per UTC day)",
      description:
        'The streak grows on consecutive UTC days and resets after a gap. Reward: 10 tokens on day 1, +5 per consecutive day, at most 50. An Idempotency-Key is optional.',
      responses: {
        200: jsonResponse(DailyClaimSchema, 'Reward credited'),
        409: errorResponseSpec('Already claimed today (`already_claimed`, details.next_claim_at)'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      return runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, false), request: null },
        async (tx) => ({ status: 200, body: await claimDaily(tx, { actor }) }),
      )
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/transfers',
      summary: 'Give tokens to another player',
      description:
        'New accounts may not send tokens at first and are capped per UTC day after that (README, "Abuse limits").',
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(TransferBodySchema) },
      responses: {
        201: jsonResponse(TransferSchema, 'Tokens moved'),
        400: errorResponseSpec('Invalid amount, self-transfer or missing Idempotency-Key'),
        403: errorResponseSpec('Your account is too new to send tokens (`details.may_send_from`)'),
        404: errorResponseSpec('Unknown recipient'),
        409: errorResponseSpec('Not enough tokens (`insufficient_funds`)'),
        422: errorResponseSpec('Idempotency-Key reused with a different request'),
        429: errorResponseSpec("A new account's daily cap is reached; see Retry-After"),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const body = c.req.valid('json')
      const policy = tokenPolicyOf(getConfig(c.env))
      return runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => ({
          status: 201,
          body: await transferTokens(tx, { actor, ...body, policy }),
        }),
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/transactions',
      summary: 'Your token history, newest first',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(TokenTransactionSchema), 'A page of your token movements'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listTokenTransactions(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
