/** `/v1/admin/progression`: awards by the game and its operators (service and admin roles). */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { awardProgression } from './awards'
import { AwardBodySchema, AwardSchema } from './schemas'

const roles = ['service' as const, 'admin' as const]
const route = authRoutes({ tags: ['progression admin'], roles })

export const progressionAdminRouter = createRouter({ auth: true, roles }).openapi(
  route({
    method: 'post',
    path: '/awards',
    summary: 'Award essences and attributes, or record tablets and hidden-deity discoveries',
    description:
      'One transaction through the seed functions (award_akashic_essence, award_attributes). Needs an Idempotency-Key: a retry replays the first response. An attribute never goes below zero (409). The 13th distinct tablet unlocks Thoth exactly once (`unlocked.thoth` is true in that one award).',
    request: { headers: IdempotencyHeaderSchema, body: jsonBody(AwardBodySchema) },
    responses: {
      201: jsonResponse(AwardSchema, 'Awarded'),
      400: errorResponseSpec('Invalid award or missing Idempotency-Key'),
      404: errorResponseSpec('No such user'),
      409: errorResponseSpec('An attribute would go below zero'),
      422: errorResponseSpec('Idempotency-Key reused with another body'),
    },
  }),
  async (c) => {
    const actor = identityOf(c)
    const body = c.req.valid('json')
    return runIdempotent(
      c,
      nexus(c).db,
      { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
      async (tx) => ({ status: 201, body: await awardProgression(tx, { actor, ...body }) }),
    )
  },
)
