/** `/v1/admin`: operator actions, admin role only. */
import { createRoute } from '@hono/zod-openapi'
import { GrantBodySchema, GrantSchema, IdempotencyHeaderSchema } from '../economy/schemas'
import { grantTokens } from '../economy/service'
import { identityOf, requireAuth, requireRole } from '../lib/auth'
import { nexus } from '../lib/db'
import { idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import {
  bearerSecurity,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
  unauthorizedResponse,
} from '../lib/openapi'

export const adminRouter = createRouter()
adminRouter.use('/admin/*', requireAuth, requireRole('admin'))

adminRouter.openapi(
  createRoute({
    method: 'post',
    path: '/admin/economy/grants',
    tags: ['admin'],
    security: bearerSecurity,
    summary: 'Grant tokens or premium tokens to a user, with a reason',
    request: { headers: IdempotencyHeaderSchema, body: jsonBody(GrantBodySchema) },
    responses: {
      201: jsonResponse(GrantSchema, 'Granted'),
      400: errorResponseSpec('Invalid grant or missing Idempotency-Key'),
      401: unauthorizedResponse,
      403: errorResponseSpec('Not an admin'),
      404: errorResponseSpec('Unknown user'),
    },
  }),
  async (c) => {
    const admin = identityOf(c)
    const body = c.req.valid('json')
    return runIdempotent(
      c,
      nexus(c).db,
      { userId: admin.userId, key: idempotencyKeyOf(c, true), request: body },
      async (tx) => ({
        status: 201,
        body: await grantTokens(tx, { adminUserId: admin.userId, ...body }),
      }),
    )
  },
)
