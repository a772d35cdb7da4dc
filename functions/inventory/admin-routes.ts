/** `/v1/admin/inventory`: granting units (admin and service roles, e.g. quest rewards). */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { GrantBodySchema, GrantSchema } from './schemas'
import { grantItems } from './service'

const roles = ['admin' as const, 'service' as const]
const route = authRoutes({ tags: ['inventory admin'], roles })

export const inventoryAdminRouter = createRouter({ auth: true, roles }).openapi(
  route({
    method: 'post',
    path: '/grants',
    summary: 'Grant units of one or more items to a user, with a reason',
    description:
      'Needs an Idempotency-Key. All lines or none: a line that would overflow the user’s stack (`max_stack_size`) refuses the whole grant with 409 `stack_full`; nothing is truncated. `kind` is `admin_grant` (default) or `quest_reward`.',
    request: { headers: IdempotencyHeaderSchema, body: jsonBody(GrantBodySchema) },
    responses: {
      201: jsonResponse(GrantSchema, 'Granted'),
      400: errorResponseSpec('Invalid grant or missing Idempotency-Key'),
      404: errorResponseSpec('Unknown user or item'),
      409: errorResponseSpec(
        'A stack would exceed its max_stack_size (`details.reason`: `stack_full`)',
      ),
      422: errorResponseSpec('Idempotency-Key reused with a different request'),
    },
  }),
  async (c) => {
    const actor = identityOf(c)
    const body = c.req.valid('json')
    return runIdempotent(
      c,
      nexus(c).db,
      { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
      async (tx) => ({ status: 201, body: await grantItems(tx, { actor, ...body }) }),
    )
  },
)
