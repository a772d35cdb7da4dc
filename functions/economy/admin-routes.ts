/** `/v1/admin/economy`: operator actions on the economy, admin role only. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  BalanceUserParamSchema,
  GrantBodySchema,
  GrantSchema,
  ListTransactionsQuerySchema,
  TransactionSchema,
  UserBalanceSchema,
} from './schemas'
import { getUserBalance, grantTokens, listTransactions } from './service'

const roles = ['admin' as const]
const route = authRoutes({ tags: ['economy admin'], roles })

export const economyAdminRouter = createRouter({ auth: true, roles })
  .openapi(
    route({
      method: 'post',
      path: '/grants',
      summary: 'Grant tokens or premium tokens to a user, with a reason',
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(GrantBodySchema) },
      responses: {
        201: jsonResponse(GrantSchema, 'Granted'),
        400: errorResponseSpec('Invalid grant or missing Idempotency-Key'),
        404: errorResponseSpec('Unknown user'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const body = c.req.valid('json')
      return runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => ({ status: 201, body: await grantTokens(tx, { actor, ...body }) }),
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/transactions',
      summary: "The economy's latest movements (gifts, grants, daily claims), newest first",
      description:
        'The `transactions` audit trail; `user_id` keeps the movements that user sent or received.',
      request: { query: ListTransactionsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(TransactionSchema), 'A page of transactions'),
        400: errorResponseSpec('Invalid user_id, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listTransactions(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/balances/{user_id}',
      summary: "A user's balance",
      request: { params: BalanceUserParamSchema },
      responses: {
        200: jsonResponse(
          UserBalanceSchema,
          'The balance (zeros when the user has no balance row)',
        ),
        400: errorResponseSpec('Not a user id'),
        404: errorResponseSpec('No such user'),
      },
    }),
    async (c) =>
      c.json(
        await getUserBalance(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') }),
        200,
      ),
  )
