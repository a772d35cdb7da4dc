/** `/v1/progression`: your progression and histories, and anyone's public progression. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import {
  AttributeHistorySchema,
  EssenceHistorySchema,
  HistoryQuerySchema,
  ProgressionSchema,
  PublicProgressionSchema,
  UserIdParamSchema,
} from './schemas'
import {
  getOwnProgression,
  getPublicProgression,
  listAttributeHistory,
  listEssenceHistory,
} from './service'

const route = authRoutes({ tags: ['progression'] })

// `/me…` is declared before `/{user_id}` so `me` is never read as a user id.
export const progressionRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/me',
      summary:
        'Your essences, rank and progress to the next, attributes (base and effective), bond, tablets and hidden deities',
      responses: {
        200: jsonResponse(ProgressionSchema, 'Your progression'),
        404: errorResponseSpec('This account no longer exists'),
      },
    }),
    async (c) => c.json(await getOwnProgression(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/me/essence-history',
      summary: 'Your essence awards, newest first',
      request: { query: HistoryQuerySchema },
      responses: {
        200: jsonResponse(EssenceHistorySchema, 'A page of essence awards'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listEssenceHistory(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/me/attribute-history',
      summary: 'Your attribute changes, newest first',
      request: { query: HistoryQuerySchema },
      responses: {
        200: jsonResponse(AttributeHistorySchema, 'A page of attribute changes'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listAttributeHistory(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{user_id}',
      summary: "A player's public progression",
      request: { params: UserIdParamSchema },
      responses: {
        200: jsonResponse(PublicProgressionSchema, 'The public progression'),
        400: errorResponseSpec('Not a user id'),
        404: errorResponseSpec('No such user'),
      },
    }),
    async (c) =>
      c.json(
        await getPublicProgression(nexus(c).db, {
          actor: identityOf(c),
          user_id: c.req.valid('param').user_id,
        }),
        200,
      ),
  )
