/** `/v1/admin/economy`: operator actions on the economy, admin role only. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { GrantBodySchema, GrantSchema } from './schemas'
import { grantTokens } from './service'

const roles = ['admin' as const]
const route = authRoutes({ tags: ['economy admin'], roles })

export const economyAdminRouter = createRouter({ auth: true, roles }).openapi(
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
