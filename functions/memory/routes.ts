/**
 * `/v1/memory`: companion memories (write, read, delete, recall), relationships, forgetting a user.
 *
 * Authorization: a player acts only on their own memories; a `service` token may act for any
 * `user_id` (writes, reads, searches, deletes); `admin` may read relationships, delete memories and
 * forget any user. Another user's memory id is a 404, never a 403, so ids are not disclosed.
 */
import { createRoute } from '@hono/zod-openapi'
import { hasRole, identityOf, requireAuth, type Identity, type Role } from '../lib/auth'
import { memory } from '../lib/db'
import { ApiError } from '../lib/errors'
import {
  bearerSecurity,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
  unauthorizedResponse,
} from '../lib/openapi'
import { decodeCursor, pageSchema } from '../lib/pagination'
import { chooseEmbedder } from './embedder'
import {
  CompanionParamSchema,
  CreatedMemorySchema,
  CreateMemoryBodySchema,
  ForgetUserSchema,
  ListMemoriesQuerySchema,
  MemoriesCursorSchema,
  MemoryParamSchema,
  MemorySchema,
  RelationshipSchema,
  SearchBodySchema,
  SearchResultSchema,
  UserParamSchema,
  UserQuerySchema,
} from './schemas'
import { searchMemories } from './search'
import {
  createMemory,
  deleteMemory,
  forgetUser,
  getMemory,
  getRelationship,
  listMemories,
} from './service'

const tags = ['memory']
const security = bearerSecurity
const forbidden = errorResponseSpec('Acting for another user needs a service (or admin) token')

/** The user the caller acts for: themself, or `requested` when one of `roles` allows it. */
function actingUser(identity: Identity, requested: string | undefined, roles: Role[]): string {
  if (requested === undefined || requested === identity.userId) return identity.userId
  if (!hasRole(identity, ...roles)) {
    throw new ApiError('forbidden', `acting for another user needs the ${roles.join(' or ')} role`)
  }
  return requested
}

/** `null` (any user) for roles that may touch every user's memories, else the caller. */
const ownerFilter = (identity: Identity): string | null =>
  hasRole(identity, 'service', 'admin') ? null : identity.userId

export const memoryRouter = createRouter()
memoryRouter.use('/memory/*', requireAuth)

