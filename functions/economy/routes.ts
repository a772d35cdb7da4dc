/** `/v1/economy`: balance, daily claim, gifts between players, history. */
import { createRoute } from '@hono/zod-openapi'
import { identityOf, requireAuth } from '../lib/auth'
import { nexus } from '../lib/db'
import { ApiError } from '../lib/errors'
import { idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import {
  bearerSecurity,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
  unauthorizedResponse,
} from '../lib/openapi'
import { decodeCursor, pageSchema } from '../lib/pagination'
import {
  BalanceSchema,
  DailyClaimSchema,
  IdempotencyHeaderSchema,
  TokenTransactionSchema,
  TransactionsCursorSchema,
  TransactionsQuerySchema,
  TransferBodySchema,
  TransferSchema,
} from './schemas'
import { claimDaily, getBalance, listTokenTransactions, transferTokens } from './service'

const tags = ['economy']
const security = bearerSecurity

export const economyRouter = createRouter()
economyRouter.use('/economy/*', requireAuth)

economyRouter
  .openapi(
    createRoute({
      method: 'get',
      path: '/economy/balance',
      tags,
      security,
      summary: 'Your token balance',
      responses: { 200: jsonResponse(BalanceSchema, 'Your balance'), 401: unauthorizedResponse },
    }),
    async (c) => c.json(await getBalance(nexus(c).db, identityOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/economy/daily-claim',
      tags,
      security,
      summary: "Claim today's reward (once per UTC day)",
      description:
        'The streak grows on consecutive UTC days and resets after a gap. Reward: 10 tokens on day 1, +5 per consecutive day, at most 50. An Idempotency-Key is optional.',
      responses: {
        200: jsonResponse(DailyClaimSchema, 'Reward credited'),
        401: unauthorizedResponse,
        409: errorResponseSpec('Already claimed today (`already_claimed`, details.nextClaimAt)'),
      },
    }),
    async (c) => {
      const { userId } = identityOf(c)
      return runIdempotent(
        c,
        nexus(c).db,
        { userId, key: idempotencyKeyOf(c, false), request: null },
        async (tx) => ({ status: 200, body: await claimDaily(tx, userId) }),
      )
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/economy/transfers',
      tags,
      security,
      summary: 'Give tokens to another player',
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(TransferBodySchema) },
      responses: {
        201: jsonResponse(TransferSchema, 'Tokens moved'),
        400: errorResponseSpec('Invalid amount, self-transfer or missing Idempotency-Key'),
        401: unauthorizedResponse,
        404: errorResponseSpec('Unknown recipient'),
        409: errorResponseSpec('Not enough tokens (`insufficient_funds`)'),
        422: errorResponseSpec('Idempotency-Key reused with a different request'),
      },
    }),
    async (c) => {
      const { userId } = identityOf(c)
      const body = c.req.valid('json')
      if (body.toUserId === userId) {
        throw new ApiError('validation_error', 'you cannot transfer tokens to yourself', [
          { path: ['toUserId'], message: 'must be another user' },
        ])
      }
      return runIdempotent(
        c,
        nexus(c).db,
        { userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => ({
          status: 201,
          body: await transferTokens(tx, { fromUserId: userId, ...body }),
        }),
      )
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/economy/transactions',
      tags,
      security,
      summary: 'Your token history, newest first',
      request: { query: TransactionsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(TokenTransactionSchema), 'A page of your token movements'),
        400: errorResponseSpec('Invalid limit or cursor'),
        401: unauthorizedResponse,
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const after = decodeCursor(cursor, TransactionsCursorSchema)
      return c.json(
        await listTokenTransactions(nexus(c).db, identityOf(c).userId, { limit, after }),
        200,
      )
    },
  )
