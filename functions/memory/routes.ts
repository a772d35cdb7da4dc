/**
 * `/v1/memory`: companion memories (write, read, delete, recall), relationships, storage
 * efficiency, forgetting a user. Who may touch whose memories: `access.ts`.
 */
import type { Context } from 'hono'
import { deleteConversationsOfUser } from '../companions/service'
import { identityOf, type Role } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { memory, nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { assertCompanionAccess, actingUser } from './access'
import { chooseEmbedder } from './embedder'
import {
  CompanionParamSchema,
  CreatedMemorySchema,
  CreateMemoryBodySchema,
  ForgetUserSchema,
  ListMemoriesQuerySchema,
  MemoryEfficiencySchema,
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
  getMemoryEfficiency,
  getRelationship,
  listMemories,
} from './service'

const route = authRoutes({ tags: ['memory'] })
const forbidden = errorResponseSpec('Acting for another user needs a service (or admin) token')
const noCompanion = errorResponseSpec(
  'No companion of yours (nor a shared one) with that id (services: any companion_id)',
)

/** 403 for acting for another user without `roles`, then 404 for a companion not the caller's. */
const companionAccess = (
  c: Context<AppEnv>,
  companionId: string,
  userId?: string,
  roles?: Role[],
) =>
  assertCompanionAccess(
    { nexus: nexus(c).db, memory: memory(c).db },
    { actor: identityOf(c), companion_id: companionId, user_id: userId, roles },
  )

export const memoryRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/companions/{companion_id}/memories',
      summary: 'Store a memory of a user (or return the identical one already stored)',
      description:
        'Tier from significance unless given: ≥ 0.8 core, ≥ 0.5 important, ≥ 0.2 background, else sparse. A full tier pushes its least significant memory one tier down. Without an embedding the server computes one (none is stored for sparse). `user_id` is for service tokens.',
      request: { params: CompanionParamSchema, body: jsonBody(CreateMemoryBodySchema) },
      responses: {
        201: jsonResponse(CreatedMemorySchema, 'Memory stored'),
        200: jsonResponse(CreatedMemorySchema, 'The same text was already stored: that memory'),
        400: errorResponseSpec('Invalid body'),
        403: forbidden,
        404: noCompanion,
      },
    }),
    async (c) => {
      const { companion_id: companionId } = c.req.valid('param')
      await companionAccess(c, companionId, c.req.valid('json').user_id, ['service'])
      const { created, memory: result } = await createMemory(memory(c).db, {
        actor: identityOf(c),
        companion_id: c.req.valid('param').companion_id,
        body: c.req.valid('json'),
        embedder: chooseEmbedder(c.env),
      })
      return created ? c.json(result, 201) : c.json(result, 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/memories',
      summary: 'Your memories with a companion, newest first (?user_id= for service/admin)',
      request: { params: CompanionParamSchema, query: ListMemoriesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(MemorySchema), 'A page of memories'),
        400: errorResponseSpec('Invalid limit, cursor, tier or id'),
        403: forbidden,
        404: noCompanion,
      },
    }),
    async (c) => {
      const { companion_id: companionId } = c.req.valid('param')
      await companionAccess(c, companionId, c.req.valid('query').user_id, ['service', 'admin'])
      return c.json(
        await listMemories(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/memories/{memory_id}',
      summary: 'One of your memories (any user’s for service/admin)',
      request: { params: MemoryParamSchema },
      responses: {
        200: jsonResponse(MemorySchema, 'The memory'),
        400: errorResponseSpec('Invalid id'),
        404: errorResponseSpec('No such memory of yours, or no such companion'),
      },
    }),
    async (c) => {
      await companionAccess(c, c.req.valid('param').companion_id)
      return c.json(
        await getMemory(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/companions/{companion_id}/memories/{memory_id}',
      summary: 'Delete one of your memories (any user’s for service/admin)',
      request: { params: MemoryParamSchema },
      responses: {
        204: { description: 'Deleted' },
        400: errorResponseSpec('Invalid id'),
        404: errorResponseSpec('No such memory of yours, or no such companion'),
      },
    }),
    async (c) => {
      await companionAccess(c, c.req.valid('param').companion_id)
      await deleteMemory(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/companions/{companion_id}/search',
      summary: 'Recall your memories with a companion by vector, text or both',
      description:
        'hybrid (default) = 0.7 × cosine + 0.3 × text score, text score = ts_rank_cd r / (r + 1). Vector recall covers every tier: full vectors, PCA-384 codes, PQ-48 codes; sparse memories by text only. `user_id` is for service tokens.',
      request: { params: CompanionParamSchema, body: jsonBody(SearchBodySchema) },
      responses: {
        200: jsonResponse(SearchResultSchema, 'Best matches first'),
        400: errorResponseSpec('Invalid body'),
        403: forbidden,
        404: noCompanion,
      },
    }),
    async (c) => {
      const { companion_id: companionId } = c.req.valid('param')
      await companionAccess(c, companionId, c.req.valid('json').user_id, ['service'])
      return c.json(
        await searchMemories(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('json'),
          embedder: chooseEmbedder(c.env),
        }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/relationship',
      summary: 'Your relationship with a companion (?user_id= for service/admin)',
      request: { params: CompanionParamSchema, query: UserQuerySchema },
      responses: {
        200: jsonResponse(RelationshipSchema, 'Stage, trust and memory statistics'),
        400: errorResponseSpec('Invalid companion or user id'),
        403: forbidden,
        404: errorResponseSpec('No memories shared yet, or no such companion'),
      },
    }),
    async (c) => {
      const { companion_id: companionId } = c.req.valid('param')
      await companionAccess(c, companionId, c.req.valid('query').user_id, ['service', 'admin'])
      return c.json(
        await getRelationship(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/analytics',
      summary: 'Memory storage efficiency of a companion and a user (?user_id= for service/admin)',
      description: 'From v_memory_efficiency.',
      request: { params: CompanionParamSchema, query: UserQuerySchema },
      responses: {
        200: jsonResponse(MemoryEfficiencySchema, 'Counts per tier, bytes and ratio'),
        400: errorResponseSpec('Invalid companion or user id'),
        403: forbidden,
        404: errorResponseSpec('No memories of this companion and user yet, or no such companion'),
      },
    }),
    async (c) => {
      const { companion_id: companionId } = c.req.valid('param')
      await companionAccess(c, companionId, c.req.valid('query').user_id, ['service', 'admin'])
      return c.json(
        await getMemoryEfficiency(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/users/{user_id}',
      summary: 'Forget everything about a user (yourself; anyone for admin)',
      description:
        'Deletes the user’s memories, relationships and analytics (memory database) and their conversations with companions, and every conversation with a companion they own (nexus). Each part is idempotent: repeat the call if it fails halfway.',
      request: { params: UserParamSchema },
      responses: {
        200: jsonResponse(ForgetUserSchema, 'Rows deleted'),
        400: errorResponseSpec('Invalid user id'),
        403: errorResponseSpec('Forgetting another user needs the admin role'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const userId = actingUser(actor, c.req.valid('param').user_id, ['admin'])
      // Conversations first: a turn in flight may still write a memory; the memory part is
      // repeatable and runs last.
      const conversations = await deleteConversationsOfUser(nexus(c).db, userId)
      const forgotten = await forgetUser(memory(c).db, { actor, user_id: userId })
      return c.json({ ...forgotten, conversations }, 200)
    },
  )