memoryRouter
  .openapi(
    createRoute({
      method: 'post',
      path: '/memory/companions/{companionId}/memories',
      tags,
      security,
      summary: 'Store a memory of a user (or return the identical one already stored)',
      description:
        'Tier from significance unless given: ≥ 0.8 core, ≥ 0.5 important, ≥ 0.2 background, else sparse. A full tier pushes its least significant memory one tier down. Without an embedding the server computes one (none is stored for sparse). `user_id` is for service tokens.',
      request: { params: CompanionParamSchema, body: jsonBody(CreateMemoryBodySchema) },
      responses: {
        201: jsonResponse(CreatedMemorySchema, 'Memory stored'),
        200: jsonResponse(CreatedMemorySchema, 'The same text was already stored: that memory'),
        400: errorResponseSpec('Invalid body'),
        401: unauthorizedResponse,
        403: forbidden,
      },
    }),
    async (c) => {
      const identity = identityOf(c)
      const body = c.req.valid('json')
      const userId = actingUser(identity, body.user_id, ['service'])
      const { created, memory: result } = await createMemory(memory(c).db, {
        companionId: c.req.valid('param').companionId,
        userId,
        body,
        embedder: chooseEmbedder(c.env),
      })
      return created ? c.json(result, 201) : c.json(result, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/memory/companions/{companionId}/memories',
      tags,
      security,
      summary: 'Your memories with a companion, newest first (?user_id= for service/admin)',
      request: { params: CompanionParamSchema, query: ListMemoriesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(MemorySchema), 'A page of memories'),
        400: errorResponseSpec('Invalid limit, cursor, tier or id'),
        401: unauthorizedResponse,
        403: forbidden,
      },
    }),
    async (c) => {
      const { limit, cursor, tier, user_id } = c.req.valid('query')
      const userId = actingUser(identityOf(c), user_id, ['service', 'admin'])
      const after = decodeCursor(cursor, MemoriesCursorSchema)
      const { companionId } = c.req.valid('param')
      return c.json(
        await listMemories(memory(c).db, { companionId, userId, tier, limit, after }),
        200,
      )
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/memory/companions/{companionId}/memories/{memoryId}',
      tags,
      security,
      summary: 'One of your memories (any user’s for service/admin)',
      request: { params: MemoryParamSchema },
      responses: {
        200: jsonResponse(MemorySchema, 'The memory'),
        400: errorResponseSpec('Invalid id'),
        401: unauthorizedResponse,
        404: errorResponseSpec('No such memory of yours'),
      },
    }),
    async (c) => {
      const { companionId, memoryId } = c.req.valid('param')
      const userId = ownerFilter(identityOf(c))
      return c.json(await getMemory(memory(c).db, { companionId, memoryId, userId }), 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/memory/companions/{companionId}/memories/{memoryId}',
      tags,
      security,
      summary: 'Delete one of your memories (any user’s for service/admin)',
      request: { params: MemoryParamSchema },
      responses: {
        204: { description: 'Deleted' },
        400: errorResponseSpec('Invalid id'),
        401: unauthorizedResponse,
        404: errorResponseSpec('No such memory of yours'),
      },
    }),
    async (c) => {
      const { companionId, memoryId } = c.req.valid('param')
      const userId = ownerFilter(identityOf(c))
      await deleteMemory(memory(c).db, { companionId, memoryId, userId })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/memory/companions/{companionId}/search',
      tags,
      security,
      summary: 'Recall your memories with a companion by vector, text or both',
      description:
        'hybrid (default) = 0.7 × cosine + 0.3 × text score, text score = ts_rank_cd r / (r + 1). Vector recall covers every tier: full vectors, PCA-384 codes, PQ-48 codes; sparse memories by text only. `user_id` is for service tokens.',
      request: { params: CompanionParamSchema, body: jsonBody(SearchBodySchema) },
      responses: {
        200: jsonResponse(SearchResultSchema, 'Best matches first'),
        400: errorResponseSpec('Invalid body'),
        401: unauthorizedResponse,
        403: forbidden,
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const userId = actingUser(identityOf(c), body.user_id, ['service'])
      const result = await searchMemories(memory(c).db, {
        companionId: c.req.valid('param').companionId,
        userId,
        query: body.query,
        embedding: body.embedding,
        k: body.k,
        mode: body.mode,
        tiers: body.tiers,
        embedder: chooseEmbedder(c.env),
      })
      return c.json(result, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/memory/companions/{companionId}/relationship',
      tags,
      security,
      summary: 'Your relationship with a companion (?user_id= for service/admin)',
      request: { params: CompanionParamSchema, query: UserQuerySchema },
      responses: {
        200: jsonResponse(RelationshipSchema, 'Stage, trust and memory statistics'),
        400: errorResponseSpec('Invalid companion or user id'),
        401: unauthorizedResponse,
        403: forbidden,
        404: errorResponseSpec('No memories shared yet'),
      },
    }),
    async (c) => {
      const userId = actingUser(identityOf(c), c.req.valid('query').user_id, ['service', 'admin'])
      const { companionId } = c.req.valid('param')
      return c.json(await getRelationship(memory(c).db, { companionId, userId }), 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/memory/users/{userId}',
      tags,
      security,
      summary: 'Forget everything about a user (yourself; anyone for admin)',
      request: { params: UserParamSchema },
      responses: {
        200: jsonResponse(ForgetUserSchema, 'Rows deleted'),
        400: errorResponseSpec('Invalid user id'),
        401: unauthorizedResponse,
        403: errorResponseSpec('Forgetting another user needs the admin role'),
      },
    }),
    async (c) => {
      const userId = actingUser(identityOf(c), c.req.valid('param').userId, ['admin'])
      return c.json(await forgetUser(memory(c).db, userId), 200)
    },
  )
